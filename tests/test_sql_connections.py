"""A thread keeps its connection between webhooks, and gives it up whenever it may be stale.

ivr/sql.py keeps each thread's last connection (and cursor) for its next transaction instead
of a checkout and checkin through the pool per webhook. These tests hold it to the cases where
a kept connection must not be used again: the engine disposed (its pool replaced), a
connection of the engine found lost, another engine used in between; and a thread that ends
gives its connection back to the pool.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import exc

from ivr.store import tx as sql
from ivr.store.tx import Q, Tx

_ONE = Q("SELECT 1 AS one")


def driver_of(engine) -> object:
    """Run a transaction; the DB-API connection it used."""
    tx = Tx(engine)
    try:
        assert tx.value(_ONE) == 1
        tx.commit()
        return tx._raw.driver_connection
    finally:
        tx.close()


def test_the_next_transaction_of_a_thread_reuses_its_connection(app):
    """Two webhooks in a row on one thread: one connection, checked out once."""
    engine = app.extensions["ivr"].engine
    first = driver_of(engine)
    assert driver_of(engine) is first
    assert engine.pool.checkedout() == 1  # kept, not returned and taken again


def test_a_disposed_engine_gets_a_fresh_connection(app):
    """After dispose (a new pool), the kept connection is closed, not used."""
    engine = app.extensions["ivr"].engine
    first = driver_of(engine)
    engine.dispose()
    second = driver_of(engine)
    assert second is not first
    assert engine.pool.checkedout() == 1


def test_a_lost_connection_makes_every_kept_one_suspect(app):
    """A disconnect found on one thread: the others drop theirs at their next webhook."""
    engine = app.extensions["ivr"].engine
    kept_elsewhere = {}

    def other_thread(ready: threading.Event, go: threading.Event):
        kept_elsewhere["first"] = driver_of(engine)
        ready.set()
        go.wait(5)
        kept_elsewhere["second"] = driver_of(engine)

    ready, go = threading.Event(), threading.Event()
    worker = threading.Thread(target=other_thread, args=(ready, go))
    worker.start()
    assert ready.wait(5)
    tx = Tx(engine)
    tx.value(_ONE)
    tx._lost(RuntimeError("connection lost"))  # what a disconnect error leads to
    tx.close()
    go.set()
    worker.join(5)
    assert kept_elsewhere["second"] is not kept_elsewhere["first"]


def test_another_engine_in_between_releases_the_first(app, database_url, tmp_path):
    """One kept connection per thread at most: using a second engine gives the first back."""
    from ivr.store.engine import make_engine

    engine = app.extensions["ivr"].engine
    other = make_engine(database_url if not database_url.startswith("sqlite")
                        else f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        driver_of(engine)
        assert engine.pool.checkedout() == 1
        driver_of(other)
        assert engine.pool.checkedout() == 0 and other.pool.checkedout() == 1
    finally:
        sql._PARKED.slot = None  # drop it before the engine goes
        other.dispose()


def test_a_thread_that_ends_gives_its_connection_back(app):
    """gunicorn's threads live long; the spool replayer's do not: theirs return to the pool."""
    engine = app.extensions["ivr"].engine
    sql._PARKED.slot = None
    worker = threading.Thread(target=driver_of, args=(engine,))
    worker.start()
    worker.join(5)
    assert engine.pool.checkedout() == 0


def test_a_failed_rollback_does_not_keep_the_connection(app, monkeypatch):
    """A connection whose transaction could not be ended goes back to the pool, not kept."""
    engine = app.extensions["ivr"].engine
    sql._PARKED.slot = None
    tx = Tx(engine)
    tx.value(_ONE)

    def failing_rollback():
        raise exc.OperationalError("ROLLBACK", (), RuntimeError("gone"))

    monkeypatch.setattr(tx, "rollback", failing_rollback)
    with pytest.raises(exc.OperationalError):
        tx.close()
    assert sql._PARKED.slot is None
    assert engine.pool.checkedout() == 0
