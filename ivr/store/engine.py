"""Engine and schema management for SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
import weakref
from pathlib import Path

from sqlalchemy import create_engine, event, exc, inspect
from sqlalchemy.engine import Connection, Engine, make_url

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schema.sql"
_PG_ONLY = re.compile(r"^--pg: ?", re.MULTILINE)
_COMMENT = re.compile(r"--[^\n]*")
_SQLITE_WRITERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Connections (by id) whose busy timeout was last set below the full budget.
_SHORTENED: set[int] = set()
# The file of each SQLite engine on a file.
_SQLITE_FILES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Writers wait this long for the lock; short, so a webhook still answers within a second.
SQLITE_BUSY_SECONDS = 0.6


def make_engine(url: str, connect_timeout: int = 2, **kwargs) -> Engine:
    """Create an engine with the pragmas and timeouts each database needs."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_timeout", 2)
    # No ping before each use (a round trip on every webhook): when the server restarts, the
    # first statement on a dead connection fails as a disconnect, SQLAlchemy then discards
    # every pooled connection, that one webhook is answered without the database (and
    # spooled), and the next ones connect afresh: the app recovers without a restart.
    kwargs.setdefault("pool_pre_ping", False)
    return create_engine(
        url,
        hide_parameters=True,  # errors are logged: caller numbers must not be in them
        connect_args={"connect_timeout": connect_timeout},
        **kwargs,
    )


def _sqlite_engine(url: str, **kwargs) -> Engine:
    """SQLite: WAL, foreign keys, a short busy timeout, and writers that queue up."""
    path = None
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
        hide_parameters=True, **kwargs,  # errors are logged: no caller numbers in them
    )

    if path is not None:
        file_name = _SQLITE_FILES[engine] = str(path)

        @event.listens_for(engine, "do_connect")
        def _private_file(_dialect, _record, _cargs, _cparams):
            """Before SQLite opens (and perhaps creates) the file, make it the owner's only."""
            private_sqlite_file(file_name)

        @event.listens_for(engine, "checkout")
        def _file_still_there(_dbapi_connection, _record, _proxy):
            """A pooled connection to a deleted file would write into the void: reconnect."""
            if not os.path.exists(file_name):  # os.path, not pathlib: this runs per webhook
                raise exc.DisconnectionError(f"database file {path.name} is gone")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        """Set the pragmas and take over transaction control from pysqlite."""
        # pysqlite's own BEGIN handling is off so that we can start every transaction with
        # BEGIN IMMEDIATE: writers then wait their turn (busy timeout) instead of failing
        # with SQLITE_BUSY when a read transaction later tries to write.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # Writers of this process queue on a lock that wakes the next one at once, instead of on
    # SQLite's busy handler, which sleeps 1, 2, 5, 10… ms between tries. Other processes (the
    # CLI, a second server) still meet the busy timeout.
    writers = _SQLITE_WRITERS[engine] = _WriterLock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        """Begin every transaction as a writer (SQLAlchemy's pysqlite recipe)."""
        sqlite_begin(engine, conn.connection.driver_connection)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(_conn: Connection):
        """The transaction ends: the next writer of this process may begin."""
        writers.release()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, _record):
        """Never keep the lock past the connection's return to the pool."""
        writers.release()

    return engine


def private_sqlite_file(file_name: str) -> None:
    """Create a missing database file mode 0600, and take other users' access away from one
    that has it. SQLite would create the file 0644 (less the umask); its -wal and -shm files
    copy the database file's mode, so they follow. The cases, names and phones are in there."""
    try:
        fd = os.open(file_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        pass
    except OSError:
        return  # no folder, no permission: SQLite's own error says so, as a database error
    else:
        os.close(fd)  # an empty file is an empty SQLite database
        return
    for name in (file_name, file_name + "-wal", file_name + "-shm"):
        try:
            mode = os.stat(name).st_mode
            if mode & 0o007:  # left by an older version, which did not set the mode
                os.chmod(name, mode & 0o770)
        except OSError:
            continue  # not there, or not ours: SQLite itself says what it cannot open


def sqlite_file_gone(engine: Engine) -> bool:
    """Whether the engine's SQLite file has been deleted (its connections write into the void;
    the pool's checkout check then reconnects)."""
    file_name = _SQLITE_FILES.get(engine)
    return file_name is not None and not os.path.exists(file_name)


def sqlite_begin(engine: Engine, driver: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE after this process's other writers, all within one short budget."""
    writers = _SQLITE_WRITERS[engine]
    started = time.monotonic()
    if not writers.acquire(SQLITE_BUSY_SECONDS):
        raise exc.OperationalError("BEGIN IMMEDIATE", (), sqlite3.OperationalError(
            "database is locked (by this process)"))
    # Both waits share one budget, so a webhook still answers within a second. The busy
    # timeout is set again only when this wait used part of it (a statement less per webhook).
    full_ms = int(SQLITE_BUSY_SECONDS * 1000)
    left_ms = max(int((SQLITE_BUSY_SECONDS - (time.monotonic() - started)) * 1000), 1)
    try:
        if left_ms < full_ms - 2:
            driver.execute(f"PRAGMA busy_timeout={left_ms}")
            _SHORTENED.add(id(driver))
        elif id(driver) in _SHORTENED:
            driver.execute(f"PRAGMA busy_timeout={full_ms}")
            _SHORTENED.discard(id(driver))
        driver.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:  # locked, or the file is gone
        writers.release()
        raise exc.OperationalError("BEGIN IMMEDIATE", (), error) from error


def sqlite_end(engine: Engine) -> None:
    """The transaction ended: the next writer of this process may begin."""
    writers = _SQLITE_WRITERS.get(engine)
    if writers is not None:
        writers.release()


class _WriterLock:
    """A process-wide writer lock that each thread holds at most once and releases safely."""

    def __init__(self):
        """An unheld lock."""
        self._lock = threading.Lock()
        self._held = threading.local()

    def acquire(self, timeout: float) -> bool:
        """Take the lock (a thread that holds it already keeps it)."""
        if getattr(self._held, "yes", False):
            return True
        if not self._lock.acquire(timeout=timeout):
            return False
        self._held.yes = True
        return True

    def release(self) -> None:
        """Give the lock back if this thread holds it."""
        if getattr(self._held, "yes", False):
            self._held.yes = False
            self._lock.release()


def sql_statements(text: str, dialect: str) -> list[str]:
    """Split a schema file into statements for one dialect (see schema.sql's header)."""
    if dialect == "postgresql":
        text = _PG_ONLY.sub("", text)
    text = _COMMENT.sub("", text)
    return [s.strip() for s in text.split(";") if s.strip()]


def run_sql_file(conn: Connection, path: Path) -> None:
    """Run every statement of a schema or migration file."""
    for statement in sql_statements(path.read_text(encoding="utf-8"), conn.dialect.name):
        conn.exec_driver_sql(statement)


def table_names(engine: Engine) -> set[str]:
    """Names of the tables that exist now."""
    return set(inspect(engine).get_table_names())


def database_unavailable(error: BaseException) -> bool:
    """Whether an exception means the database cannot be reached (not a bug of ours)."""
    if isinstance(error, exc.DBAPIError):
        return isinstance(error, (exc.OperationalError, exc.InterfaceError)) or \
            error.connection_invalidated
    return isinstance(error, exc.TimeoutError)


# PostgreSQL's answers to a transaction that lost to a concurrent one: deadlock detected,
# serialization failure. Nothing it wrote is kept; trying again later is right.
GAVE_WAY_STATES = frozenset({"40P01", "40001"})


def gave_way(error: BaseException) -> bool:
    """Whether a statement failed only because a concurrent transaction won (PostgreSQL
    aborted this one to break a deadlock)."""
    return isinstance(error, exc.DBAPIError) and \
        getattr(error.orig, "sqlstate", None) in GAVE_WAY_STATES


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL (None for an in-memory database, or another database)."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def database_place(url: str) -> str:
    """Where a database is, in words, without credentials: "PostgreSQL at db:5432 (database
    ivr)", "SQLite file /srv/ivr/instance/ivr.sqlite3"."""
    if url.startswith("sqlite"):
        return f"SQLite file {sqlite_file(url) or 'in memory'}"
    parts = make_url(url)
    host = parts.host or parts.query.get("host") or "the local socket"
    if isinstance(host, tuple):
        host = ",".join(host)
    port = f":{parts.port or 5432}" if parts.host else ""
    return f"PostgreSQL at {host}{port} (database {parts.database or '-'})"


# SQLSTATEs of a schema that is not there (yet): undefined table, undefined column.
_MISSING_SCHEMA_STATES = {"42P01", "42703"}


def schema_missing(error: BaseException) -> bool:
    """Whether an error says the tables (or columns) the code expects are not there: a
    database never initialised, or not upgraded."""
    orig = getattr(error, "orig", None)
    if getattr(orig, "sqlstate", None) in _MISSING_SCHEMA_STATES:
        return True
    text = str(orig if orig is not None else error)
    return "no such table" in text or "no such column" in text


def connection_problem(error: BaseException) -> str:
    """The first line of a driver's connection error, which never holds the password
    ("connection refused", "password authentication failed for user …")."""
    orig = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    text = lines[0] if lines else type(orig).__name__
    for noise in ("connection failed: ",):
        text = text.removeprefix(noise)
    return text[:200]
