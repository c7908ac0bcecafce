"""What the analysts' console does: availability, the work queue, a case and its timeline, and
every change to a case, each written with its audit trail in the same transaction.

Flask-free: the console's views (and tests) call these with a `Tx`, the user and `now`. The
rules themselves stay where the phone line and the commands use them (ivr/services/cases.py,
callbacks.py, directory.py); this module adds who did it, and the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ivr.domain.business_hours import CARACAS, Schedule, to_naive_utc
from ivr.domain.case_numbers import CaseNumberCheck, check_case_number
from ivr.domain.statuses import (
    AnalystStatus,
    CallbackState,
    CaseStatus,
    DialOutcome,
    UserRole,
)
from ivr.services import alerts, callback_calls, mailbox
from ivr.services import cases as case_service
from ivr.services.callbacks import callback_queue, schedule_callback
from ivr.services.company_match import spoken_company
from ivr.services.directory import DirectoryError, name_key, set_analyst_status
from ivr.store import analysts, audit, worklists
from ivr.store import cases as case_rows
from ivr.store.tx import Rec, Tx

# The analyst chooses between these two; "away" is what the line sets after missed calls.
CHOSEN_STATUSES = (AnalystStatus.AVAILABLE, AnalystStatus.UNAVAILABLE)
MISSED = (DialOutcome.NO_ANSWER, DialOutcome.BUSY, DialOutcome.FAILED, DialOutcome.VOICEMAIL)
# The fields of a case whose changes the audit trail keeps.
AUDITED_CASE_FIELDS = (
    "status", "severity", "company_id", "company_name", "company_to_link", "caller_name",
    "caller_position", "email", "callback_number", "callback_extension", "assigned_analyst_id",
    "callback_state", "due_at", "visit_at", "visit_cost", "visit_status")
# What the edit form may change (the rest is changed by the actions below).
EDITABLE_CASE_FIELDS = ("company_name", "caller_name", "caller_position", "email",
                        "callback_number", "callback_extension", "severity")
QUEUE_LIMIT = 100
LIST_LIMIT = 50
MAX_NOTE = 4000


class ConsoleError(DirectoryError):
    """A console action that cannot be done; the message is for the analyst, in Spanish."""


# --- availability ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Availability:
    """An analyst's state as the console shows it."""

    analyst: Rec
    away_since: datetime | None  # the line set them away after the missed call at this time
    missed_in_row: int


def analyst_of(tx: Tx, user: Rec) -> Rec | None:
    """The analyst row the user works as, if any."""
    return analysts.analyst_by_id(tx, user.analyst_id) if user.analyst_id else None


def availability(tx: Tx, user: Rec) -> Availability | None:
    """The user's analyst state (None: the user is no analyst)."""
    analyst = analyst_of(tx, user)
    if analyst is None:
        return None
    away_since = None
    if analyst.status == AnalystStatus.AWAY:
        away_since = worklists.last_missed_call(tx, analyst.id, MISSED)
    return Availability(analyst, away_since, analyst.missed_in_row)


def set_availability(tx: Tx, user: Rec, status: str, now: datetime) -> Rec:
    """Make the user's analyst available or unavailable (the state routing and the phone menu
    use); the analyst's row as written."""
    if status not in CHOSEN_STATUSES:
        raise ConsoleError("Elija disponible o no disponible.")
    analyst = analyst_of(tx, user)
    if analyst is None:
        raise ConsoleError("Su usuario no está vinculado a un analista.")
    return set_analyst_status(tx, analyst, status, now, by=user.id)


# --- the work queue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    """A callback waiting, with what the queue shows about it."""

    case: Rec
    contract: bool
    overdue: bool
    seconds_left: int | None  # negative when overdue; None without a due time


@dataclass(frozen=True)
class WorkQueue:
    """The analyst's page: callbacks in the line's order, new cases, their own cases."""

    callbacks: list[QueueEntry]
    new_cases: list[Rec]
    my_cases: list[Rec]


def work_queue(tx: Tx, user: Rec, now: datetime) -> WorkQueue:
    """The work queue as the user sees it now."""
    entries = []
    for case, contract in callback_queue(tx, now, QUEUE_LIMIT):
        # A resolved case is never called back, whatever its queue state says.
        if case.status == CaseStatus.RESOLVED:
            continue
        left = int((case.due_at - now).total_seconds()) if case.due_at else None
        entries.append(QueueEntry(case, contract, left is not None and left < 0, left))
    new = worklists.new_cases(tx, CaseStatus.INCOMPLETE, CaseStatus.RECEIVED, LIST_LIMIT)
    mine = (worklists.cases_of_analyst(tx, user.analyst_id, CaseStatus.RESOLVED, LIST_LIMIT)
            if user.analyst_id else [])
    return WorkQueue(entries, new, mine)


def find_by_number(tx: Tx, text: str) -> tuple[CaseNumberCheck, Rec | None]:
    """A case number typed in the search box: how it checks, and the case if there is one."""
    check = check_case_number(text)
    return check, (case_service.find_case(tx, text.strip())
                   if check is CaseNumberCheck.OK else None)


def search_cases(tx: Tx, *, status: str | None, company: str | None) -> list[Rec]:
    """Cases in a status and/or of a company (words of its name), newest first, at most
    LIST_LIMIT."""
    company = (company or "").strip() or None
    key = name_key(company) if company else None
    return case_rows.list_cases(tx, status=status or None, company_key=key or None,
                                company_text=company.lower() if key else None,
                                limit=LIST_LIMIT)


# --- a case ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    """One thing that happened to a case, for its timeline."""

    at: datetime
    kind: str  # call | mail | recording | note | change | call_back
    row: Rec


def timeline(tx: Tx, case: Rec) -> list[TimelineItem]:
    """A case's calls, recordings, notes and changes, oldest first."""
    items = [TimelineItem(c.started_at, "call", c)
             for c in worklists.calls_of_case(tx, case.id, case.origin_call_sid)]
    items += [TimelineItem(r.created_at, "recording", r)
              for r in case_rows.recordings_of_case(tx, case.id)]
    items += [TimelineItem(n.created_at, "note", n) for n in worklists.notes_of_case(tx, case.id)]
    items += [TimelineItem(a.created_at, "change", a)
              for a in audit.entries_of_row(tx, "cases", case.id)]
    items += [TimelineItem(b.created_at, "call_back", b)
              for b in callback_calls.of_case(tx, case)]
    items += [TimelineItem(m.received_at, "mail", m) for m in mailbox.case_mails(tx, case.id)]
    order = {"call": 0, "mail": 1, "recording": 2, "change": 3, "note": 4, "call_back": 5}
    return sorted(items, key=lambda item: (item.at, order[item.kind]))


def mail_attachments(tx: Tx, case: Rec) -> dict[int, list[Rec]]:
    """A case's mail attachments (without their bytes), by mail id."""
    found: dict[int, list[Rec]] = {}
    for row in mailbox.case_attachments(tx, case.id):
        found.setdefault(row.mail_id, []).append(row)
    return found


def audit_trail(tx: Tx, case: Rec) -> list[Rec]:
    """A case's changes, oldest first, each with who made it (user_name)."""
    return audit.entries_of_row(tx, "cases", case.id)


def all_analysts(tx: Tx) -> list[Rec]:
    """Every analyst, by id (for assigning a case)."""
    return analysts.all_analysts(tx)


def edit_case(tx: Tx, user: Rec, case: Rec, values: dict, schedule: Schedule,
              now: datetime) -> Rec:
    """Complete or correct what the caller gave (EDITABLE_CASE_FIELDS, already validated);
    a company is linked to the registered one it names, and a pending callback's due time
    follows a new severity or contract. The case as written."""
    unknown = set(values) - set(EDITABLE_CASE_FIELDS)
    if unknown:
        raise ConsoleError(f"Campos no editables: {', '.join(sorted(unknown))}")
    changes = {k: v for k, v in values.items() if getattr(case, k) != v}
    if "company_name" in changes:
        name = changes["company_name"]
        match = spoken_company(tx, name) if name else None
        changes["company_id"] = match.company_id if match else None
        changes["company_to_link"] = True if match and match.unsure else None
    if not changes:
        return case
    if case.callback_state == CallbackState.PENDING and (
            "severity" in changes or changes.get("company_id", case.company_id)
            != case.company_id):
        after = schedule_callback(tx, schedule, case, now, **changes)
    else:
        after = case_service.change_case(tx, case, now, **changes)
    return _audit_case(tx, user, case, after, now)


def add_note(tx: Tx, user: Rec, case: Rec, body: str, now: datetime) -> Rec:
    """Append a note to a case."""
    body = (body or "").strip()
    if not body:
        raise ConsoleError("La nota está vacía.")
    if len(body) > MAX_NOTE:
        raise ConsoleError(f"La nota no puede pasar de {MAX_NOTE} caracteres.")
    note = worklists.insert_note(tx, case.id, user.id, body, now)
    case_service.change_case(tx, case, now)  # nothing else changes: the note is the record
    return note


def take_case(tx: Tx, user: Rec, case: Rec, now: datetime) -> Rec:
    """The user's analyst takes the case (a new one goes in progress); an emergency alert on
    it ends, and the emergency phones are told."""
    if not user.analyst_id:
        raise ConsoleError("Su usuario no está vinculado a un analista.")
    after = assign_case(tx, user, case, user.analyst_id, now)
    alerts.take_in_console(tx, after, user.analyst_id, now)
    return after


def assign_case(tx: Tx, user: Rec, case: Rec, analyst_id: int, now: datetime) -> Rec:
    """Give the case to an analyst (a new one goes in progress)."""
    if analysts.analyst_by_id(tx, analyst_id) is None:
        raise ConsoleError("No existe ese analista.")
    changes: dict = {}
    if case.assigned_analyst_id != analyst_id:
        changes["assigned_analyst_id"] = analyst_id
    if case.status in (CaseStatus.INCOMPLETE, CaseStatus.RECEIVED):
        changes["status"] = CaseStatus.IN_PROGRESS
    if not changes:
        return case
    after = case_service.change_case(tx, case, now, **changes)
    return _audit_case(tx, user, case, after, now)


def change_status(tx: Tx, user: Rec, case: Rec, status: str, now: datetime) -> Rec:
    """Set the case's status (resolved leaves the callback queue)."""
    if status == case.status:
        return case
    after = case_service.set_status(tx, case, status, now)
    return _audit_case(tx, user, case, after, now)


def schedule_visit(tx: Tx, user: Rec, case: Rec, local: datetime, cost: Decimal,
                   visit_status: str | None, now: datetime) -> Rec:
    """Arrange a visit (rule 7) at a Caracas wall-clock time; the case as written."""
    at = to_naive_utc(local.replace(tzinfo=CARACAS))
    after = case_service.schedule_visit(tx, case, at, cost, visit_status, now)
    return _audit_case(tx, user, case, after, now)


def record_callback_outcome(tx: Tx, user: Rec, case: Rec, callback_id: int, outcome: str,
                            note: str | None, now: datetime) -> bool:
    """What happened on the user's call back (only "spoke" takes the case off the callback
    queue), with the case's changes in the audit trail; whether the callback is done."""
    attempt = callback_calls.record_outcome(tx, user, case, callback_id, outcome, note, now)
    _audit_case(tx, user, case, case_service.get_case(tx, case.id), now)
    return attempt is not None and attempt.closed


def may_take(user: Rec) -> bool:
    """Whether the user can take cases (works as an analyst)."""
    return bool(user.analyst_id)


def may_assign(user: Rec) -> bool:
    """Whether the user may give cases to any analyst."""
    return user.role == UserRole.COORDINATOR


# --- the audit trail ---------------------------------------------------------------------------


def audit_value(value) -> str | None:
    """A stored value as the audit trail keeps it (text; times as naive UTC ISO)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value)


def _audit_case(tx: Tx, user: Rec, before: Rec, after: Rec, now: datetime) -> Rec:
    """Record the audited fields of a case that changed; the case after."""
    _audit_fields(tx, user, "cases", before, after, AUDITED_CASE_FIELDS, now)
    return after


def _audit_fields(tx: Tx, user: Rec, table: str, before: Rec, after: Rec,
                  fields: tuple[str, ...], now: datetime) -> None:
    """One audit entry per field whose value differs between two versions of a row."""
    for field in fields:
        old, new = audit_value(getattr(before, field)), audit_value(getattr(after, field))
        if old != new:
            audit.record(tx, user_id=user.id, table_name=table, row_id=before.id, field=field,
                         old=old, new=new, now=now)
