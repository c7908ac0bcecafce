"""Create or upgrade a database: schema.sql for a new one, migrations for an old one."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from ivr.store.engine import SCHEMA_FILE, run_sql_file, table_names

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


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
    """Run the migrations up to target."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), target)
