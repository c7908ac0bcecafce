"""The health check (`flask --app wsgi check`, ivr/services/health.py) and the same failures
logged when the line starts; the effective configuration (`flask --app wsgi config`)."""

from __future__ import annotations

import logging

import click
import pytest

from ivr import create_app
from ivr.domain.clock import utcnow
from ivr.services.directory import add_analyst, add_emergency
from tests.cli_support import invoke, ok
from tests.conftest import TOKEN

SECRET = "flask-secret-do-not-print-0123456789"


def findings(runner) -> tuple[int, dict[str, tuple[str, str]], str]:
    """Run `check`: (exit code, {check: (ok|FAIL, text)}, stderr)."""
    result = invoke(runner, "check")
    rows = {}
    for line in result.stdout.splitlines():
        status, rest = line.split(None, 1)
        name, text = rest.split(":", 1)
        rows[name] = (status, text.strip())
    return result.exit_code, rows, result.stderr


def staffed(db, now) -> None:
    """One emergency phone and one analyst: what the line needs to ring someone."""
    add_emergency(db, "Filippo Maniscalco", "04140143913", None, now)
    add_analyst(db, "Ana", "04125550123", None, now)
    db.commit()


def test_check_passes_on_a_staffed_line(app, runner, db):
    """Every check ok: exit 0, nothing on stderr."""
    staffed(db, utcnow())
    code, rows, stderr = findings(runner)
    assert (code, stderr) == (0, "")
    assert {name: status for name, (status, _) in rows.items()} == {
        "signatures": "ok", "fallback": "ok", "spool": "ok", "database": "ok",
        "emergency": "ok", "analysts": "ok"}
    assert rows["analysts"][1] == "1 active, 0 available now"
    assert rows["emergency"][1] == "1 active: Filippo Maniscalco"


def test_check_fails_with_nobody_to_ring(app, runner):
    """Issue 14: no emergency phone, no analyst: FAIL lines, one error line, exit 1."""
    code, rows, stderr = findings(runner)
    assert code == 1
    assert rows["emergency"][0] == "FAIL" and "emergency add" in rows["emergency"][1]
    assert rows["analysts"][0] == "FAIL" and "analysts add" in rows["analysts"][1]
    assert stderr == "error: 2 check(s) failed: emergency, analysts\n"


def production_app(database_url, tmp_path, **extra):
    """The application in production mode on the test database."""
    application = create_app({
        "IVR_ENV": "production", "DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": TOKEN,
        "SECRET_KEY": SECRET, "PUBLIC_BASE_URL": "https://soporte.example.com",
        "SPOOL_DIR": str(tmp_path / "spool"), **extra})
    application.extensions["ivr"].schedules.path = str(tmp_path / "schedule.json")
    return application


def test_check_in_production(app, runner, db, database_url, tmp_path):
    """Production: demo data left in, no public URL, a fallback that is the line itself, a
    spool that cannot be written: each a FAIL naming what to do."""
    staffed(db, utcnow())
    assert invoke(runner, "demo-data").exit_code == 0  # loaded while still in testing mode
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    prod = production_app(database_url, tmp_path, PUBLIC_BASE_URL="", PROXY_HOPS="",
                          FALLBACK_NUMBERS="02124713239", SPOOL_DIR=str(blocker / "spool"))
    code, rows, _ = findings(prod.test_cli_runner())
    assert code == 1
    failed = {name for name, (status, _) in rows.items() if status == "FAIL"}
    assert failed == {"signatures", "fallback", "spool", "demo data"}
    assert "set PUBLIC_BASE_URL" in rows["signatures"][1]
    assert "Analista Demo Uno" in rows["demo data"][1]
    assert f"{blocker} is not a directory" in rows["spool"][1]
    prod.extensions["ivr"].engine.dispose()


def test_start_up_logs_what_would_fail_a_caller(app, database_url, tmp_path, caplog):
    """create_app logs each failing check once, as a warning of ivr.health."""
    with caplog.at_level(logging.WARNING, logger="ivr.health"):
        prod = production_app(database_url, tmp_path, PUBLIC_BASE_URL="")
    logged = [r.getMessage() for r in caplog.records if r.name == "ivr.health"]
    assert any(m.startswith("health: emergency: no active emergency phone") for m in logged)
    assert any(m.startswith("health: analysts: no analyst") for m in logged)
    assert any(m.startswith("health: signatures: PUBLIC_BASE_URL and PROXY_HOPS") for m in logged)
    prod.extensions["ivr"].engine.dispose()


def test_an_operator_command_does_not_log_the_start_up_check(app, database_url, tmp_path,
                                                              caplog):
    """Inside a command (the CLI loads the app), the check is not logged: `check` is there."""
    with caplog.at_level(logging.WARNING, logger="ivr.health"), \
            click.Context(click.Command("analysts")):
        prod = production_app(database_url, tmp_path, PUBLIC_BASE_URL="")
    assert not [r for r in caplog.records if r.name == "ivr.health"]
    prod.extensions["ivr"].engine.dispose()


def test_start_up_with_the_database_missing_does_not_create_it(tmp_path, caplog):
    """The start-up check never creates a SQLite file either."""
    path = tmp_path / "none" / "ivr.sqlite3"
    with caplog.at_level(logging.WARNING, logger="ivr.health"):
        application = create_app({"IVR_ENV": "testing", "DATABASE_URL": f"sqlite:///{path}",
                                  "TWILIO_AUTH_TOKEN": TOKEN, "SPOOL_DIR": str(tmp_path / "s")})
    assert any("no database at" in r.getMessage() for r in caplog.records)
    assert not path.exists()
    application.extensions["ivr"].engine.dispose()


# --- flask --app wsgi config ---------------------------------------------------------------


def test_config_masks_secrets_and_the_database_password(tmp_path):
    """Settings with their origin; secrets masked; the database without its password."""
    application = create_app({
        "IVR_ENV": "production", "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET,
        "DATABASE_URL": "postgresql://ivr:pa55word@127.0.0.1:9/ivr?sslmode=require",
        "PUBLIC_BASE_URL": "https://soporte.example.com", "SPOOL_DIR": str(tmp_path / "s")})
    lines = ok(application.test_cli_runner(), "config")
    output = "\n".join(lines)
    assert TOKEN not in output and SECRET not in output and "pa55word" not in output
    assert "database: PostgreSQL at 127.0.0.1:9 (database ivr)" in lines
    settings = {line.split()[0]: line for line in lines[2:]}
    assert f"set ({len(TOKEN)} characters, hidden)" in settings["TWILIO_AUTH_TOKEN"]
    assert "postgresql+psycopg://ivr@127.0.0.1:9/ivr?sslmode=require" in settings[
        "DATABASE_URL"]
    assert settings["VOICE"].endswith("(default)")
    assert settings["IVR_ENV"].endswith("(environment)")
    application.extensions["ivr"].engine.dispose()


@pytest.mark.parametrize("quote", ["", '"', "'"])
def test_config_reads_the_env_file(tmp_path, database_url, quote):
    """IVR_ENV_FILE: the service's settings for the operator's commands too; the process's
    environment wins over the file; config says where each came from."""
    env_file = tmp_path / "ivr.env"
    env_file.write_text(
        "# the service's settings\n"
        f"export DATABASE_URL={quote}{database_url}{quote}\n"
        "FALLBACK_NUMBERS=04140143913  # Filippo\n"
        "VOICE=Polly.Andres-Neural\n", encoding="utf-8")
    application = create_app({
        "IVR_ENV": "testing", "TWILIO_AUTH_TOKEN": TOKEN, "IVR_ENV_FILE": str(env_file),
        "VOICE": "Polly.Lupe-Neural", "SPOOL_DIR": str(tmp_path / "s")})
    settings = application.extensions["ivr"].settings
    assert settings.database_url.endswith(database_url.split("://", 1)[1])
    assert settings.fallback_numbers == ("+584140143913",)
    assert settings.voice == "Polly.Lupe-Neural"
    lines = ok(application.test_cli_runner(), "config")
    assert lines[0] == f"env file: {env_file}"
    rows = {line.split()[0]: line for line in lines[2:]}
    assert rows["FALLBACK_NUMBERS"].endswith(f"({env_file})")
    assert rows["VOICE"].endswith("(environment)")
    assert ok(application.test_cli_runner(), "analysts", "list") == []  # the file's database
    application.extensions["ivr"].engine.dispose()
