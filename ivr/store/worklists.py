"""What the console reads about cases beyond the case itself: the analysts' work lists, a
case's notes, its calls and the analysts' missed calls."""

from __future__ import annotations

from datetime import datetime

from ivr.store.tx import Q, Rec, Tx

_NEW_CASES = Q(
    "SELECT * FROM cases WHERE status IN (:incomplete, :received)"
    " AND assigned_analyst_id IS NULL ORDER BY created_at DESC, id DESC LIMIT :limit")
_CASES_OF_ANALYST = Q(
    "SELECT * FROM cases WHERE assigned_analyst_id = :analyst_id AND status <> :closed"
    " ORDER BY updated_at DESC, id DESC LIMIT :limit")
_NEW_NOTE = Q(
    "INSERT INTO case_notes (case_id, user_id, body, created_at)"
    " VALUES (:case_id, :user_id, :body, :now) RETURNING *")
_NOTES_OF_CASE = Q(
    "SELECT n.*, u.name AS user_name FROM case_notes n JOIN users u ON u.id = n.user_id"
    " WHERE n.case_id = :case_id ORDER BY n.created_at, n.id")
# The calls about a case: the one that opened it, and those that came back to it.
_CALLS_OF_CASE = Q(
    "SELECT * FROM calls WHERE case_id = :case_id OR call_sid = :origin"
    " ORDER BY started_at, call_sid")
_LAST_MISS = Q(
    "SELECT MAX(COALESCE(ended_at, started_at)) AS ended_at FROM dial_attempts"
    " WHERE analyst_id = :analyst_id AND outcome IN (:no_answer, :busy, :failed, :voicemail)")


def new_cases(tx: Tx, incomplete: str, received: str, limit: int) -> list[Rec]:
    """Cases nobody took yet (in one of the two first statuses), newest first."""
    return tx.rows(_NEW_CASES, incomplete=incomplete, received=received, limit=limit)


def cases_of_analyst(tx: Tx, analyst_id: int, closed: str, limit: int) -> list[Rec]:
    """An analyst's cases not in the `closed` status, last changed first."""
    return tx.rows(_CASES_OF_ANALYST, analyst_id=analyst_id, closed=closed, limit=limit)


def insert_note(tx: Tx, case_id: int, user_id: int, body: str, now: datetime) -> Rec:
    """A new note on a case."""
    return tx.row(_NEW_NOTE, case_id=case_id, user_id=user_id, body=body, now=now)


def notes_of_case(tx: Tx, case_id: int) -> list[Rec]:
    """A case's notes, oldest first, each with its author's name (user_name)."""
    return tx.rows(_NOTES_OF_CASE, case_id=case_id)


def calls_of_case(tx: Tx, case_id: int, origin_call_sid: str) -> list[Rec]:
    """The calls about a case, oldest first."""
    return tx.rows(_CALLS_OF_CASE, case_id=case_id, origin=origin_call_sid)


def last_missed_call(tx: Tx, analyst_id: int, missed: tuple[str, str, str, str]) -> datetime | None:
    """When the analyst last missed a call (a leg ending in one of the four `missed`
    outcomes: no answer, busy, failed, voicemail)."""
    no_answer, busy, failed, voicemail = missed
    row = tx.row(_LAST_MISS, analyst_id=analyst_id, no_answer=no_answer, busy=busy,
                 failed=failed, voicemail=voicemail)
    return row.ended_at if row is not None else None
