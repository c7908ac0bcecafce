"""Cases and their recordings: every statement about the `cases` and `recordings` tables."""

from __future__ import annotations

from datetime import datetime

from ivr.store.tx import Q, Rec, Tx

_CASE = Q("SELECT * FROM cases WHERE id = :id")
_CASE_BY_NUMBER = Q("SELECT * FROM cases WHERE number = :number")
_CASE_OF_REPORT = Q("SELECT * FROM cases WHERE origin_call_sid = :sid AND origin_seq = :seq")
_LAST_SEQ = Q("SELECT MAX(origin_seq) FROM cases WHERE origin_call_sid = :sid")
# A clash on the number or on the report: no row comes back, and no error aborts the
# transaction (PostgreSQL would need a savepoint for that).
_NEW_CASE = Q(
    "INSERT INTO cases (number, status, company_id, contact_id, company_name, caller_name,"
    " caller_position, email, caller_number, origin_call_sid, origin_seq, out_of_hours, urgent,"
    " callback_state, due_at, prefilled_by_caller_id, created_at, updated_at)"
    " VALUES (:number, :status, :company_id, :contact_id, :company_name, :caller_name,"
    " :caller_position, :email, :caller_number, :sid, :seq, :out_of_hours, :urgent,"
    " :callback_state, :due_at, :prefilled, :now, :now)"
    " ON CONFLICT DO NOTHING RETURNING *")
_OPEN_CASES_OF_CALLER = Q(
    "SELECT * FROM cases WHERE caller_number = :phone AND status <> :closed"
    " ORDER BY created_at DESC LIMIT :limit")
_COUNT_BY_CALLBACK_STATE = Q("SELECT COUNT(*) FROM cases WHERE callback_state = :state")
_SAVE_RECORDING = Q(
    "INSERT INTO recordings (recording_sid, call_sid, case_id, kind, url, duration, status,"
    " created_at, updated_at)"
    " VALUES (:sid, :call_sid, :case_id, :kind, :url, :duration, :status, :now, :now)"
    " ON CONFLICT (recording_sid) DO UPDATE SET"
    " case_id = COALESCE(recordings.case_id, excluded.case_id),"
    " url = COALESCE(excluded.url, recordings.url),"
    " duration = COALESCE(excluded.duration, recordings.duration),"
    " kind = CASE WHEN :kind_given THEN excluded.kind ELSE recordings.kind END,"
    # A final status is never replaced by a passing one (`:passing`, i.e. in-progress).
    " status = CASE WHEN NOT :status_given THEN recordings.status"
    " WHEN excluded.status = :passing AND recordings.status <> :passing"
    " THEN recordings.status ELSE excluded.status END,"
    " updated_at = excluded.updated_at")


def get(tx: Tx, case_id: int | None) -> Rec | None:
    """A case by id."""
    return None if case_id is None else tx.row(_CASE, id=case_id)


def by_number(tx: Tx, number: str) -> Rec | None:
    """A case by its number."""
    return tx.row(_CASE_BY_NUMBER, number=number)


def of_report(tx: Tx, call_sid: str, seq: int) -> Rec | None:
    """The case opened by report `seq` of a call."""
    return tx.row(_CASE_OF_REPORT, sid=call_sid, seq=seq)


def last_report_seq(tx: Tx, call_sid: str) -> int:
    """The order number of the last report of a call (0: none yet)."""
    return tx.value(_LAST_SEQ, sid=call_sid) or 0


def insert(tx: Tx, **values) -> Rec | None:
    """A new case; None when its number or its report is taken already."""
    return tx.row(_NEW_CASE, **values)


def open_of_caller(tx: Tx, phone: str, closed: str, limit: int) -> list[Rec]:
    """A caller ID's cases not in the `closed` status, newest first."""
    return tx.rows(_OPEN_CASES_OF_CALLER, phone=phone, closed=closed, limit=limit)


def count_by_callback_state(tx: Tx, state: str) -> int:
    """How many cases are in a callback state."""
    return tx.value(_COUNT_BY_CALLBACK_STATE, state=state) or 0


def update(tx: Tx, case_id: int, **values) -> None:
    """Write some columns of a case."""
    tx.update("cases", case_id, **values)


def save_recording(tx: Tx, *, sid: str, call_sid: str, case_id: int | None, kind: str | None,
                   url: str | None, duration: int | None, status: str | None, passing: str,
                   unknown_kind: str, now: datetime) -> None:
    """Insert or merge what one request knows of a recording (any order of arrival)."""
    tx.run(_SAVE_RECORDING, sid=sid, call_sid=call_sid, case_id=case_id,
           kind=kind or unknown_kind, url=url, duration=duration, status=status or passing,
           now=now, kind_given=bool(kind), status_given=bool(status), passing=passing)


# --- operators: listing and editing cases ------------------------------------------------------

# The listing's filters, each written once; a listing combines those given (its statement is
# kept per combination).
_LIST_FILTERS = {
    "status": "status = :status",
    # A case of a known company whose matching key contains the words, or a case whose
    # company name, as said by the caller, contains the text.
    "company": ("(company_id IN (SELECT id FROM companies WHERE name_key LIKE :company_key"
                " ESCAPE '\\') OR LOWER(company_name) LIKE :company_text ESCAPE '\\')"),
    "since": "created_at >= :since",
    "until": "created_at < :until",
}
_LISTINGS: dict[tuple[tuple[str, ...], bool], Q] = {}
_RECORDINGS_OF_CASE = Q("SELECT * FROM recordings WHERE case_id = :case_id ORDER BY id")
_RECORDING_BY_SID = Q("SELECT * FROM recordings WHERE recording_sid = :sid")


def _containing(text: str) -> str:
    """A LIKE pattern for values containing `text` (its own % and _ taken literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_cases(
    tx: Tx,
    *,
    status: str | None = None,
    company_key: str | None = None,
    company_text: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[Rec]:
    """Cases, newest first: in a status, of a company (`company_key`: words of its matching
    key; `company_text`: lower-case text of the name as said), opened at or after `since`
    and before `until`; each filter only when given (company: both, or neither); at most
    `limit` when given."""
    filters = {"status": status, "company": company_key, "since": since, "until": until}
    given = tuple(name for name, value in filters.items() if value is not None)
    q = _LISTINGS.get((given, limit is not None))
    if q is None:
        where = " AND ".join(_LIST_FILTERS[name] for name in given)
        q = _LISTINGS[(given, limit is not None)] = Q(
            "SELECT * FROM cases"  # noqa: S608 - fixed fragments
            + (f" WHERE {where}" if where else "")
            + " ORDER BY created_at DESC, id DESC"
            + (" LIMIT :limit" if limit is not None else ""))
    values = {name: filters[name] for name in given if name != "company"}
    if limit is not None:
        values["limit"] = limit
    if company_key is not None:
        values.update(company_key=_containing(company_key),
                      company_text=_containing(company_text or company_key))
    return tx.rows(q, **values)


def recording_by_sid(tx: Tx, recording_sid: str) -> Rec | None:
    """A recording by its Twilio SID."""
    return tx.row(_RECORDING_BY_SID, sid=recording_sid)


def recordings_of_case(tx: Tx, case_id: int) -> list[Rec]:
    """A case's recordings, in the order they were made."""
    return tx.rows(_RECORDINGS_OF_CASE, case_id=case_id)


# One statement, so that a note written meanwhile by another process (a webhook's offline
# note) is never overwritten.
_APPEND_NOTE = Q(
    "UPDATE cases SET notes = CASE WHEN notes IS NULL OR notes = '' THEN :line"
    " ELSE notes || :newline || :line END, updated_at = :now WHERE id = :id RETURNING *")


def append_note(tx: Tx, case_id: int, line: str, now: datetime) -> Rec | None:
    """Add a line at the end of a case's notes; the case as written."""
    return tx.row(_APPEND_NOTE, id=case_id, line=line, newline="\n", now=now)
