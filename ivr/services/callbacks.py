"""The callback queue: due times in business hours, by contract and severity (rules 4, 8)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case as sql_case
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.domain.business_hours import Schedule, to_naive_utc
from ivr.services.cases import CALLBACK_PENDING, callbacks_waiting, change_case
from ivr.services.directory import contract_hours
from ivr.store.models import Case, Company
from ivr.store.tx import Rec, Tx

# Business hours to call back, by severity: 1 operation stopped, 2 partly affected, 3 a question.
SEVERITY_HOURS = {1: 2, 2: 4, 3: 8}
UNKNOWN_SEVERITY_HOURS = 4
URGENT_HOURS = 1


def due_time(
    schedule: Schedule,
    start: datetime,
    severity: int | None,
    contract_hours: int | None,
    urgent: bool = False,
) -> datetime:
    """When a callback is due: the contract's response time or the severity's, whichever first."""
    hours = SEVERITY_HOURS.get(severity, UNKNOWN_SEVERITY_HOURS)
    if contract_hours:
        hours = min(hours, contract_hours)
    if urgent:
        hours = min(hours, URGENT_HOURS)
    return to_naive_utc(schedule.add_business_hours(start, hours))


def first_due_time(schedule: Schedule, contact, now: datetime) -> datetime:
    """When the callback of a case opened now by this caller (a KnownContact or None) is due:
    what schedule_callback would set, known before the case is written."""
    return due_time(schedule, now, None, contact.contract_hours if contact else None)


def schedule_callback(tx: Tx, schedule: Schedule, case: Rec, now: datetime, **changes) -> Rec:
    """Put a case in the callback queue with its due time (counted from when it was opened),
    writing `changes` to it in the same step; the case as it is now."""
    case = case.replace(**changes)
    contract = contract_hours(tx, case.company_id) if case.company_id is not None else None
    return change_case(tx, case, now, **changes, callback_state=CALLBACK_PENDING,
                       due_at=due_time(schedule, case.created_at, case.severity, contract,
                                       case.urgent))


def callback_queue(session: Session, now: datetime, limit: int = 100) -> list[tuple[Case, bool]]:
    """Pending callbacks in order: urgent, overdue, contract clients, severity, age."""
    contract = Company.contract_hours.is_not(None)
    overdue = sql_case((Case.due_at < now, 0), else_=1)
    rows = session.execute(
        select(Case, contract)
        .outerjoin(Company, Company.id == Case.company_id)
        .where(Case.callback_state == "pending")
        .order_by(
            sql_case((Case.urgent.is_(True), 0), else_=1),
            overdue,
            sql_case((contract, 0), else_=1),
            sql_case((Case.severity.is_(None), 2), else_=Case.severity),
            Case.created_at,
        )
        .limit(limit)
    ).all()
    return [(case, bool(has_contract)) for case, has_contract in rows]


def callbacks_due_count(tx: Tx, now: datetime) -> int:
    """How many callbacks wait now (for the analyst phone menu)."""
    return callbacks_waiting(tx)
