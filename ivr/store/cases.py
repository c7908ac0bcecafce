"""Statements about cases and their recordings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ivr.store.callbacks import DONE, PENDING
from ivr.store.tx import Q, Rec, Tx

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
_LISTINGS: dict[tuple[str, ...], Q] = {}
_RECORDINGS_OF_CASE = Q("SELECT * FROM recordings WHERE case_id = :case_id ORDER BY id")
_SET_STATUS = Q(
    "UPDATE cases SET status = :status, updated_at = :now,"
    " callback_state = CASE WHEN :ends_callback AND callback_state = :pending THEN :done"
    " ELSE callback_state END"
    " WHERE id = :id RETURNING *")
_SET_VISIT = Q(
    "UPDATE cases SET visit_at = :at, visit_cost = :cost, visit_status = :visit_status,"
    " status = :status, updated_at = :now WHERE id = :id RETURNING *")


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
) -> list[Rec]:
    """Cases, newest first: in a status, of a company (`company_key`: words of its matching
    key; `company_text`: lower-case text of the name as said), opened at or after `since`
    and before `until`; each filter only when given (company: both, or neither)."""
    filters = {"status": status, "company": company_key, "since": since, "until": until}
    given = tuple(name for name, value in filters.items() if value is not None)
    q = _LISTINGS.get(given)
    if q is None:
        where = " AND ".join(_LIST_FILTERS[name] for name in given)
        q = _LISTINGS[given] = Q(
            "SELECT * FROM cases"  # noqa: S608 - fixed fragments
            + (f" WHERE {where}" if where else "")
            + " ORDER BY created_at DESC, id DESC")
    values = {name: filters[name] for name in given if name != "company"}
    if company_key is not None:
        values.update(company_key=_containing(company_key),
                      company_text=_containing(company_text or company_key))
    return tx.rows(q, "cases", **values)


def recordings_of_case(tx: Tx, case_id: int) -> list[Rec]:
    """A case's recordings, in the order they were made."""
    return tx.rows(_RECORDINGS_OF_CASE, "recordings", case_id=case_id)


def update_case_status(tx: Tx, case_id: int, status: str, now: datetime, *,
                       ends_callback: bool) -> Rec | None:
    """Set a case's status (`ends_callback`: a pending callback is done too); the row as
    written, None if there is no such case."""
    return tx.row(_SET_STATUS, "cases", id=case_id, status=status, now=now,
                  ends_callback=ends_callback, pending=PENDING, done=DONE)


def update_case_visit(tx: Tx, case_id: int, at: datetime, cost: Decimal, visit_status: str,
                      status: str, now: datetime) -> Rec | None:
    """Store a case's visit (when, naive UTC; the cost; its status) and the case's status;
    the row as written, None if there is no such case."""
    return tx.row(_SET_VISIT, "cases", id=case_id, at=at, cost=cost, visit_status=visit_status,
                  status=status, now=now)
