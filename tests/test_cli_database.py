"""Errors in one line (issue 14): a database that is missing, never initialised, older than
the code or unreachable gives every command one `error:` line that says what to do, exit 1;
only `init-db` creates a database, and a refused upgrade is one line too."""

from __future__ import annotations

import os
import socket
import stat
from datetime import datetime

import pytest
from sqlalchemy import text

from ivr import create_app
from ivr.store.engine import make_engine
from ivr.store.schema import head_revision, upgrade
from tests.cli_support import invoke, ok, refused
from tests.conftest import TOKEN

# Commands that need the database, with arguments that would otherwise succeed or fail on
# their own input: the database's state must be what they report.
DATABASE_COMMANDS = [
    ["analysts", "list"],
    ["analysts", "add", "Ana", "04125550123", "--no-pin"],
    ["emergency", "list"],
    ["emergency", "add", "Filippo", "04140143913"],
    ["companies", "list"],
    ["contacts", "list"],
    ["closures", "add", "2026-12-09", "--reason", "inventario"],
    ["closures", "list"],
    ["cases", "list"],
    ["cases", "show", "1042937"],
    ["callbacks", "list"],
    ["callbacks", "done", "1042937"],
    ["recordings", "get", "1042937"],
    ["demo-data"],
    ["reap"],
    ["spool-replay"],
    ["call", "--script", "hangup"],
]


def make_app(url: str, tmp_path, **extra):
    """An application on `url` (testing mode)."""
    application = create_app({
        "IVR_ENV": "testing", "DATABASE_URL": url, "TWILIO_AUTH_TOKEN": TOKEN,
        "SECRET_KEY": "test-secret", "PUBLIC_BASE_URL": "", "SPOOL_DIR": str(tmp_path / "spool"),
        **extra})
    application.instance_path = str(tmp_path)
    application.extensions["ivr"].schedules.path = str(tmp_path / "schedule-cache.json")
    return application


@pytest.fixture
def missing_file(tmp_path):
    """An application whose SQLite file does not exist; (app, path)."""
    path = tmp_path / "data" / "ivr.sqlite3"
    application = make_app(f"sqlite:///{path}", tmp_path)
    yield application, path
    application.extensions["ivr"].engine.dispose()


@pytest.mark.parametrize("args", DATABASE_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_missing_sqlite_file_is_reported_not_created(missing_file, args):
    """Issue 14: admin commands without the service's environment silently wrote to a new
    local file. Now: one line naming the file and init-db, and no file."""
    application, path = missing_file
    message = refused(application.test_cli_runner(), *args)
    assert message.startswith(f"no database at {path}: run `flask --app wsgi init-db`")
    assert "IVR_ENV_FILE" in message
    assert not path.exists()


def test_only_init_db_creates_the_sqlite_file(missing_file):
    """init-db creates the file (mode 0600), after which the commands work."""
    application, path = missing_file
    runner = application.test_cli_runner()
    assert ok(runner, "init-db") == ["database created"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ok(runner, "analysts", "list") == []


@pytest.fixture
def empty_database(database_url, make_pg_database, tmp_path):
    """An application on a database that exists with no tables (never initialised)."""
    if database_url.startswith("sqlite"):
        path = tmp_path / "empty.sqlite3"
        path.touch(mode=0o600)
        url = f"sqlite:///{path}"
    else:
        url = make_pg_database()
    application = make_app(url, tmp_path)
    yield application
    application.extensions["ivr"].engine.dispose()


@pytest.mark.parametrize("args", DATABASE_COMMANDS[:8], ids=lambda a: " ".join(a[:2]))
def test_database_never_initialised(empty_database, args):
    """Issue 14: 74 lines ending `no such table: analysts` before; now one that says to run
    init-db, on both databases."""
    message = refused(empty_database.test_cli_runner(), *args)
    assert "run `flask --app wsgi init-db`" in message
    assert "Traceback" not in message and "no such table" not in message


@pytest.fixture
def old_database(database_url, make_pg_database, tmp_path):
    """An application on a database at revision 0003 (one behind)."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        url = make_pg_database()
    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    upgrade(engine, "0003")
    engine.dispose()
    application = make_app(url, tmp_path)
    yield application
    application.extensions["ivr"].engine.dispose()


def test_database_older_than_the_code(old_database):
    """A database not upgraded: the revisions, and init-db (after a backup) to upgrade."""
    runner = old_database.test_cli_runner()
    message = refused(runner, "analysts", "list")
    assert message == (f"the database is at revision 0003 and this code needs {head_revision()}: "
                       "run `flask --app wsgi init-db` to upgrade it (take a backup first)")
    assert ok(runner, "init-db") == ["database upgraded"]
    assert ok(runner, "analysts", "list") == []


def closed_port() -> int:
    """A local TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_postgresql_in_one_line_without_the_password(tmp_path):
    """Issue 14: 149 lines before. Now host and port, the driver's reason, never the password;
    for every command."""
    port = closed_port()
    application = make_app(f"postgresql://ivr:s3cr3t-pw@127.0.0.1:{port}/ivr", tmp_path,
                           DB_CONNECT_TIMEOUT="1")
    runner = application.test_cli_runner()
    for args in DATABASE_COMMANDS:
        result = invoke(runner, *args)
        assert result.exit_code == 1, args
        [line] = result.stderr.splitlines()
        assert line.startswith(f"error: cannot reach the PostgreSQL at 127.0.0.1:{port} "
                               "(database ivr): "), line
        assert "s3cr3t-pw" not in result.output
    application.extensions["ivr"].engine.dispose()


def test_init_db_on_an_unreachable_database_is_one_line(tmp_path):
    """init-db too."""
    port = closed_port()
    application = make_app(f"postgresql://ivr:s3cr3t-pw@127.0.0.1:{port}/ivr", tmp_path)
    message = refused(application.test_cli_runner(), "init-db")
    assert f"cannot reach the PostgreSQL at 127.0.0.1:{port}" in message
    assert "s3cr3t-pw" not in message
    application.extensions["ivr"].engine.dispose()


def test_refused_upgrade_is_one_error_line(database_url, make_pg_database, tmp_path):
    """A migration that finds rows it cannot carry over stops init-db with one `error:` line
    holding the whole message (what, where, and what to do); nothing changes."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'refused.sqlite3'}"
    else:
        url = make_pg_database()
    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    upgrade(engine, "0002")
    now = datetime(2026, 12, 7, 12, 0)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO analysts (id, name, phone, status, idle_since, missed_in_row,"
            " away_notice, created_at) VALUES (1, 'Ana', '+584125550123', 'busy', :now, 0,"
            " FALSE, :now)"), {"now": now})
    engine.dispose()
    application = make_app(url, tmp_path)
    message = refused(application.test_cli_runner(), "init-db")
    assert message.startswith("upgrade to revision 0003 refused")
    assert "analysts.status: 1 row with 'busy'" in message
    assert "run `flask --app wsgi init-db` again" in message
    application.extensions["ivr"].engine.dispose()


def test_commands_that_need_no_database_still_run(missing_file):
    """config and check work without a database (check says it is missing)."""
    application, path = missing_file
    runner = application.test_cli_runner()
    lines = ok(runner, "config")
    assert f"database: SQLite file {path} (missing: run `flask --app wsgi init-db`)" in lines
    result = invoke(runner, "check")
    assert result.exit_code == 1
    assert f"FAIL  database:   no database at {path}" in result.stdout
    assert not os.path.exists(path)
