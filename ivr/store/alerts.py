"""Statements about emergency alerts (the `alerts` table)."""

from __future__ import annotations

from datetime import datetime

from ivr.domain.statuses import AlertStatus
from ivr.store.tx import Q, Rec, Tx

ALERTING, TAKEN = AlertStatus.ALERTING, AlertStatus.TAKEN

# One alert per case: raising it again (the message after the unanswered hunt, a replay)
# changes nothing.
_NEW = Q(
    "INSERT INTO alerts (case_id, status, round_no, step, next_step_at, created_at, updated_at)"
    " VALUES (:case_id, :alerting, 1, 0, :now, :now, :now)"
    " ON CONFLICT (case_id) DO NOTHING RETURNING *")
_DUE_WHERE = " WHERE status = :alerting AND next_step_at <= :now ORDER BY next_step_at, id" \
    " LIMIT :limit"
_DUE = Q("SELECT * FROM alerts" + _DUE_WHERE)  # noqa: S608 - constant text
# PostgreSQL: two workers never advance the same alert (one texts, the other waits).
_DUE_LOCKED = Q("SELECT * FROM alerts" + _DUE_WHERE + " FOR UPDATE SKIP LOCKED")  # noqa: S608
_BY_ID = Q("SELECT * FROM alerts WHERE id = :id")
_OF_CASE = Q("SELECT * FROM alerts WHERE case_id = :case_id")
# The first to take it wins: the others find it taken.
_TAKE = Q(
    "UPDATE alerts SET status = :taken, taken_by_contact_id = :contact_id,"
    " taken_by_analyst_id = :analyst_id, taken_at = :now, updated_at = :now"
    " WHERE id = :id AND status = :alerting")
# A call of the round ended without anyone taking it: the next one now, not at its time.
_HURRY = Q(
    "UPDATE alerts SET next_step_at = :now, updated_at = :now"
    " WHERE id = :id AND status = :alerting AND step = :step AND next_step_at > :now")


def add(tx: Tx, case_id: int, now: datetime) -> Rec | None:
    """A new alert for a case, due now; None when the case has one already."""
    return tx.row(_NEW, case_id=case_id, alerting=ALERTING, now=now)


def due(tx: Tx, now: datetime, limit: int = 20) -> list[Rec]:
    """Alerts whose next step is due, locked for this transaction."""
    return tx.rows(_DUE_LOCKED if tx.pg else _DUE, alerting=ALERTING, now=now, limit=limit)


def by_id(tx: Tx, alert_id: int | None) -> Rec | None:
    """One alert."""
    return tx.row(_BY_ID, id=alert_id) if alert_id is not None else None


def of_case(tx: Tx, case_id: int) -> Rec | None:
    """A case's alert, if it has one."""
    return tx.row(_OF_CASE, case_id=case_id)


def take(tx: Tx, alert_id: int, contact_id: int | None, analyst_id: int | None,
         now: datetime) -> bool:
    """Someone takes the case; False when it was taken (or given up) already."""
    return tx.run(_TAKE, id=alert_id, contact_id=contact_id, analyst_id=analyst_id,
                  taken=TAKEN, alerting=ALERTING, now=now) == 1


def hurry(tx: Tx, alert_id: int, step: int, now: datetime) -> bool:
    """Bring the next step forward to now, if the alert is still at `step`."""
    return tx.run(_HURRY, id=alert_id, step=step, alerting=ALERTING, now=now) == 1

