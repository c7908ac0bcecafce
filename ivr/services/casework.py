"""What operators do to cases: find and list them, read them whole, arrange visits, link them
to their company, add notes. Input is checked here (dates 2000–2099, amounts as 45.00 or 45,00,
no character XML forbids), so the command line and the console refuse the same things."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ivr.domain.business_hours import CARACAS, Schedule, to_caracas, to_naive_utc
from ivr.domain.operator_input import parse_amount, parse_day, parse_moment
from ivr.domain.phones import parse_phone
from ivr.domain.text import check_text
from ivr.services import directory
from ivr.services.callbacks import callback_attempts, schedule_callback
from ivr.services.cases import (
    CALLBACK_PENDING,
    STATUSES,
    CaseError,
    change_case,
    find_case,
    schedule_visit,
)
from ivr.store import analysts
from ivr.store import cases as store
from ivr.store import directory as directory_store
from ivr.store.tx import Rec, Tx

MAX_NOTE_LENGTH = 2000


@dataclass(frozen=True)
class CaseDetails:
    """A case as an operator reads it: names instead of ids, its recordings and calls back."""

    case: Rec
    company: str | None  # the registered company it is linked to
    contact: str | None  # the registered contact it is linked to
    analyst: str | None  # the analyst assigned
    recordings: list[Rec]
    attempts: list[Rec]


def require_case(tx: Tx, number: str) -> Rec:
    """The case with this number, or an error naming it."""
    number = check_text(number, "case number").strip()
    case = find_case(tx, number) if number else None
    if case is None:
        raise CaseError(f"no case {number!r}")
    return case


def _day_start(day: date) -> datetime:
    """Midnight of a Caracas day, as stored (naive UTC)."""
    return to_naive_utc(datetime.combine(day, time(0), tzinfo=CARACAS))


def list_cases(tx: Tx, *, status: str | None = None, company: str | None = None,
               since: str | None = None, until: str | None = None) -> list[Rec]:
    """Cases newest first: in a status, of a company (linked, or as said by the caller),
    opened on or after `since` and on or before `until` (YYYY-MM-DD, Caracas days)."""
    if status is not None and status not in STATUSES:
        raise CaseError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    key = text = None
    if company is not None:
        company = check_text(company, "--company")
        key = directory.name_key(company)
        if not key:
            raise CaseError("--company is empty")
        text = company.strip().lower()
    first = parse_day(check_text(since, "--since"), "--since") if since is not None else None
    last = parse_day(check_text(until, "--until"), "--until") if until is not None else None
    if first and last and first > last:
        raise CaseError("--since must not be after --until")
    return store.list_cases(
        tx, status=status, company_key=key, company_text=text,
        since=_day_start(first) if first else None,
        until=_day_start(last + timedelta(days=1)) if last else None)


def case_details(tx: Tx, case: Rec) -> CaseDetails:
    """A case with the names of what it refers to, its recordings and its calls back."""
    company = directory_store.company_by_id(tx, case.company_id) \
        if case.company_id is not None else None
    contact = directory_store.contact_by_id(tx, case.contact_id) \
        if case.contact_id is not None else None
    analyst = analysts.analyst_by_id(tx, case.assigned_analyst_id) \
        if case.assigned_analyst_id is not None else None
    return CaseDetails(
        case=case,
        company=company.name if company else None,
        contact=contact.name if contact else None,
        analyst=analyst.name if analyst else None,
        recordings=store.recordings_of_case(tx, case.id),
        attempts=callback_attempts(tx, case),
    )


def recordings(tx: Tx, case: Rec) -> list[Rec]:
    """A case's recordings, in the order they were made."""
    return store.recordings_of_case(tx, case.id)


def arrange_visit(tx: Tx, case: Rec, at: str | None, cost: str | None,
                  visit_status: str | None, now: datetime) -> Rec:
    """Arrange a visit from what an operator typed: when ("YYYY-MM-DD HH:MM", Caracas time,
    2000–2099) and the cost estimate (45, 45.00 or 45,00). The case as written."""
    if at is None or cost is None:
        raise CaseError("give both --at and --cost")
    local = parse_moment(check_text(at, "--at"), "--at")
    amount = parse_amount(check_text(cost, "--cost"), "--cost")
    return schedule_visit(tx, case, to_naive_utc(local.replace(tzinfo=CARACAS)), amount,
                          visit_status, now)


def visit_warnings(schedule: Schedule, at: datetime) -> list[str]:
    """What an operator arranging a visit at `at` (naive UTC) should know: the centre is
    closed that day (a holiday, a closure, a day it never opens)."""
    local = to_caracas(at)
    day = local.date()
    if schedule.open_intervals(day):
        return []
    holiday = schedule.holiday_name(day)
    closures = schedule.closures_on(day)
    if holiday:
        why = f"a public holiday ({holiday})"
    elif any(c.whole_day for c in closures):
        why = f"closed by decision ({next(c.reason for c in closures if c.whole_day)})"
    else:
        why = "a day the centre does not open"
    return [f"the visit falls on {day.isoformat()}, {why}: check that the client expects it"]


def link_case(tx: Tx, schedule: Schedule, case: Rec, company: str | None,
              contact: str | None, now: datetime) -> Rec:
    """Link a case to its registered company (and contact), which the line could not do
    surely: the case leaves the "to link" list, and a pending callback gets the due time of
    the company's contract. The case as written."""
    if company is None and contact is None:
        raise CaseError("give --company (and --contact if you know who called)")
    found = directory.resolve_company(tx, company) if company is not None else None
    person = directory.resolve_contact(tx, contact) if contact is not None else None
    if person is not None:
        if found is None:
            found = directory_store.company_by_id(tx, person.company_id)
        elif person.company_id != found.id:
            raise CaseError(f"contact {person.id} ({person.name}) is of "
                            f"{person.company_name}, not of {found.name}")
    changes: dict = {"company_id": found.id, "company_to_link": False,
                     "company_name": case.company_name or found.name}
    if person is not None:
        changes.update(contact_id=person.id, caller_name=case.caller_name or person.name,
                       caller_position=case.caller_position or person.position,
                       email=case.email or person.email)
    if case.callback_state == CALLBACK_PENDING:
        return schedule_callback(tx, schedule, case, now, **changes)
    return change_case(tx, case, now, **changes)


def add_note(tx: Tx, case: Rec, text: str, now: datetime) -> Rec:
    """Add a line to a case's notes, stamped with the time (Caracas) it was written."""
    text = " ".join(check_text(text, "note").split())
    if not text:
        raise CaseError("the note is empty")
    if len(text) > MAX_NOTE_LENGTH:
        raise CaseError(f"the note is too long ({len(text)} characters, at most "
                        f"{MAX_NOTE_LENGTH})")
    stamp = to_caracas(now).strftime("%Y-%m-%d %H:%M")
    return store.append_note(tx, case.id, f"[{stamp}] {text}", now)


def note_forwarding(tx: Tx, case: Rec, forwarded_from: str | None,
                    published: tuple[str, ...], now: datetime) -> None:
    """A call forwarded to the line from a phone that is not one of the line's own numbers
    (an analyst's, say: rule 9) is taken like any other; its case notes where it came from."""
    number = parse_phone(forwarded_from or "")
    if number is None or number in published:
        return
    analyst = analysts.analyst_by_phone(tx, number)
    where = f"el teléfono de {analyst.name} ({number})" if analyst else number
    stamp = to_caracas(now).strftime("%Y-%m-%d %H:%M")
    store.append_note(tx, case.id, f"[{stamp}] Llamada desviada a la línea desde {where}; "
                      "atendida por el centro.", now)
