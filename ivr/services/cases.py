"""Cases: opened by phone from the first step of a report, found again by their number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ivr.domain.case_numbers import random_case_number
from ivr.services.directory import DirectoryError, KnownContact, company_id_by_name
from ivr.store.cases import update_case_status, update_case_visit
from ivr.store.tx import Q, Rec, Tx, as_tx

STATUSES = ("incomplete", "received", "in_progress", "visit_scheduled", "waiting_client",
            "resolved")
OPEN_STATUSES = tuple(s for s in STATUSES if s != "resolved")
RECORDING_FINAL = ("completed", "failed", "absent")
VISIT_STATUSES = ("proposed", "confirmed", "done", "cancelled")
# Visits a caller is told about: arranged and still to come.
VISIT_STATUSES_TOLD = (None, "proposed", "confirmed")
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


_LAST_SEQ = Q("SELECT MAX(origin_seq) FROM cases WHERE origin_call_sid = :sid")
_CASE_OF_REPORT = Q("SELECT * FROM cases WHERE origin_call_sid = :sid AND origin_seq = :seq")
# A clash on the number or on the report: no row comes back, and no error aborts the
# transaction (PostgreSQL would need a savepoint for that).
_NEW_CASE = Q(
    "INSERT INTO cases (number, status, company_id, contact_id, company_name, caller_name,"
    " caller_position, email, caller_number, origin_call_sid, origin_seq, out_of_hours, urgent,"
    " callback_state, due_at, created_at, updated_at)"
    " VALUES (:number, 'incomplete', :company_id, :contact_id, :company_name, :caller_name,"
    " :caller_position, :email, :caller_number, :sid, :seq, :out_of_hours, :urgent, 'pending',"
    " :due_at, :now, :now)"
    " ON CONFLICT DO NOTHING RETURNING *")
_CASE_BY_NUMBER = Q("SELECT * FROM cases WHERE number = :number")
_OPEN_CASES_OF_CALLER = Q(
    "SELECT * FROM cases WHERE caller_number = :phone AND status <> 'resolved'"
    " ORDER BY created_at DESC LIMIT :limit")
_COMPANY_OF_CONTACT = Q("SELECT company_id FROM contacts WHERE phone = :phone")
_SAVE_RECORDING = Q(
    "INSERT INTO recordings (recording_sid, call_sid, case_id, kind, url, duration, status,"
    " created_at, updated_at)"
    " VALUES (:sid, :call_sid, :case_id, :kind, :url, :duration, :status, :now, :now)"
    " ON CONFLICT (recording_sid) DO UPDATE SET"
    " case_id = COALESCE(recordings.case_id, excluded.case_id),"
    " url = COALESCE(excluded.url, recordings.url),"
    " duration = COALESCE(excluded.duration, recordings.duration),"
    " kind = CASE WHEN :kind_given THEN excluded.kind ELSE recordings.kind END,"
    # A final status (completed, failed, absent) is never replaced by in-progress.
    " status = CASE WHEN NOT :status_given THEN recordings.status"
    " WHEN excluded.status = 'in-progress'"
    " AND recordings.status IN ('completed', 'failed', 'absent') THEN recordings.status"
    " ELSE excluded.status END,"
    " updated_at = excluded.updated_at")


def next_report_seq(tx: Tx, call_sid: str) -> int:
    """The order number the next case opened in this call will have."""
    tx = as_tx(tx)
    return (tx.value(_LAST_SEQ, sid=call_sid) or 0) + 1


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
    tx = as_tx(tx)
    for attempt in range(NUMBER_ATTEMPTS):
        case = tx.row(
            _NEW_CASE, "cases",
            # A number already given to the caller (offline) is kept unless it is taken.
            number=number if number and attempt == 0 else random_case_number(),
            company_id=contact.company_id if contact else None,
            contact_id=contact.contact_id if contact else None,
            company_name=contact.company_name if contact else None,
            caller_name=contact.name if contact else None,
            caller_position=contact.position if contact else None,
            email=contact.email if contact else None,
            caller_number=caller_number, sid=call_sid, seq=seq,
            out_of_hours=out_of_hours, urgent=False, due_at=due_at,
            # From its first step a case waits for a callback (status 'pending'): a caller
            # who hangs up half-way is still called back (nothing is lost).
            now=now)
        if case is not None:
            return case
        # Nothing inserted: this report's case exists (a replay, or a concurrent one), or
        # the random number was taken (try another).
        existing = tx.row(_CASE_OF_REPORT, "cases", sid=call_sid, seq=seq)
        if existing is not None:
            return existing
    raise RuntimeError("could not allocate a case number")


def find_case(tx: Tx, number: str) -> Rec | None:
    """A case by its number."""
    tx = as_tx(tx)
    return tx.row(_CASE_BY_NUMBER, "cases", number=number)


def open_cases_of_caller(tx: Tx, phone: str | None, limit: int = 2) -> list[Rec]:
    """The caller's open cases (by caller ID), newest first."""
    tx = as_tx(tx)
    if not phone:
        return []
    return tx.rows(_OPEN_CASES_OF_CALLER, "cases", phone=phone, limit=limit)


def caller_may_hear_visit(tx: Tx, case, phone: str | None) -> bool:
    """Rule 7: visit date and cost only for a contact of the case's own company."""
    if not phone or case.company_id is None:
        return False
    return tx.value(_COMPANY_OF_CONTACT, phone=phone) == case.company_id


def view_for_caller(tx: Tx, case, phone: str | None) -> CaseView:
    """The case as this caller may hear it (rule 6: status to anyone with the number)."""
    tx = as_tx(tx)
    visit = (case.visit_at is not None and case.visit_status in VISIT_STATUSES_TOLD
             and caller_may_hear_visit(tx, case, phone))
    # A resolved case is not called back, whatever its queue state says.
    pending = case.callback_state == "pending" and case.status in OPEN_STATUSES
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
    tx = as_tx(tx)
    case = tx.get("cases", case_id)
    if case is None:
        return
    for name, value in values.items():
        setattr(case, name, value)
    case.updated_at = now


def set_company(tx: Tx, case_id: int, spoken_name: str, now: datetime) -> None:
    """Store the company as said, linked to a known company when the name matches."""
    tx = as_tx(tx)
    update_case(tx, case_id, now, company_name=spoken_name[:200],
                company_id=company_id_by_name(tx, spoken_name))


def complete_report(tx: Tx, case, now: datetime) -> None:
    """The report has all its steps: the case is received (never moves a case backwards)."""
    if case.status == "incomplete":
        case.status = "received"
        case.updated_at = now


def set_status(tx: Tx, case, status: str, now: datetime) -> Rec:
    """Set a case's status (operators); a resolved case leaves the callback queue. The case's
    row as written."""
    if status not in STATUSES:
        raise CaseError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    return update_case_status(tx, case.id, status, now, ends_callback=status == "resolved")


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
    visit_status = visit_status or case.visit_status or "proposed"
    status = case.status
    if visit_status in VISIT_STATUSES_TOLD and status != "resolved":
        status = "visit_scheduled"
    return update_case_visit(tx, case.id, at, cost.quantize(Decimal("0.01")), visit_status,
                             status, now)


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
    tx = as_tx(tx)
    tx.run(_SAVE_RECORDING, sid=recording_sid, call_sid=call_sid, case_id=case_id,
           kind=kind or "unknown", url=url, duration=duration,
           status=status or "in-progress", now=now,
           kind_given=bool(kind), status_given=bool(status))


def parse_duration(raw: str | None) -> int | None:
    """A RecordingDuration or CallDuration as seconds."""
    raw = (raw or "").strip()
    # ASCII digits only: "³".isdigit() is True, and int("³") raises.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else None
