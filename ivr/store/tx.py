"""Plain SQL for the webhooks: one DB-API connection per request, statements written once.

A webhook runs a handful of statements and must answer in a few milliseconds, so the voice
surface does not go through the ORM: measured in process on SQLite, creating or touching a
call row cost 179 µs through a Session and 29 µs as the same SQL on the DB-API connection
(bench/RESULTS.md has the figures per webhook). The ORM models (ivr/models.py) still describe
the schema and serve the command line.

- `Q`: a statement with `:name` parameters, written once; PostgreSQL gets `%(name)s`.
- `Tx`: the request's transaction. The connection comes from the engine's pool (so its pragmas,
  checks and timeouts apply); on SQLite every transaction begins as a writer (BEGIN IMMEDIATE,
  queued on the process's writer lock, ivr/db.py). Driver errors are raised as SQLAlchemy's
  (OperationalError, IntegrityError…), and a lost connection discards the pool, as the
  engine's own statements do.
- `Rec`: a row as read, read-only. Every write is an explicit statement (`Tx.update`, or a
  store module's INSERT/UPDATE); nothing is written by assigning an attribute.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from ivr.store.engine import sqlite_begin, sqlite_end, sqlite_file_gone
from ivr.store.tables import (
    DATE_COLUMNS,
    DECIMAL_COLUMNS,
    DECIMAL_SCALES,
    PRIMARY_KEYS,
    TIME_COLUMNS,
)

try:
    from psycopg.rows import dict_row
except ImportError:  # SQLite only
    dict_row = None

# SQLite keeps times as text in SQLAlchemy's format (the ORM and the CLI write them too).
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
_NAMED = re.compile(r"(?<![:\w]):(\w+)")


class Q:
    """One SQL statement with `:name` parameters, prepared for either paramstyle once."""

    __slots__ = ("sql", "_pyformat")

    def __init__(self, sql: str):
        """Keep the statement (whitespace folded, so logs show it on one line)."""
        self.sql = " ".join(sql.split())
        self._pyformat: str | None = None

    def text(self, pyformat: bool) -> str:
        """The statement for SQLite (`:name`) or psycopg (`%(name)s`)."""
        if not pyformat:
            return self.sql
        if self._pyformat is None:
            self._pyformat = _NAMED.sub(r"%(\1)s", self.sql.replace("%", "%%"))
        return self._pyformat

    def __repr__(self) -> str:
        """The statement."""
        return f"Q({self.sql!r})"


class Rec:
    """A row as read: columns as attributes, read-only. Writes are explicit statements of the
    store's modules; `replace` gives a changed copy to go on with after one."""

    __slots__ = ("_values",)

    def __init__(self, values: dict):
        """A row's values by column name."""
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str):
        """A column's value."""
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value) -> None:
        """Rows are read-only: a change is written by a store function."""
        raise AttributeError(f"rows are read-only: write {name} through ivr.store")

    def replace(self, **values) -> Rec:
        """A copy with some columns changed (nothing is written: see the store's updates)."""
        unknown = set(values) - set(self._values)
        if unknown:
            raise AttributeError(f"no column {', '.join(sorted(unknown))}")
        return Rec({**self._values, **values})

    def __eq__(self, other) -> bool:
        """Rows are equal when their values are."""
        return isinstance(other, Rec) and self._values == other._values

    __hash__ = None  # values can change between reads: rows are not dictionary keys

    def __repr__(self) -> str:
        """The key, not the values (they may hold phone numbers)."""
        key = self._values.get("id", self._values.get("call_sid"))
        return f"<row {key}>"


class _Parked(threading.local):
    """Per thread: the connection (and cursor) its last request used, kept for its next one.

    Checking a connection out of SQLAlchemy's pool and back in cost about 10 µs per webhook
    (events, the fairy, the reset on return): a thread now keeps its connection between
    requests, one at most (for the engine it used last). A kept connection is used again only
    if its engine has not been disposed and no connection of the engine was found lost since
    (`_generation`), and, on SQLite, its file is still there; otherwise it is dropped and the
    pool gives a fresh one with all its checks. When the thread ends, the connection goes back
    to the pool.
    """

    slot: _Slot | None = None


class _Slot:
    __slots__ = ("engine", "raw", "cursor", "generation")

    def __init__(self, engine: Engine, raw, cursor, generation: int):
        self.engine, self.raw, self.cursor, self.generation = engine, raw, cursor, generation

    def drop(self) -> None:
        """Give the connection back: to the pool if the engine is as it was, else closed."""
        raw, self.raw = self.raw, None
        if raw is None:
            return
        try:
            if self.generation == _generation(self.engine):
                raw.close()
            else:
                raw.invalidate()  # its pool was replaced, or the server went away meanwhile
        except Exception:  # noqa: BLE001, S110 - a connection already gone needs nothing more
            pass

    __del__ = drop  # the thread ended (or a newer connection took the place)


_PARKED = _Parked()
_GENERATIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _generation(engine: Engine) -> int:
    """Bumped when the engine is disposed or one of its connections is found lost."""
    generation = _GENERATIONS.get(engine)
    if generation is None:
        generation = _GENERATIONS[engine] = 0
        event.listen(engine, "engine_disposed", _next_generation)
    return generation


def _next_generation(engine: Engine) -> None:
    _GENERATIONS[engine] = _GENERATIONS.get(engine, 0) + 1


def _take_parked(engine: Engine):
    """This thread's kept connection and cursor for `engine`, if still good; else None."""
    slot = _PARKED.slot
    if slot is None:
        return None
    _PARKED.slot = None
    raw = slot.raw
    if (slot.engine is engine and raw is not None and raw.is_valid
            and slot.generation == _generation(engine) and not sqlite_file_gone(engine)):
        slot.raw = None
        return raw, slot.cursor
    slot.drop()
    return None


def _park(engine: Engine, raw, cursor) -> None:
    """Keep this thread's connection for its next request (dropping any older one)."""
    old = _PARKED.slot
    _PARKED.slot = _Slot(engine, raw, cursor, _generation(engine))
    if old is not None:
        old.drop()


class Tx:
    """The request's transaction: plain statements on one pooled DB-API connection."""

    def __init__(self, engine: Engine):
        """Nothing is checked out until the first statement."""
        self.engine = engine
        self.dialect = engine.dialect.name
        self.pg = self.dialect == "postgresql"
        self._raw = None  # the pool's connection proxy
        self._cursor = None
        self._open = False  # inside a transaction

    # --- statements ------------------------------------------------------------------------

    def rows(self, q: Q, **params) -> list[Rec]:
        """Every row of a query."""
        cursor = self._execute(q, params)
        return [self._rec(values) for values in self._dicts(cursor, cursor.fetchall())]

    def row(self, q: Q, **params) -> Rec | None:
        """The first row of a query, or None."""
        cursor = self._execute(q, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return self._rec(self._dicts(cursor, (row,))[0])

    def value(self, q: Q, **params):
        """The first column of the first row, or None (times as stored: text on SQLite)."""
        row = self._execute(q, params).fetchone()
        if row is None:
            return None
        return next(iter(row.values())) if self.pg else row[0]

    def column(self, q: Q, **params) -> list:
        """The first column of every row."""
        rows = self._execute(q, params).fetchall()
        return [next(iter(row.values())) for row in rows] if self.pg else [row[0] for row in rows]

    def run(self, q: Q, **params) -> int:
        """Run a statement; the number of rows it changed."""
        return self._execute(q, params).rowcount

    def begin(self) -> None:
        """Take the connection and begin now (on SQLite, as the writer), before any statement."""
        self._begin()

    def update(self, table: str, key, **values) -> int:
        """Write some columns of one row by primary key now (an explicit UPDATE); rows changed."""
        if not values:
            return 0
        names = sorted(values)
        sets = ", ".join(f"{name} = :{name}" for name in names)
        q = _UPDATES.get((table, sets))
        if q is None:
            q = _UPDATES[(table, sets)] = Q(
                f"UPDATE {table} SET {sets} "  # noqa: S608 - our table and column names
                f"WHERE {PRIMARY_KEYS.get(table, 'id')} = :_key")
        return self._execute(q, {**values, "_key": key}).rowcount

    # --- the transaction -------------------------------------------------------------------

    def commit(self) -> None:
        """Write back the rows and commit."""
        if not self._open:
            return
        try:
            self._raw.driver_connection.commit()
        except self._dbapi_error() as error:
            raise self._wrap(error, "COMMIT") from error
        finally:
            self._end()

    def rollback(self) -> None:
        """Undo the transaction."""
        if not self._open:
            return
        try:
            self._raw.driver_connection.rollback()
        except self._dbapi_error() as error:
            raise self._wrap(error, "ROLLBACK") from error
        finally:
            self._end()

    def close(self) -> None:
        """Roll back what is left; the thread keeps the connection for its next request."""
        ended = False
        try:
            if self._open:
                self.rollback()
            ended = True
        finally:
            raw, cursor, self._raw, self._cursor = self._raw, self._cursor, None, None
            if raw is not None:
                if ended:
                    _park(self.engine, raw, cursor)
                else:
                    raw.close()

    # --- inside ----------------------------------------------------------------------------

    def _dbapi_error(self):
        return self.engine.dialect.loaded_dbapi.Error

    def _begin(self):
        """Check out a connection (once) and begin a transaction on it."""
        if self._raw is None:
            parked = _take_parked(self.engine)
            if parked is not None:
                self._raw, self._cursor = parked
        if self._raw is None:
            try:
                self._raw = self.engine.raw_connection()
            except self._dbapi_error() as error:  # could not connect
                raise exc.DBAPIError.instance(
                    "connect", None, error, self._dbapi_error(), hide_parameters=True,
                    dialect=self.engine.dialect) from error
            # psycopg builds each row's dict from the result's field names; reading
            # cursor.description instead made a Column object per column per statement.
            self._cursor = self._raw.driver_connection.cursor(row_factory=dict_row) \
                if self.pg else self._raw.driver_connection.cursor()
        if not self._open:
            if not self.pg:
                try:
                    sqlite_begin(self.engine, self._raw.driver_connection)
                except exc.OperationalError as error:
                    if error.orig is not None and "locked" not in str(error.orig):
                        self._lost(error.orig)
                    raise
            self._open = True  # psycopg begins by itself at the first statement
        return self._cursor

    def _end(self) -> None:
        self._open = False
        if not self.pg:
            sqlite_end(self.engine)

    def _execute(self, q: Q, params: dict):
        cursor = self._begin()
        try:
            cursor.execute(q.text(self.pg), self._bind(params) if params else params)
        except self._dbapi_error() as error:
            raise self._wrap(error, q.sql) from error
        return cursor

    def _bind(self, params: dict) -> dict:
        if self.pg:
            return params
        out = {}
        for name, value in params.items():
            kind = type(value)
            if kind is str or kind is int or value is None:
                pass
            elif isinstance(value, datetime):
                value = value.isoformat(" ", "microseconds")  # == strftime(SQLITE_TIME)
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            out[name] = value
        return out

    def _dicts(self, cursor, rows) -> list[dict]:
        """Rows as dicts: psycopg makes them (dict_row); sqlite3 rows are tuples."""
        if self.pg:
            return list(rows)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _rec(self, values: dict) -> Rec:
        """A row, its values as Python types (SQLite keeps times, dates and amounts as text)."""
        if not self.pg:
            for name in TIME_COLUMNS.intersection(values):
                value = values[name]
                if isinstance(value, str):
                    values[name] = datetime.fromisoformat(value)
            for name in DATE_COLUMNS.intersection(values):
                value = values[name]
                if isinstance(value, str):
                    values[name] = date.fromisoformat(value)
            for name in DECIMAL_COLUMNS.intersection(values):
                if values[name] is not None:
                    values[name] = Decimal(str(values[name])).quantize(
                        Decimal(1).scaleb(-DECIMAL_SCALES[name]))
        return Rec(values)

    def _wrap(self, error: Exception, statement: str) -> exc.DBAPIError:
        """The driver's error as SQLAlchemy's; a lost connection discards the pool."""
        disconnect = False
        if self._raw is not None:
            try:
                disconnect = self.engine.dialect.is_disconnect(
                    error, self._raw.driver_connection, self._cursor)
            except Exception:  # noqa: BLE001 - deciding must not hide the error itself
                disconnect = False
        if disconnect:
            self._lost(error)
        return exc.DBAPIError.instance(
            statement, None, error, self._dbapi_error(), hide_parameters=True,
            connection_invalidated=disconnect, dialect=self.engine.dialect)

    def _lost(self, error: Exception) -> None:
        """The connection is gone: drop it and every pooled one (the server restarted)."""
        raw, self._raw, self._cursor = self._raw, None, None
        _next_generation(self.engine)  # connections other threads keep are suspect too
        if self._open:
            self._open = False
            if not self.pg:
                sqlite_end(self.engine)
        if raw is not None:
            raw.invalidate(error)  # closed, never handed out again
        # Every other pooled connection went with the server: a fresh pool (public API; what
        # SQLAlchemy's own Connection does by marking the old ones stale).
        self.engine.dispose()


@contextmanager
def transaction(engine: Engine) -> Iterator[Tx]:
    """A transaction for the command line, services and tests: committed when the block ends,
    rolled back when it raises; the connection goes back for the thread's next use."""
    tx = Tx(engine)
    try:
        yield tx
        tx.commit()
    finally:
        tx.close()



_UPDATES: dict[tuple[str, str], Q] = {}
