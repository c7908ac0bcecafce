"""Create or upgrade a database: schema.sql for a new one, migrations for an old one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from ivr.store.engine import SCHEMA_FILE, run_sql_file, table_names
from ivr.store.tx import Q, Tx

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class UpgradeRefused(RuntimeError):
    """A migration found rows it cannot carry over; the message says which and what to do."""


def alembic_config(connection) -> Config:
    """An Alembic config that runs on the given connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision a database is at, or None when it has none."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


_REVISION = Q("SELECT version_num FROM alembic_version")


def revision(tx: Tx) -> str | None:
    """The revision a database is at, read in a transaction (cheap: one statement); raises the
    driver's error when the database has no alembic_version table (never initialised)."""
    return tx.value(_REVISION)


def init_db(engine: Engine) -> str:
    """Create a new database from schema.sql, or upgrade an existing one; say which."""
    existing = table_names(engine) - {"alembic_version"}
    if not existing:
        with engine.begin() as conn:
            run_sql_file(conn, SCHEMA_FILE)
            command.stamp(alembic_config(conn), "head")
        return "created"
    before = current_revision(engine)
    upgrade(engine, "head")
    return "upgraded" if before != current_revision(engine) else "up to date"


def upgrade(engine: Engine, target: str = "head") -> None:
    """Run the migrations up to target, each in its own transaction.

    A migration that fails leaves the database at the revision before it. On SQLite foreign
    keys are off meanwhile: rebuilding a table that others reference (SQLite's way to add a
    constraint) drops it first, and that pragma is ignored inside a transaction.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            with _sqlite_foreign_keys_off(conn):
                command.upgrade(alembic_config(conn), target)
        else:
            command.upgrade(alembic_config(conn), target)
            conn.rollback()  # what is left is at most the read of the current revision


@contextmanager
def _sqlite_foreign_keys_off(conn: Connection) -> Iterator[None]:
    """Foreign keys off on this SQLite connection while the block runs, back on after."""
    driver = conn.connection.driver_connection
    if conn.in_transaction():
        raise RuntimeError("foreign keys can only be switched outside a transaction")
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()  # what is left is at most the read of the current revision
        driver.execute("PRAGMA foreign_keys=ON")
        if driver.execute("PRAGMA foreign_keys").fetchone()[0] != 1:
            conn.invalidate()  # never hand a connection without foreign keys back to the pool
