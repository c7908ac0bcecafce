"""Operators' commands for cases, the callback queue and recordings:
`flask --app wsgi cases list|show|visit|set-status|link|note`, `callbacks list|done`,
`recordings get`."""

from __future__ import annotations

import os
from datetime import datetime

import click
from flask.cli import AppGroup

from ivr.cli.common import command_transaction, fail, state, warn
from ivr.domain.business_hours import to_caracas
from ivr.domain.clock import utcnow
from ivr.domain.statuses import CALLBACK_OUTCOMES, CallbackOutcome, CallbackState
from ivr.services import cases as domain
from ivr.services import casework
from ivr.services.callbacks import callback_queue, record_callback
from ivr.services.recordings import fetch_recordings
from ivr.store.models import Case
from ivr.store.tx import Rec

cases = AppGroup("cases", help="Cases opened by phone: list, show, visits, status, links, notes.")

# Columns `cases show` prints as names (the row they refer to), not as ids.
NAMED_COLUMNS = {"company_id": "company", "contact_id": "contact",
                 "assigned_analyst_id": "assigned_analyst"}


def shown(value) -> str:
    """A stored value as operators read it: times in Caracas, nothing as '-'."""
    if value is None or value == "":
        return "-"
    if isinstance(value, datetime):
        return to_caracas(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def summary(case: Rec) -> str:
    """One listing line of a case."""
    link = "  [to link]" if case.company_to_link else ""
    return (f"{case.number}  {shown(case.created_at)}  {case.status:<15} "
            f"sev {shown(case.severity)}  {shown(case.company_name)}  "
            f"{shown(case.caller_name)}{link}")


@cases.command("list")
@click.option("--status", help=f"Only cases in this status ({', '.join(domain.STATUSES)}).")
@click.option("--company", help="Only cases of companies whose name contains this.")
@click.option("--since", help="Opened on or after this day (YYYY-MM-DD, Caracas).")
@click.option("--until", help="Opened on or before this day (YYYY-MM-DD, Caracas).")
def cases_list(status, company, since, until):
    """List cases, newest first."""
    with command_transaction() as tx:
        for case in casework.list_cases(tx, status=status, company=company, since=since,
                                        until=until):
            click.echo(summary(case))


@cases.command("show")
@click.argument("number")
def cases_show(number):
    """Show every field of a case, its recordings and calls back (phones included: operators
    only). Recordings are listed by SID and length: `recordings get` fetches them."""
    with command_transaction() as tx:
        details = casework.case_details(tx, casework.require_case(tx, number))
    case = details.case
    names = {"company_id": details.company, "contact_id": details.contact,
             "assigned_analyst_id": details.analyst}
    for column in Case.__table__.columns:
        value = getattr(case, column.key)
        key = column.key
        if key in NAMED_COLUMNS:
            key, value = NAMED_COLUMNS[key], names[key]
        elif column.type.python_type is bool and value is not None:
            value = bool(value)  # SQLite gives 0 or 1
        if key == "notes" and value:
            click.echo("notes:")
            for line in str(value).splitlines():
                click.echo(f"  {line}")
            continue
        click.echo(f"{key + ':':<23} {shown(value)}")
    click.echo(f"recordings:             {len(details.recordings)}")
    for rec in details.recordings:
        length = f"{rec.duration}s" if rec.duration is not None else "-s"
        click.echo(f"  {rec.recording_sid}  {rec.kind:<12} {rec.status:<12} {length:>6}  "
                   f"{shown(rec.created_at)}")
    click.echo(f"callback attempts:      {len(details.attempts)}")
    for attempt in details.attempts:
        note = f"  {attempt.note}" if attempt.note else ""
        click.echo(f"  {shown(attempt.created_at)}  {attempt.outcome}{note}")


@cases.command("visit")
@click.argument("number")
@click.option("--at", "at", help='When (Caracas time), "YYYY-MM-DD HH:MM". Required.')
@click.option("--cost", help="Cost estimate, e.g. 45.00 or 45,00. Required.")
@click.option("--status", "visit_status",
              help=f"The visit's status ({', '.join(domain.VISIT_STATUSES)}).")
def cases_visit(number, at, cost, visit_status):
    """Arrange a visit for a case (rule 7): the case becomes visit_scheduled unless resolved."""
    with command_transaction() as tx:
        case = casework.arrange_visit(tx, casework.require_case(tx, number), at, cost,
                                      visit_status, utcnow())
        warnings = casework.visit_warnings(state().schedules.get(tx), case.visit_at)
        line = (f"case {case.number}: visit {shown(case.visit_at)} (Caracas), cost "
                f"{case.visit_cost}, {case.visit_status}; case {case.status}")
    click.echo(line)
    for message in warnings:
        warn(message)


@cases.command("set-status")
@click.argument("number")
@click.argument("status")
def cases_set_status(number, status):
    """Set a case's status (resolved also ends a pending callback)."""
    with command_transaction() as tx:
        case = domain.set_status(tx, casework.require_case(tx, number), status, utcnow())
        line = f"case {case.number} is {case.status}"
    click.echo(line)


@cases.command("link")
@click.argument("number")
@click.option("--company", help="The registered company (id, name or alias).")
@click.option("--contact", help="The registered contact who called (id, phone or name).")
def cases_link(number, company, contact):
    """Link a case to its company (and contact) when the line could not: the contract's
    response time then applies to its callback."""
    with command_transaction() as tx:
        case = casework.link_case(tx, state().schedules.get(tx),
                                  casework.require_case(tx, number), company, contact, utcnow())
        details = casework.case_details(tx, case)
    who = f", contact {details.contact}" if details.contact else ""
    pending = case.callback_state == CallbackState.PENDING
    due = f"; callback due {shown(case.due_at)}" if pending else ""
    click.echo(f"case {case.number} linked to {details.company}{who}{due}")


@cases.command("note")
@click.argument("number")
@click.argument("text")
def cases_note(number, text):
    """Add a note to a case (stamped with the time, Caracas)."""
    with command_transaction() as tx:
        case = casework.add_note(tx, casework.require_case(tx, number), text, utcnow())
    click.echo(f"case {case.number}: {case.notes.splitlines()[-1]}")


# --- the callback queue ------------------------------------------------------------------------

callbacks = AppGroup("callbacks", help="The callback queue (rules 4 and 8).")


@callbacks.command("list")
@click.option("--limit", type=click.IntRange(1, 10000), default=100)
def callbacks_list(limit):
    """Pending callbacks in queue order, with their due times (Caracas) and calls back made."""
    with command_transaction() as tx:
        now = utcnow()
        for case, contract in callback_queue(tx, now, limit):
            due = to_caracas(case.due_at).strftime("%Y-%m-%d %H:%M") if case.due_at else "-"
            flags = ",".join(f for f, on in (("URGENT", case.urgent),
                                             ("OVERDUE", bool(case.due_at and case.due_at < now)),
                                             ("contract", contract)) if on)
            tried = f"tried {case.attempts}" if case.attempts else "-"
            click.echo(f"{case.number}  due {due}  sev {case.severity or '-'}  "
                       f"{case.callback_number or case.caller_number or '-':<14} "
                       f"{(case.company_name or '-')[:30]:<30} {tried:<8} {flags or '-'}")


@callbacks.command("done")
@click.argument("number")
@click.option("--outcome", type=click.Choice([str(o) for o in CALLBACK_OUTCOMES]),
              default=str(CallbackOutcome.SPOKE), show_default=True,
              help="How the call back went: only 'spoke' takes the case off the queue.")
@click.option("--note", help="What was said or tried (kept with the attempt).")
def callbacks_done(number, outcome, note):
    """Record a call back to a case's client."""
    with command_transaction() as tx:
        done = record_callback(tx, casework.require_case(tx, number), outcome, note, utcnow())
    if done.closed:
        click.echo(f"callback for case {number} done")
    else:
        click.echo(f"case {number}: {outcome} recorded, callback still pending "
                   f"({done.attempts} attempt(s))")


# --- recordings --------------------------------------------------------------------------------

recordings = AppGroup("recordings", help="A case's recordings, fetched from Twilio.")


@recordings.command("get")
@click.argument("number")
@click.option("--dir", "directory", default=".", show_default=True,
              help="Where to save them (created, private to your user).")
def recordings_get(number, directory):
    """Download a case's recordings with the account's credentials (TWILIO_ACCOUNT_SID and
    TWILIO_AUTH_TOKEN), as mp3 files readable only by you."""
    with command_transaction() as tx:
        case = casework.require_case(tx, number)
        found = casework.recordings(tx, case)
    if not found:
        click.echo(f"case {case.number} has no recordings")
        return
    settings = state().settings
    results = fetch_recordings(case, found, directory, api_url=settings.twilio_api_url,
                               account_sid=settings.twilio_account_sid,
                               token=str(settings.twilio_auth_token))
    missing = 0
    for result in results:
        sid = result.recording.recording_sid
        if result.path is not None:
            size = os.path.getsize(result.path)
            extra = f" ({result.problem})" if result.problem else ""
            click.echo(f"{sid}  {result.recording.kind:<12} {size:>9} bytes  "
                       f"{result.path}{extra}")
        else:
            missing += 1
            click.echo(f"{sid}  {result.recording.kind:<12} not saved: {result.problem}")
    if missing:
        fail(f"{missing} of {len(results)} recording(s) of case {case.number} not saved "
             "(see above)")


GROUPS = (cases, callbacks, recordings)
