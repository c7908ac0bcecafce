"""Operators' commands for cases: `flask --app wsgi cases list|show|visit|set-status`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

import click
from flask.cli import AppGroup

from ivr.cli.common import command_transaction
from ivr.domain.business_hours import CARACAS, to_caracas, to_naive_utc
from ivr.domain.clock import utcnow
from ivr.services import cases as domain
from ivr.services.directory import name_key
from ivr.store.cases import list_cases, recordings_of_case
from ivr.store.models import Case
from ivr.store.tx import Rec, Tx

cases = AppGroup("cases", help="Cases opened by phone: list, show, visits and status.")


def shown(value) -> str:
    """A stored value as operators read it: times in Caracas, nothing as '-'."""
    if value is None or value == "":
        return "-"
    if isinstance(value, datetime):
        return to_caracas(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def parse_day(text: str, option: str) -> date:
    """A YYYY-MM-DD date given to an option."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise domain.CaseError(f"{option} {text!r} is not a date like 2026-12-07") from None


def day_start(day: date) -> datetime:
    """Midnight of a Caracas day, as stored (naive UTC)."""
    return to_naive_utc(datetime.combine(day, time(0), tzinfo=CARACAS))


def find(tx: Tx, number: str) -> Rec:
    """The case with this number, or an error naming it."""
    case = domain.find_case(tx, number.strip())
    if case is None:
        raise domain.CaseError(f"no case {number!r}")
    return case


def summary(case: Rec) -> str:
    """One listing line of a case."""
    return (f"{case.number}  {shown(case.created_at)}  {case.status:<15} "
            f"sev {shown(case.severity)}  {shown(case.company_name)}  {shown(case.caller_name)}")


@cases.command("list")
@click.option("--status", help=f"Only cases in this status ({', '.join(domain.STATUSES)}).")
@click.option("--company", help="Only cases of companies whose name contains this.")
@click.option("--since", help="Opened on or after this day (YYYY-MM-DD, Caracas).")
@click.option("--until", help="Opened on or before this day (YYYY-MM-DD, Caracas).")
def cases_list(status, company, since, until):
    """List cases, newest first."""
    with command_transaction() as tx:
        if status is not None and status not in domain.STATUSES:
            raise domain.CaseError(
                f"status must be one of {', '.join(domain.STATUSES)}, not {status!r}")
        key = text = None
        if company is not None:
            key = name_key(company)
            if not key:
                raise domain.CaseError("--company is empty")
            text = company.strip().lower()
        first = parse_day(since, "--since") if since is not None else None
        last = parse_day(until, "--until") if until is not None else None
        if first and last and first > last:
            raise domain.CaseError("--since must not be after --until")
        for case in list_cases(
                tx, status=status, company_key=key, company_text=text,
                since=day_start(first) if first else None,
                until=day_start(last + timedelta(days=1)) if last else None):
            click.echo(summary(case))


@cases.command("show")
@click.argument("number")
def cases_show(number):
    """Show every field of a case and its recordings (phones included: operators only)."""
    with command_transaction() as tx:
        case = find(tx, number)
        for column in Case.__table__.columns:
            value = getattr(case, column.key)
            if column.type.python_type is bool and value is not None:
                value = bool(value)  # SQLite gives 0 or 1
            click.echo(f"{column.key + ':':<20} {shown(value)}")
        recordings = recordings_of_case(tx, case.id)
        click.echo(f"recordings:          {len(recordings)}")
        for rec in recordings:
            click.echo(f"  {rec.recording_sid}  {rec.kind:<12} {rec.status:<12} "
                       f"{shown(rec.duration)}s  {shown(rec.url)}  {shown(rec.created_at)}")


@cases.command("visit")
@click.argument("number")
@click.option("--at", "at", help='When (Caracas time), "YYYY-MM-DD HH:MM". Required.')
@click.option("--cost", help="Cost estimate, e.g. 45.00. Required.")
@click.option("--status", "visit_status",
              help=f"The visit's status ({', '.join(domain.VISIT_STATUSES)}).")
def cases_visit(number, at, cost, visit_status):
    """Arrange a visit for a case (rule 7): the case becomes visit_scheduled unless resolved."""
    with command_transaction() as tx:
        case = find(tx, number)
        if at is None or cost is None:
            raise domain.CaseError("give both --at and --cost")
        try:
            local = datetime.strptime(at.strip(), "%Y-%m-%d %H:%M")
        except ValueError:
            raise domain.CaseError(f"--at {at!r} is not a time like 2026-12-09 10:00") from None
        try:
            amount = Decimal(cost.strip())
        except InvalidOperation:
            raise domain.CaseError(f"--cost {cost!r} is not an amount like 45.00") from None
        case = domain.schedule_visit(tx, case, to_naive_utc(local.replace(tzinfo=CARACAS)),
                                     amount, visit_status, utcnow())
        line = (f"case {case.number}: visit {shown(case.visit_at)} (Caracas), cost "
                f"{case.visit_cost}, {case.visit_status}; case {case.status}")
    click.echo(line)


@cases.command("set-status")
@click.argument("number")
@click.argument("status")
def cases_set_status(number, status):
    """Set a case's status (resolved also ends a pending callback)."""
    with command_transaction() as tx:
        case = domain.set_status(tx, find(tx, number), status, utcnow())
        line = f"case {case.number} is {case.status}"
    click.echo(line)
