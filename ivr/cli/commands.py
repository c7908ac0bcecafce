"""Command line for operators and the coordinator: `flask --app wsgi <command>`.

The commands of each object are in ivr/cli/directory.py (analysts, emergency phones,
companies, contacts, closures) and ivr/cli/cases.py (cases, callbacks, recordings); here are
the database's own (init-db, demo-data, reap, spool-replay), the configuration and the health
check. `init_app` registers them all behind one guard (ivr/cli/common.py).
"""

from __future__ import annotations

import logging
import os

import click
from flask import current_app
from flask.cli import with_appcontext

from ivr.cli.call import call_command
from ivr.cli.cases import GROUPS as CASE_GROUPS
from ivr.cli.common import command_transaction, fail, guarded, state
from ivr.cli.directory import GROUPS as DIRECTORY_GROUPS
from ivr.cli.mailbox import mailbox
from ivr.cli.notices import notices
from ivr.cli.outbox import outbox
from ivr.cli.users import users
from ivr.config import describe_settings
from ivr.domain.clock import utcnow
from ivr.services import directory, health
from ivr.services.demo import demo_console_login, load_demo_data
from ivr.services.replay import replay_spool
from ivr.services.routing import reap_expired_leases
from ivr.services.skills import seed_skills
from ivr.store.engine import database_place, sqlite_file
from ivr.store.schema import init_db
from ivr.store.spool import Spool


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database, or upgrade it to the newest schema (the only command that may
    create one)."""
    outcome = init_db(state().engine)
    with command_transaction() as tx:
        directory.seed_business_hours(tx)
    click.echo(f"database {outcome}")


@click.command("demo-data")
@with_appcontext
def demo_data_command():
    """Load the procedure's emergency contacts and a few clearly fake people and companies
    (refused with IVR_ENV=production)."""
    with command_transaction() as tx:
        added = load_demo_data(tx, utcnow(), state().settings.env)
        seed_skills(tx, utcnow())
        if state().settings.env == "development":
            login = demo_console_login(tx, current_app.extensions["passwords"], utcnow())
    click.echo(f"demo data: {added} rows added")
    if state().settings.env == "development":
        click.echo(f"console: http://127.0.0.1:5000/console/  {login[0]}  {login[1]}")


@click.command("reap")
@with_appcontext
def reap_command():
    """Free analysts whose leases expired without a status callback (correctness needs no cron)."""
    with command_transaction() as tx:
        freed = reap_expired_leases(tx, utcnow())
    log = logging.getLogger("ivr.reap")
    for analyst_id, call_sid in freed:
        log.warning("lease expired: analyst %s, call %s", analyst_id, call_sid)
    click.echo(f"{len(freed)} expired lease(s) released")


@click.command("spool-replay")
@with_appcontext
def spool_replay_command():
    """Replay into the database what callers gave while it was unavailable."""
    app_state = state()
    applied = replay_spool(app_state.engine, Spool(app_state.settings.spool_dir),
                           app_state.schedules, app_state.settings)
    click.echo(f"{applied} spooled request(s) replayed")


@click.command("config")
@with_appcontext
def config_command():
    """Print the effective settings (secrets masked) and where each came from, and the
    database in use (without its password)."""
    settings = state().settings
    click.echo(f"env file: {settings.env_file or '- (IVR_ENV_FILE is not set)'}")
    place = database_place(settings.database_url)
    path = sqlite_file(settings.database_url)
    if path is not None and not os.path.exists(path):
        place += " (missing: run `flask --app wsgi init-db`)"
    click.echo(f"database: {place}")
    for name, value, origin in describe_settings(settings):
        click.echo(f"{name:<21} {value:<48} ({origin})")


@click.command("check")
@with_appcontext
def check_command():
    """Check what would fail a caller: the database, emergency phones, analysts, fallback
    phones, signatures behind a proxy, the spool, demo data in production. Exit 1 if any."""
    findings = health.check_line(state().engine, state().settings)
    for finding in findings:
        click.echo(f"{'ok' if finding.ok else 'FAIL':<5} {finding.check + ':':<11} "
                   f"{finding.text}")
    failed = health.failures(findings)
    if failed:
        fail(f"{len(failed)} check(s) failed: {', '.join(f.check for f in failed)}")


# Commands that check the database themselves (or need none).
WITHOUT_DATABASE = (init_db_command, config_command, check_command, call_command)
COMMANDS = (init_db_command, demo_data_command, *DIRECTORY_GROUPS, reap_command,
            spool_replay_command, *CASE_GROUPS, config_command, check_command, call_command,
            users, outbox, notices, mailbox)


def init_app(app) -> None:
    """Register the commands on the application, each behind the guard."""
    for command in COMMANDS:
        app.cli.add_command(guarded(command, needs_database=command not in WITHOUT_DATABASE))
