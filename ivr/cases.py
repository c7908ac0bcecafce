"""Cases: opened by phone from the first step of a report, found again by their number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.case_numbers import random_case_number
from ivr.directory import DirectoryError, KnownContact, find_company
from ivr.models import Case, Contact, Recording

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


def next_report_seq(session: Session, call_sid: str) -> int:
    """The order number the next case opened in this call will have."""
    last = session.scalar(select(func.max(Case.origin_seq)).where(Case.origin_call_sid == call_sid))
    return (last or 0) + 1


def open_case(
    session: Session,
    call_sid: str,
    seq: int,
    caller_number: str | None,
    contact: KnownContact | None,
    out_of_hours: bool,
    now: datetime,
    number: str | None = None,
) -> Case:
    """The case of report `seq` of a call: created once, found again on every replay."""
    existing = session.scalars(
        select(Case).where(Case.origin_call_sid == call_sid, Case.origin_seq == seq)
    ).first()
    if existing is not None:
        return existing
    for attempt in range(NUMBER_ATTEMPTS):
        case = Case(
            # A number already given to the caller (offline) is kept unless it is taken.
            number=number if number and attempt == 0 else random_case_number(),
            status="incomplete",
            company_id=contact.company_id if contact else None,
            contact_id=contact.contact_id if contact else None,
            company_name=contact.company_name if contact else None,
            caller_name=contact.name if contact else None,
            caller_position=contact.position if contact else None,
            email=contact.email if contact else None,
            caller_number=caller_number,
            origin_call_sid=call_sid,
            origin_seq=seq,
            out_of_hours=out_of_hours,
            urgent=False,
            # From its first step a case waits for a callback: a caller who hangs up
            # half-way is still called back (nothing is lost).
            callback_state="pending",
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(case)
            return case
        except IntegrityError:
            # Either the random number was taken (try another) or a concurrent replay of
            # this same step created the case first (use it).
            existing = session.scalars(
                select(Case).where(Case.origin_call_sid == call_sid, Case.origin_seq == seq)
            ).first()
            if existing is not None:
                return existing
    raise RuntimeError("could not allocate a case number")


_CASE_BY_NUMBER = select(Case).where(Case.number == bindparam("number"))  # built once


def find_case(session: Session, number: str) -> Case | None:
    """A case by its number."""
    return session.scalars(_CASE_BY_NUMBER, {"number": number}).first()


def open_cases_of_caller(session: Session, phone: str | None, limit: int = 2) -> list[Case]:
    """The caller's open cases (by caller ID), newest first."""
    if not phone:
        return []
    return list(session.scalars(
        select(Case)
        .where(Case.caller_number == phone, Case.status.in_(OPEN_STATUSES))
        .order_by(Case.created_at.desc())
        .limit(limit)
    ))


def caller_may_hear_visit(session: Session, case: Case, phone: str | None) -> bool:
    """Rule 7: visit date and cost only for a contact of the case's own company."""
    if not phone or case.company_id is None:
        return False
    company = session.scalar(select(Contact.company_id).where(Contact.phone == phone))
    return company == case.company_id


def view_for_caller(session: Session, case: Case, phone: str | None) -> CaseView:
    """The case as this caller may hear it (rule 6: status to anyone with the number)."""
    visit = (case.visit_at is not None and case.visit_status in VISIT_STATUSES_TOLD
             and caller_may_hear_visit(session, case, phone))
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


def update_case(session: Session, case_id: int, now: datetime, **values) -> None:
    """Set some fields of a case (idempotent: a replay sets the same values)."""
    session.execute(update(Case).where(Case.id == case_id).values(updated_at=now, **values))


def set_company(session: Session, case_id: int, spoken_name: str, now: datetime) -> None:
    """Store the company as said, linked to a known company when the name matches."""
    company = find_company(session, spoken_name)
    update_case(session, case_id, now, company_name=spoken_name[:200],
                company_id=company.id if company else None)


def complete_report(session: Session, case: Case, now: datetime) -> None:
    """The report has all its steps: the case is received (never moves a case backwards)."""
    if case.status == "incomplete":
        case.status = "received"
        case.updated_at = now


def set_status(session: Session, case: Case, status: str, now: datetime) -> None:
    """Set a case's status (operators); a resolved case leaves the callback queue."""
    if status not in STATUSES:
        raise CaseError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    case.status = status
    if status == "resolved" and case.callback_state == "pending":
        case.callback_state = "done"
    case.updated_at = now


def schedule_visit(
    session: Session,
    case: Case,
    at: datetime,
    cost: Decimal,
    visit_status: str | None,
    now: datetime,
) -> None:
    """Arrange a visit (rule 7): when (naive UTC), the cost estimate and the visit's status."""
    if visit_status is not None and visit_status not in VISIT_STATUSES:
        raise CaseError(f"visit status must be one of {', '.join(VISIT_STATUSES)}, "
                        f"not {visit_status!r}")
    if not cost.is_finite() or cost < 0 or cost > MAX_VISIT_COST:
        raise CaseError(f"cost {cost} must be a positive amount below {MAX_VISIT_COST}")
    visit_status = visit_status or case.visit_status or "proposed"
    case.visit_at = at
    case.visit_cost = cost.quantize(Decimal("0.01"))
    case.visit_status = visit_status
    if visit_status in VISIT_STATUSES_TOLD and case.status != "resolved":
        case.status = "visit_scheduled"
    case.updated_at = now


def _insert_for(session: Session):
    """The dialect's INSERT that knows ON CONFLICT."""
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


def save_recording(
    session: Session,
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
    table = Recording.__table__
    insert = _insert_for(session)(Recording).values(
        recording_sid=recording_sid,
        call_sid=call_sid,
        case_id=case_id,
        kind=kind or "unknown",
        url=url,
        duration=duration,
        status=status or "in-progress",
        created_at=now,
        updated_at=now,
    )
    new = insert.excluded
    final = table.c.status.in_(RECORDING_FINAL)
    values = {
        "case_id": func.coalesce(table.c.case_id, new.case_id),
        "url": func.coalesce(new.url, table.c.url),
        "duration": func.coalesce(new.duration, table.c.duration),
        "updated_at": now,
    }
    if kind:
        values["kind"] = new.kind
    if status:
        # A final status (completed, failed, absent) is never replaced by in-progress.
        values["status"] = sql_case((final, table.c.status), else_=new.status) \
            if status == "in-progress" else new.status
    session.execute(insert.on_conflict_do_update(index_elements=[table.c.recording_sid],
                                                 set_=values))


def parse_duration(raw: str | None) -> int | None:
    """A RecordingDuration or CallDuration as seconds."""
    raw = (raw or "").strip()
    # ASCII digits only: "³".isdigit() is True, and int("³") raises.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else None
