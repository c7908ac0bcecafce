"""Cases: opened by phone from the first step of a report, found again by their number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ivr.domain.case_numbers import random_case_number
from ivr.domain.statuses import (
    CASE_STATUSES,
    OPEN_CASE_STATUSES,
    VISIT_STATUSES,
    VISIT_STATUSES_TOLD,
    CallbackState,
    CaseStatus,
    RecordingKind,
    RecordingStatus,
    VisitStatus,
)
from ivr.services import confirmations
from ivr.services.company_match import spoken_company
from ivr.services.directory import (
    DirectoryError,
    KnownContact,
    company_of_contact_phone,
)
from ivr.store import cases
from ivr.store.tx import Rec, Tx

INCOMPLETE, RECEIVED = CaseStatus.INCOMPLETE, CaseStatus.RECEIVED
IN_PROGRESS = CaseStatus.IN_PROGRESS
VISIT_SCHEDULED, RESOLVED = CaseStatus.VISIT_SCHEDULED, CaseStatus.RESOLVED
STATUSES, OPEN_STATUSES = CASE_STATUSES, OPEN_CASE_STATUSES
CALLBACK_PENDING, CALLBACK_DONE = CallbackState.PENDING, CallbackState.DONE
RECORDING_IN_PROGRESS = RecordingStatus.IN_PROGRESS
MAX_VISIT_COST = Decimal("9999999999.99")  # Numeric(12, 2)
NUMBER_ATTEMPTS = 20


class CaseError(DirectoryError):
    """Operator input about a case that cannot be stored."""


@dataclass(frozen=True)
class CaseView:
    """What a caller may hear about a case."""

    number: str
    status: str
    visit_at: datetime | None
    visit_cost: object | None
    due_at: datetime | None
    callback_pending: bool


def next_report_seq(tx: Tx, call_sid: str) -> int:
    """The order number the next case opened in this call will have."""
    return cases.last_report_seq(tx, call_sid) + 1


def report_seq_for_menu(tx: Tx, call) -> int:
    """The report a menu's "2" opens: the call's own report still incomplete, if it has one
    (a retried menu request, or a second "2" before the first report ended, carries on with
    it), else the next one."""
    if call.case_id is not None:
        case = get_case(tx, call.case_id)
        if case is not None and case.origin_call_sid == call.call_sid and \
                case.status == INCOMPLETE:
            return case.origin_seq
    return next_report_seq(tx, call.call_sid)


def open_case(
    tx: Tx,
    call_sid: str,
    seq: int,
    caller_number: str | None,
    contact: KnownContact | None,
    out_of_hours: bool,
    now: datetime,
    number: str | None = None,
    due_at: datetime | None = None,
) -> Rec:
    """The case of report `seq` of a call: created once, found again on every replay.

    `due_at`: when its callback is due, if known already (saves writing the case twice)."""
    for attempt in range(NUMBER_ATTEMPTS):
        case = cases.insert(
            tx,
            # A number already given to the caller (offline) is kept unless it is taken.
            number=number if number and attempt == 0 else random_case_number(),
            status=INCOMPLETE,
            company_id=contact.company_id if contact else None,
            contact_id=contact.contact_id if contact else None,
            company_name=contact.company_name if contact else None,
            caller_name=contact.name if contact else None,
            caller_position=contact.position if contact else None,
            email=contact.email if contact else None,
            caller_number=caller_number, sid=call_sid, seq=seq,
            out_of_hours=out_of_hours, urgent=False, due_at=due_at,
            # From its first step a case waits for a callback (state pending): a caller who
            # hangs up half-way is still called back (nothing is lost).
            callback_state=CALLBACK_PENDING, now=now,
            # Who the caller is came from the caller ID (a hint): analysts see it marked.
            prefilled=contact is not None)
        if case is not None:
            return case
        # Nothing inserted: this report's case exists (a replay, or a concurrent one), or
        # the random number was taken (try another).
        existing = cases.of_report(tx, call_sid, seq)
        if existing is not None:
            return existing
    raise RuntimeError("could not allocate a case number")


def find_case(tx: Tx, number: str) -> Rec | None:
    """A case by its number."""
    return cases.by_number(tx, number)


def get_case(tx: Tx, case_id: int | None) -> Rec | None:
    """A case by id."""
    return cases.get(tx, case_id)


def open_cases_of_caller(tx: Tx, phone: str | None, limit: int = 2) -> list[Rec]:
    """The caller's open cases (by caller ID), newest first."""
    if not phone:
        return []
    return cases.open_of_caller(tx, phone, RESOLVED, limit)


def caller_may_hear_visit(tx: Tx, case, phone: str | None) -> bool:
    """Rule 7: visit date and cost only for a contact of the case's own company."""
    if not phone or case.company_id is None:
        return False
    return company_of_contact_phone(tx, phone) == case.company_id


def view_for_caller(tx: Tx, case, phone: str | None) -> CaseView:
    """The case as this caller may hear it (rule 6: status to anyone with the number)."""
    visit = (case.visit_at is not None and case.visit_status in VISIT_STATUSES_TOLD
             and caller_may_hear_visit(tx, case, phone))
    # A resolved case is not called back, whatever its queue state says.
    pending = case.callback_state == CALLBACK_PENDING and case.status in OPEN_STATUSES
    return CaseView(
        number=case.number,
        status=case.status,
        visit_at=case.visit_at if visit else None,
        visit_cost=case.visit_cost if visit else None,
        due_at=case.due_at if pending else None,
        callback_pending=pending,
    )


def update_case(tx: Tx, case_id: int, now: datetime, **values) -> None:
    """Set some fields of a case (idempotent: a replay sets the same values)."""
    cases.update(tx, case_id, **values, updated_at=now)


def change_case(tx: Tx, case: Rec, now: datetime, **values) -> Rec:
    """Write some fields of a case now; the case as it is after the change."""
    if not values:
        return case
    values["updated_at"] = now
    cases.update(tx, case.id, **values)
    return case.replace(**values)


def set_company(tx: Tx, case_id: int, spoken_name: str, now: datetime) -> None:
    """Store the company as said, linked to the registered company it names (accents, legal
    forms, aliases and small slips of speech recognition forgiven); when two or more could
    be meant, the case is marked for an analyst to link."""
    match = spoken_company(tx, spoken_name)
    update_case(tx, case_id, now, company_name=spoken_name[:200], company_id=match.company_id,
                company_to_link=True if match.unsure else None)


def completed_status(case) -> dict:
    """The change that marks a report complete: received (never moves a case backwards)."""
    return {"status": RECEIVED} if case.status == INCOMPLETE else {}


def taken_by(case, analyst_id: int | None) -> dict:
    """The changes when an analyst (or an emergency phone) accepts the case's call."""
    changes: dict = {"callback_state": CALLBACK_DONE}
    if analyst_id is not None and case.assigned_analyst_id is None:
        changes["assigned_analyst_id"] = analyst_id
    if case.status in (INCOMPLETE, RECEIVED):
        changes["status"] = IN_PROGRESS
    return changes


def callbacks_waiting(tx: Tx) -> int:
    """How many callbacks wait now (for the analyst phone menu)."""
    return cases.count_by_callback_state(tx, CALLBACK_PENDING)


def set_status(tx: Tx, case, status: str, now: datetime) -> Rec:
    """Set a case's status (operators); a resolved case leaves the callback queue. The case's
    row as written."""
    if status not in STATUSES:
        raise CaseError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    changes = {"status": status}
    if status == RESOLVED and case.callback_state == CALLBACK_PENDING:
        changes["callback_state"] = CALLBACK_DONE
    after = change_case(tx, case, now, **changes)
    confirmations.status_changed(tx, case, after, now)
    return after


def schedule_visit(
    tx: Tx,
    case,
    at: datetime,
    cost: Decimal,
    visit_status: str | None,
    now: datetime,
) -> Rec:
    """Arrange a visit (rule 7): when (naive UTC), the cost estimate and the visit's status.
    The case's row as written."""
    if visit_status is not None and visit_status not in VISIT_STATUSES:
        raise CaseError(f"visit status must be one of {', '.join(VISIT_STATUSES)}, "
                        f"not {visit_status!r}")
    if not cost.is_finite() or cost < 0 or cost > MAX_VISIT_COST:
        raise CaseError(f"cost {cost} must be a positive amount below {MAX_VISIT_COST}")
    visit_status = visit_status or case.visit_status or VisitStatus.PROPOSED
    changes = {"visit_at": at, "visit_cost": cost.quantize(Decimal("0.01")),
               "visit_status": visit_status}
    if visit_status in VISIT_STATUSES_TOLD and case.status != RESOLVED:
        changes["status"] = VISIT_SCHEDULED
    after = change_case(tx, case, now, **changes)
    confirmations.visit_changed(tx, case, after, now)
    return after


def save_recording(
    tx: Tx,
    recording_sid: str,
    call_sid: str,
    now: datetime,
    *,
    case_id: int | None = None,
    kind: str | None = None,
    url: str | None = None,
    duration: int | None = None,
    status: str | None = None,
) -> None:
    """Store what one request knows of a recording; the action and callbacks merge, any order."""
    cases.save_recording(tx, sid=recording_sid, call_sid=call_sid, case_id=case_id, kind=kind,
                         url=url, duration=duration, status=status,
                         passing=RECORDING_IN_PROGRESS, unknown_kind=RecordingKind.UNKNOWN, now=now)


def parse_duration(raw: str | None) -> int | None:
    """A RecordingDuration or CallDuration as seconds."""
    raw = (raw or "").strip()
    # ASCII digits only: "³".isdigit() is True, and int("³") raises.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else None
