"""The hold queue: every statement about `holds`, the callers waiting on the line.

The line keeps the order itself: contract clients first, then by severity (1 first, unknown
last), then by arrival. `_RANK` is that order as one number, so a caller's place is one COUNT
of those ahead; several workers take waiting callers with FOR UPDATE SKIP LOCKED on
PostgreSQL, so no caller is offered by two of them at once (SQLite's writers take turns).
"""

from __future__ import annotations

from datetime import datetime

from ivr.domain.statuses import DialOutcome, HoldState
from ivr.store.tx import Q, Rec, Tx

WAITING, OFFERED = HoldState.WAITING, HoldState.OFFERED

# Contract clients before the rest; within each, severity 1, 2, 3, then not said.
_RANK = "((CASE WHEN {p}contract THEN 0 ELSE 1 END) * 10 + COALESCE({p}severity, 4))"
_MINE, _THEIRS = _RANK.format(p="h."), _RANK.format(p="o.")

_JOIN = Q(
    "INSERT INTO holds (call_sid, case_id, contract, severity, state, waiting_since, offers,"
    " created_at) VALUES (:sid, :case_id, :contract, :severity, :waiting, :now, 0, :now)"
    " ON CONFLICT (call_sid) DO NOTHING RETURNING *")
_BY_ID = Q("SELECT * FROM holds WHERE id = :id")
_BY_CALL = Q("SELECT * FROM holds WHERE call_sid = :sid")
# Callers ahead: better ranked, or as well ranked and there first.
_PLACE = Q(
    "SELECT COUNT(*) FROM holds o, holds h WHERE h.id = :id"  # noqa: S608 - constant text
    " AND o.state IN (:waiting, :offered) AND o.id <> h.id"
    f" AND ({_THEIRS} < {_MINE} OR ({_THEIRS} = {_MINE}"
    " AND (o.waiting_since < h.waiting_since"
    " OR (o.waiting_since = h.waiting_since AND o.id < h.id))))")
_QUEUED = Q("SELECT COUNT(*) FROM holds WHERE state IN (:waiting, :offered)")
_ANY_WAITING = Q("SELECT 1 FROM holds WHERE state = :waiting LIMIT 1")
_ORDERED = (
    "SELECT h.*, c.area, c.assigned_analyst_id, c.number AS case_number"  # noqa: S608
    " FROM holds h JOIN cases c ON c.id = h.case_id WHERE h.state = :waiting"
    f" ORDER BY {_MINE}, h.waiting_since, h.id LIMIT :limit")
_WAITING_IN_ORDER = Q(_ORDERED)
_WAITING_LOCKED = Q(_ORDERED + " FOR UPDATE OF h SKIP LOCKED")
_OFFER = Q(
    "UPDATE holds SET state = :offered, analyst_id = :analyst_id, attempt_id = :attempt_id,"
    " offered_at = :now, offers = offers + 1 WHERE id = :id AND state = :waiting")
# A declined or unanswered offer: back in the queue, the wait start (and so the place) kept.
_BACK = Q(
    "UPDATE holds SET state = :waiting, analyst_id = NULL, attempt_id = NULL"
    " WHERE id = :id AND state = :offered AND attempt_id = :attempt_id")
_END = Q(
    "UPDATE holds SET state = :state, ended_at = :now, waited_seconds = :waited"
    " WHERE id = :id AND state IN (:waiting, :offered)")
_STALE_OFFERS = Q(
    "SELECT * FROM holds WHERE state = :offered AND offered_at <= :before ORDER BY id")
# The queue as the wallboard shows it, in the line's order.
_BOARD = Q(
    "SELECT h.*, c.number AS case_number, c.company_name, c.area,"  # noqa: S608 - constant
    " a.name AS analyst_name FROM holds h JOIN cases c ON c.id = h.case_id"
    " LEFT JOIN analysts a ON a.id = h.analyst_id WHERE h.state IN (:waiting, :offered)"
    f" ORDER BY {_MINE}, h.waiting_since, h.id")
# The waits that ended in a period, counted by how they ended (on ix_holds_ended).
_ENDED_BY_STATE = Q(
    "SELECT state, COUNT(*) AS waits, SUM(waited_seconds) AS seconds,"
    " MAX(waited_seconds) AS longest FROM holds"
    " WHERE ended_at >= :since AND ended_at < :until GROUP BY state")
# Talk times of the latest conversations with analysts (the estimate of a wait).
_TALKS = Q(
    "SELECT accepted_at, ended_at FROM dial_attempts WHERE outcome = :accepted"
    " AND analyst_id IS NOT NULL AND accepted_at IS NOT NULL AND ended_at >= :since"
    " ORDER BY ended_at DESC LIMIT :limit")
# Analysts who could not take this caller lately (declined, missed): not offered them again yet.
_PASSED_OVER = Q(
    "SELECT DISTINCT analyst_id FROM dial_attempts WHERE call_sid = :sid"
    " AND analyst_id IS NOT NULL AND ended_at >= :since AND outcome <> :accepted")
# Fault areas some analyst on duty (available, active) has a skill for.
_AREAS_ON_DUTY = Q(
    "SELECT DISTINCT k.area FROM skills k JOIN analyst_skills s ON s.skill_id = k.id"
    " JOIN analysts a ON a.id = s.analyst_id WHERE k.area IS NOT NULL"
    " AND a.status = :available AND a.deactivated_at IS NULL")


def join(tx: Tx, call_sid: str, case_id: int, contract: bool, severity: int | None,
         now: datetime) -> Rec:
    """The call's hold, new and waiting (or as it is, when the call has one already)."""
    row = tx.row(_JOIN, sid=call_sid, case_id=case_id, contract=contract, severity=severity,
                 waiting=WAITING, now=now)
    return row if row is not None else tx.row(_BY_CALL, sid=call_sid)


def get(tx: Tx, hold_id: int | None) -> Rec | None:
    """A hold by id."""
    return None if hold_id is None else tx.row(_BY_ID, id=hold_id)


def by_call(tx: Tx, call_sid: str) -> Rec | None:
    """The hold of a call, if it has one."""
    return tx.row(_BY_CALL, sid=call_sid)


def place(tx: Tx, hold_id: int) -> int:
    """The caller's place in the line's order (1: next)."""
    return 1 + (tx.value(_PLACE, id=hold_id, waiting=WAITING, offered=OFFERED) or 0)


def queued_count(tx: Tx) -> int:
    """Callers on hold now (waiting, or being offered)."""
    return tx.value(_QUEUED, waiting=WAITING, offered=OFFERED) or 0


def anyone_waiting(tx: Tx) -> bool:
    """Whether some caller waits for an offer."""
    return tx.value(_ANY_WAITING, waiting=WAITING) is not None


def waiting_in_order(tx: Tx, limit: int) -> list[Rec]:
    """Waiting callers in the line's order, with their case's area, assigned_analyst_id and
    case_number; on PostgreSQL locked for this transaction, skipping those another worker
    holds."""
    return tx.rows(_WAITING_LOCKED if tx.pg else _WAITING_IN_ORDER, waiting=WAITING,
                   limit=limit)


def offer(tx: Tx, hold_id: int, analyst_id: int, attempt_id: int, now: datetime) -> bool:
    """A waiting caller offered to an analyst (the leg `attempt_id`); whether it was waiting."""
    return tx.run(_OFFER, id=hold_id, analyst_id=analyst_id, attempt_id=attempt_id, now=now,
                  offered=OFFERED, waiting=WAITING) == 1


def back_to_waiting(tx: Tx, hold_id: int, attempt_id: int) -> bool:
    """The offer by leg `attempt_id` fell through: waiting again, in the same place."""
    return tx.run(_BACK, id=hold_id, attempt_id=attempt_id, waiting=WAITING,
                  offered=OFFERED) == 1


def end(tx: Tx, hold_id: int, state: str, now: datetime, waited: int) -> bool:
    """The wait is over (bridged, left, timed out, abandoned); whether this ended it."""
    return tx.run(_END, id=hold_id, state=state, now=now, waited=waited, waiting=WAITING,
                  offered=OFFERED) == 1


def stale_offers(tx: Tx, before: datetime) -> list[Rec]:
    """Offers made before `before` and still open."""
    return tx.rows(_STALE_OFFERS, offered=OFFERED, before=before)


def board(tx: Tx) -> list[Rec]:
    """Callers on hold in the line's order: the hold's columns, case_number, company_name,
    area and analyst_name (of an offer being made)."""
    return tx.rows(_BOARD, waiting=WAITING, offered=OFFERED)


def ended_by_state(tx: Tx, since: datetime, until: datetime) -> list[Rec]:
    """The waits that ended in [since, until), one row per way they ended: state, waits,
    seconds (waited, added up) and longest."""
    return tx.rows(_ENDED_BY_STATE, since=since, until=until)


def recent_talks(tx: Tx, since: datetime, limit: int) -> list[Rec]:
    """(accepted_at, ended_at) of the latest conversations with analysts since a time."""
    return tx.rows(_TALKS, accepted=DialOutcome.ACCEPTED, since=since, limit=limit)


def passed_over_by(tx: Tx, call_sid: str, since: datetime) -> list[int]:
    """Analysts whose leg for this call ended untaken since a time."""
    return tx.column(_PASSED_OVER, sid=call_sid, since=since, accepted=DialOutcome.ACCEPTED)


def areas_on_duty(tx: Tx, available: str) -> set[str]:
    """Fault areas that some analyst on duty has a skill for."""
    return set(tx.column(_AREAS_ON_DUTY, available=available))

