"""Command line for operators and the coordinator: `flask --app wsgi <command>`."""

from __future__ import annotations

import logging
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from ivr.cli.call import call_command
from ivr.cli.cases import cases
from ivr.cli.common import command_transaction, state
from ivr.domain.business_hours import to_caracas
from ivr.domain.clock import utcnow
from ivr.domain.statuses import AnalystStatus
from ivr.services import directory
from ivr.services.callbacks import callback_made, callback_queue
from ivr.services.cases import find_case
from ivr.services.demo import demo_console_login, load_demo_data
from ivr.services.replay import replay_spool
from ivr.services.routing import reap_expired_leases
from ivr.store import analysts as analyst_rows
from ivr.store import directory as store
from ivr.store.schema import init_db
from ivr.store.spool import Spool


def _phone_shown(number: str) -> str:
    """Phones are shown to operators in full (never to callers)."""
    return number


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database, or upgrade it to the newest schema."""
    outcome = init_db(state().engine)
    with command_transaction() as tx:
        directory.seed_business_hours(tx)
    click.echo(f"database {outcome}")


@click.command("demo-data")
@with_appcontext
def demo_data_command():
    """Load the procedure's emergency contacts and a few clearly fake people and companies."""
    with command_transaction() as tx:
        added = load_demo_data(tx, utcnow())
        if state().settings.env == "development":
            login = demo_console_login(tx, current_app.extensions["passwords"], utcnow())
    click.echo(f"demo data: {added} rows added")
    if state().settings.env == "development":
        click.echo(f"console: http://127.0.0.1:5000/console/  {login[0]}  {login[1]}")


analysts = AppGroup("analysts", help="Analysts who take forwarded calls.")


@analysts.command("add")
@click.argument("name")
@click.argument("phone")
@click.option("--pin", help="4–8 digit PIN for the analyst phone menu.")
@click.option("--available", is_flag=True, help="Start available.")
def analysts_add(name, phone, pin, available):
    """Add an analyst."""
    with command_transaction() as tx:
        analyst = directory.add_analyst(tx, name, phone, pin, utcnow())
        if available:
            analyst = directory.set_analyst_status(tx, analyst, AnalystStatus.AVAILABLE, utcnow())
    click.echo(f"analyst {analyst.id} added: {analyst.name} {analyst.phone} {analyst.status}")


@analysts.command("list")
def analysts_list():
    """List analysts with their status."""
    with command_transaction() as tx:
        now = utcnow()
        for a in analyst_rows.all_analysts(tx):
            busy = " (on a call)" if a.lease_until and a.lease_until > now else ""
            click.echo(f"{a.id:>4}  {a.name:<30} {_phone_shown(a.phone):<16} {a.status}{busy}")


@analysts.command("set-status")
@click.argument("analyst")
@click.argument("status", type=click.Choice([s.value for s in directory.ANALYST_STATUSES]))
def analysts_set_status(analyst, status):
    """Set an analyst (id or phone) available, unavailable or away."""
    with command_transaction() as tx:
        found = directory.find_analyst(tx, analyst)
        directory.set_analyst_status(tx, found, status, utcnow())
    click.echo(f"analyst {found.id} is {status}")


emergency = AppGroup("emergency", help="Phones that take emergencies out of hours.")


@emergency.command("add")
@click.argument("name")
@click.argument("phone")
@click.option("--position", type=int, help="Place in the ringing order (1 first).")
def emergency_add(name, phone, position):
    """Add an emergency phone."""
    with command_transaction() as tx:
        contact = directory.add_emergency(tx, name, phone, position, utcnow())
    click.echo(f"emergency contact {contact.position}: {contact.name} {contact.phone}")


@emergency.command("list")
def emergency_list():
    """List emergency phones in ringing order."""
    with command_transaction() as tx:
        for c in store.emergency_contacts(tx):
            flag = "" if c.active else "  (inactive)"
            click.echo(f"{c.position:>3}  {c.name:<30} {c.phone}{flag}")


companies = AppGroup("companies", help="Client companies and their contracts.")


@companies.command("add")
@click.argument("name")
@click.option("--contract-hours", type=int, help="Contract response time, in business hours.")
def companies_add(name, contract_hours):
    """Add a client company."""
    with command_transaction() as tx:
        company = directory.add_company(tx, name, contract_hours, utcnow())
    click.echo(f"company {company.id} added: {company.name}")


contacts = AppGroup("contacts", help="People of client companies.")


@contacts.command("add")
@click.argument("company")
@click.argument("name")
@click.argument("phone")
@click.option("--position", help="Cargo.")
@click.option("--email")
def contacts_add(company, name, phone, position, email):
    """Add a contact the line recognises by caller ID."""
    with command_transaction() as tx:
        contact = directory.add_contact(tx, company, name, phone, position, email, utcnow())
    click.echo(f"contact {contact.id} added: {contact.name} {contact.phone}")


closures = AppGroup("closures", help="Days or hours the centre is closed by decision.")


@closures.command("add")
@click.argument("day")
@click.option("--from", "starts", help="Start time (HH:MM) of a part-day closure.")
@click.option("--to", "ends", help="End time (HH:MM) of a part-day closure.")
@click.option("--reason", required=True, help="Said to callers, in Spanish.")
def closures_add(day, starts, ends, reason):
    """Close the centre on DAY (YYYY-MM-DD), all day or --from/--to."""
    with command_transaction() as tx:
        closure = directory.add_closure(tx, day, starts, ends, reason, utcnow())
    span = f"{closure.starts}-{closure.ends}" if closure.starts else "all day"
    click.echo(f"closure {closure.id}: {closure.day} {span} ({closure.reason})")


@closures.command("list")
def closures_list():
    """List closures by date."""
    with command_transaction() as tx:
        for c in store.closures(tx):
            span = f"{c.starts}-{c.ends}" if c.starts else "all day"
            click.echo(f"{c.id:>4}  {c.day}  {span:<12} {c.reason}")


@closures.command("remove")
@click.argument("closure_id", type=int)
def closures_remove(closure_id):
    """Remove a closure by id."""
    with command_transaction() as tx:
        directory.remove_closure(tx, closure_id)
    click.echo(f"closure {closure_id} removed")


callbacks = AppGroup("callbacks", help="The callback queue (rules 4 and 8).")


@callbacks.command("list")
@click.option("--limit", type=click.IntRange(1, 10000), default=100)
def callbacks_list(limit):
    """Pending callbacks in queue order, with their due times (Caracas)."""
    with command_transaction() as tx:
        now = utcnow()
        for case, contract in callback_queue(tx, now, limit):
            due = to_caracas(case.due_at).strftime("%Y-%m-%d %H:%M") if case.due_at else "-"
            flags = ",".join(f for f, on in (("URGENT", case.urgent),
                                             ("OVERDUE", bool(case.due_at and case.due_at < now)),
                                             ("contract", contract)) if on)
            click.echo(f"{case.number}  due {due}  sev {case.severity or '-'}  "
                       f"{case.callback_number or case.caller_number or '-':<14} "
                       f"{(case.company_name or '-')[:30]:<30} {flags}")


@callbacks.command("done")
@click.argument("number")
def callbacks_done(number):
    """Mark a case's callback as made."""
    with command_transaction() as tx:
        case = find_case(tx, number)
        if case is None:
            raise directory.DirectoryError(f"no case {number!r}")
        if not callback_made(tx, case, utcnow()):
            raise directory.DirectoryError(f"case {number} has no pending callback")
    click.echo(f"callback for case {number} done")


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
    state = current_app.extensions["ivr"]
    try:
        applied = replay_spool(state.engine, Spool(state.settings.spool_dir), state.schedules,
                               state.settings)
    except SQLAlchemyError as error:
        click.echo(f"error: database unavailable ({type(error).__name__}); spool kept", err=True)
        sys.exit(1)
    click.echo(f"{applied} spooled request(s) replayed")


COMMANDS = (init_db_command, demo_data_command, analysts, emergency, companies, contacts,
            closures, callbacks, reap_command, spool_replay_command, cases,
            call_command)


def init_app(app) -> None:
    """Register the commands on the application."""
    for command in COMMANDS:
        app.cli.add_command(command)
