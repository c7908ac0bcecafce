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
- `Rec`: a row of one table. Assigning a column marks it; the transaction writes the changed
  columns back (one UPDATE per row) before its next statement and at commit. Rows read twice
  in a transaction are the same object.
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

try:
    from psycopg.rows import dict_row
except ImportError:  # SQLite only
    dict_row = None

# SQLite keeps times as text in SQLAlchemy's format (the ORM and the CLI write them too).
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
TIME_COLUMNS = frozenset({
    "created_at", "updated_at", "due_at", "visit_at", "started_at", "ended_at", "accepted_at",
    "hunt_started_at", "lease_until", "idle_since"})
DECIMAL_COLUMNS = frozenset({"visit_cost"})
PRIMARY_KEYS = {"calls": "call_sid"}
_NAMED = re.compile(r"(?<![:\w]):(\w+)")
_WORD = re.compile(r"\w+")


class Q:
    """One SQL statement with `:name` parameters, prepared for either paramstyle once."""

    __slots__ = ("sql", "words", "_pyformat")

    def __init__(self, sql: str):
        """Keep the statement (whitespace folded, so logs show it on one line)."""
        self.sql = " ".join(sql.split())
        self.words = frozenset(_WORD.findall(self.sql))  # the tables it can touch among them
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
    """A row: columns as attributes; for a table's row, assignments are written back."""

    __slots__ = ("_table", "_values", "_dirty")

    def __init__(self, table: str | None, values: dict):
        """A row of `table` (None: a query's row, read-only)."""
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_dirty", set())

    def __getattr__(self, name: str):
        """A column's value."""
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value) -> None:
        """Change a column (written back by the transaction)."""
        if self._table is None or name not in self._values:
            raise AttributeError(f"cannot set {name} on {self._table or 'a query row'}")
        if self._values[name] != value or type(self._values[name]) is not type(value):
            self._values[name] = value
            self._dirty.add(name)

    def replace(self, **values) -> Rec:
        """A copy with some columns changed (nothing is written: see the store's updates)."""
        unknown = set(values) - set(self._values)
        if unknown:
            raise AttributeError(f"no column {', '.join(sorted(unknown))}")
        return Rec(None, {**self._values, **values})

    def __repr__(self) -> str:
        """Table and key, not the values (they may hold phone numbers)."""
        key = self._values.get(PRIMARY_KEYS.get(self._table, "id"))
        return f"<{self._table or 'row'} {key}>"


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
        self._joined = False  # inside an ORM session's transaction (Tx.joined)
        self._rows: dict[tuple[str, object], Rec] = {}

    @classmethod
    def joined(cls, session) -> Tx:
        """Statements inside an ORM session's transaction (the command line, tests): rows
        changed here are written back before the session commits."""
        from sqlalchemy import event

        tx = cls(session.get_bind())
        tx._raw = session.connection().connection  # begins the session's transaction
        tx._cursor = tx._raw.driver_connection.cursor(row_factory=dict_row) if tx.pg \
            else tx._raw.driver_connection.cursor()
        tx._open = tx._joined = True
        event.listen(session, "before_commit", lambda _session: tx.flush() if tx._raw else None)
        event.listen(session, "after_transaction_end",
                     lambda _session, _transaction: tx._detach())
        return tx

    def _detach(self) -> None:
        """The session's transaction ended: this one has no connection any more."""
        self._raw = self._cursor = None
        self._open = False

    # --- statements ------------------------------------------------------------------------

    def rows(self, q: Q, table: str | None = None, **params) -> list[Rec]:
        """Every row of a query (`table`: rows of that table, `SELECT *`, written back)."""
        cursor = self._execute(q, params)
        return [self._rec(table, values) for values in self._dicts(cursor, cursor.fetchall())]

    def row(self, q: Q, table: str | None = None, **params) -> Rec | None:
        """The first row of a query, or None."""
        cursor = self._execute(q, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return self._rec(table, self._dicts(cursor, (row,))[0])

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

    def get(self, table: str, key) -> Rec | None:
        """A table's row by primary key (the same object when read before)."""
        if key is None:
            return None
        found = self._rows.get((table, key))
        if found is not None:
            return found
        q = _BY_KEY.get(table)
        if q is None:
            q = _BY_KEY[table] = Q(f"SELECT * FROM {table} "  # noqa: S608 - our table names
                                   f"WHERE {PRIMARY_KEYS.get(table, 'id')} = :key")
        return self.row(q, table, key=key)

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

    def forget(self, table: str, key) -> None:
        """Drop a row read earlier (a statement changed it behind its back)."""
        self._rows.pop((table, key), None)

    # --- the transaction -------------------------------------------------------------------

    def flush(self, before: Q | None = None) -> None:
        """Write back the changed columns of the rows read in this transaction: all of them,
        or (`before` a statement) those of the tables that statement names, so that changes
        to one row made in several steps still go out as one UPDATE."""
        for rec in self._rows.values():
            if rec._dirty and (before is None or rec._table in before.words):
                dirty = sorted(rec._dirty)
                rec._dirty.clear()
                key = PRIMARY_KEYS.get(rec._table, "id")
                params = {name: rec._values[name] for name in dirty}
                params["_key"] = rec._values[key]
                sets = ", ".join(f"{name} = :{name}" for name in dirty)
                q = _UPDATES.get((rec._table, sets))
                if q is None:
                    q = _UPDATES[(rec._table, sets)] = Q(
                        f"UPDATE {rec._table} SET {sets} WHERE {key} = :_key")  # noqa: S608
                self._execute(q, params, flush=False)

    def commit(self) -> None:
        """Write back the rows and commit."""
        if not self._open:
            return
        if self._joined:
            raise RuntimeError("commit the session this transaction joined")
        try:
            self.flush()
            self._raw.driver_connection.commit()
        except self._dbapi_error() as error:
            raise self._wrap(error, "COMMIT") from error
        finally:
            self._end()

    def rollback(self) -> None:
        """Undo the transaction; forget the rows read in it."""
        self._rows.clear()
        if not self._open or self._joined:
            return
        try:
            self._raw.driver_connection.rollback()
        except self._dbapi_error() as error:
            raise self._wrap(error, "ROLLBACK") from error
        finally:
            self._end()

    def close(self) -> None:
        """Roll back what is left; the thread keeps the connection for its next request."""
        if self._joined:
            self._rows.clear()
            return
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
        if self._joined and self._raw is None:
            raise RuntimeError("the session this transaction joined has ended its transaction")
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

    def _execute(self, q: Q, params: dict, flush: bool = True):
        if flush and self._rows:
            self.flush(q)
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

    def _rec(self, table: str | None, values: dict) -> Rec:
        if not self.pg:
            for name in TIME_COLUMNS.intersection(values):
                value = values[name]
                if isinstance(value, str):
                    values[name] = datetime.fromisoformat(value)
            for name in DECIMAL_COLUMNS.intersection(values):
                if values[name] is not None:
                    values[name] = Decimal(str(values[name])).quantize(Decimal("0.01"))
        if table is None:
            return Rec(None, values)
        key = (table, values[PRIMARY_KEYS.get(table, "id")])
        known = self._rows.get(key)
        if known is not None:
            # Read again (e.g. RETURNING after an update): keep the object, take the values,
            # but not over columns changed here and not yet written.
            for name, value in values.items():
                if name not in known._dirty:
                    known._values[name] = value
            return known
        rec = self._rows[key] = Rec(table, values)
        return rec

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
        self._rows.clear()
        _next_generation(self.engine)  # connections other threads keep are suspect too
        if self._open:
            self._open = False
            if not self.pg:
                sqlite_end(self.engine)
        if raw is not None:
            # What SQLAlchemy's own Connection does on a disconnect: close this connection and
            # mark every older pooled one stale, so that each is closed at its next checkout.
            self.engine.pool._invalidate(raw, error)
        else:
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


def as_tx(db) -> Tx:
    """A Tx as it is, or the one inside an ORM session's current transaction."""
    if isinstance(db, Tx):
        return db
    tx = db.info.get("ivr_tx")
    if tx is None or tx._raw is None:
        tx = db.info["ivr_tx"] = Tx.joined(db)
    return tx


_BY_KEY: dict[str, Q] = {}
_UPDATES: dict[tuple[str, str], Q] = {}
