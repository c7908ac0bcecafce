"""The callback queue: due times in business hours, by contract and severity (rules 4, 8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ivr.domain.business_hours import Schedule, to_naive_utc
from ivr.domain.statuses import CALLBACK_OUTCOMES, CallbackOutcome
from ivr.domain.text import check_text
from ivr.services.cases import CALLBACK_PENDING, CaseError, callbacks_waiting, change_case
from ivr.services.directory import contract_hours
from ivr.store.callbacks import (
    attempts_of_case,
    insert_attempt,
    mark_callback_made,
    pending_callbacks,
)
from ivr.store.tx import Rec, Tx

# Business hours to call back, by severity: 1 operation stopped, 2 partly affected, 3 a question.
SEVERITY_HOURS = {1: 2, 2: 4, 3: 8}
UNKNOWN_SEVERITY_HOURS = 4
# An urgent case (an emergency message) is due this long after it was opened, at any hour:
# not counted in business hours (URGENT_CALLBACK_MINUTES).
URGENT_CALLBACK_MINUTES = 60


def due_time(
    schedule: Schedule,
    start: datetime,
    severity: int | None,
    contract_hours: int | None,
    urgent: bool = False,
    urgent_minutes: int = URGENT_CALLBACK_MINUTES,
) -> datetime:
    """When a callback is due: the contract's response time or the severity's, whichever first
    (in business hours); an urgent one within `urgent_minutes` of `start`, at any hour."""
    hours = SEVERITY_HOURS.get(severity, UNKNOWN_SEVERITY_HOURS)
    if contract_hours:
        hours = min(hours, contract_hours)
    due = to_naive_utc(schedule.add_business_hours(start, hours))
    if urgent:
        due = min(due, to_naive_utc(start) + timedelta(minutes=urgent_minutes))
    return due


def first_due_time(schedule: Schedule, contact, now: datetime) -> datetime:
    """When the callback of a case opened now by this caller (a KnownContact or None) is due:
    what schedule_callback would set, known before the case is written."""
    return due_time(schedule, now, None, contact.contract_hours if contact else None)


def schedule_callback(tx: Tx, schedule: Schedule, case: Rec, now: datetime, *,
                      urgent_minutes: int = URGENT_CALLBACK_MINUTES, **changes) -> Rec:
    """Put a case in the callback queue with its due time (counted from when it was opened),
    writing `changes` to it in the same step; the case as it is now."""
    case = case.replace(**changes)
    contract = contract_hours(tx, case.company_id) if case.company_id is not None else None
    return change_case(tx, case, now, **changes, callback_state=CALLBACK_PENDING,
                       due_at=due_time(schedule, case.created_at, case.severity, contract,
                                       case.urgent, urgent_minutes))


def callback_queue(tx: Tx, now: datetime, limit: int = 100) -> list[tuple[Rec, bool]]:
    """Pending callbacks in order: urgent, overdue, contract clients, severity, age; each case
    (with `attempts`, the calls back made so far) with whether its company has a contract."""
    return [(case, bool(case.has_contract)) for case in pending_callbacks(tx, now, limit)]


def callback_made(tx: Tx, case, now: datetime) -> bool:
    """Mark a case's pending callback as made; False when it had none pending."""
    return mark_callback_made(tx, case.id, now)


def callbacks_due_count(tx: Tx, now: datetime) -> int:
    """How many callbacks wait now (for the analyst phone menu)."""
    return callbacks_waiting(tx)


@dataclass(frozen=True)
class CallbackAttempt:
    """A call back recorded: the attempt's row, whether it closed the callback, and how many
    calls back the case has had."""

    attempt: Rec
    closed: bool
    attempts: int


def record_callback(tx: Tx, case: Rec, outcome: str, note: str | None,
                    now: datetime) -> CallbackAttempt:
    """A specialist called the client back: record how it went. Only `spoke` ends the
    callback; no answer, a voicemail or a wrong number leave it pending, counted."""
    if outcome not in CALLBACK_OUTCOMES:
        raise CaseError(f"--outcome must be one of {', '.join(CALLBACK_OUTCOMES)}, "
                        f"not {outcome!r}")
    if note is not None:
        note = check_text(note, "--note").strip() or None
    if case.callback_state != CALLBACK_PENDING:
        raise CaseError(f"case {case.number} has no pending callback")
    attempt = insert_attempt(tx, case.id, outcome, note, now)
    closed = outcome == CallbackOutcome.SPOKE
    if closed:
        mark_callback_made(tx, case.id, now)
    return CallbackAttempt(attempt, closed, len(attempts_of_case(tx, case.id)))


def callback_attempts(tx: Tx, case: Rec) -> list[Rec]:
    """A case's calls back, oldest first."""
    return attempts_of_case(tx, case.id)
