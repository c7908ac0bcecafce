"""Calls and their dial attempts: every statement about the `calls` and `dial_attempts` tables."""

from __future__ import annotations

from datetime import datetime

from ivr.store.tx import Q, Rec, Tx

# Create the call's row or count one more webhook on it, and read it back: one round trip per
# webhook. Plain SQL that SQLite (3.35+) and PostgreSQL both accept.
_TOUCH = Q(
    "INSERT INTO calls (call_sid, direction, from_number, from_raw, to_number, forwarded_from,"
    " status, webhooks, attempts, ring_seconds, started_at, updated_at)"
    " VALUES (:call_sid, :direction, :from_number, :from_raw, :to_number, :forwarded_from,"
    " :status, 1, 0, 0, :now, :now)"
    " ON CONFLICT (call_sid) DO UPDATE SET webhooks = calls.webhooks + 1, updated_at = :now"
    " RETURNING *")
_CALL = Q("SELECT * FROM calls WHERE call_sid = :sid")
_CALL_FOR_UPDATE = Q("SELECT * FROM calls WHERE call_sid = :sid FOR UPDATE")
_NEW_ATTEMPT = Q(
    "INSERT INTO dial_attempts (call_sid, seq, case_id, analyst_id, emergency_contact_id,"
    " outcome, started_at) VALUES (:sid, :seq, :case_id, :analyst_id, :emergency_contact_id,"
    " :outcome, :now) RETURNING *")
_ATTEMPT = Q("SELECT * FROM dial_attempts WHERE id = :id")
_ATTEMPT_BY_SEQ = Q("SELECT * FROM dial_attempts WHERE call_sid = :sid AND seq = :seq")
_TRIED_EMERGENCY = Q("SELECT emergency_contact_id FROM dial_attempts"
                     " WHERE call_sid = :sid AND emergency_contact_id IS NOT NULL")


def touch(tx: Tx, *, call_sid: str, direction: str | None, from_number: str | None,
          from_raw: str | None, to_number: str | None, forwarded_from: str | None,
          status: str, now: datetime) -> Rec:
    """Create the call's row, or count one more webhook on it; the row as it is now."""
    return tx.row(_TOUCH, call_sid=call_sid, direction=direction, from_number=from_number,
                  from_raw=from_raw, to_number=to_number, forwarded_from=forwarded_from,
                  status=status, now=now)


def get(tx: Tx, call_sid: str, for_update: bool = False) -> Rec | None:
    """A call by its CallSid (locked for this transaction on PostgreSQL when `for_update`)."""
    return tx.row(_CALL_FOR_UPDATE if for_update and tx.pg else _CALL, sid=call_sid)


def update(tx: Tx, call_sid: str, **values) -> None:
    """Write some columns of a call."""
    tx.update("calls", call_sid, **values)


def new_attempt(tx: Tx, *, call_sid: str, seq: int, case_id: int | None,
                analyst_id: int | None, emergency_contact_id: int | None, outcome: str,
                now: datetime) -> Rec:
    """Record one leg about to ring."""
    return tx.row(_NEW_ATTEMPT, sid=call_sid, seq=seq, case_id=case_id, analyst_id=analyst_id,
                  emergency_contact_id=emergency_contact_id, outcome=outcome, now=now)


def attempt(tx: Tx, attempt_id: int | None) -> Rec | None:
    """A dial attempt by id."""
    return None if attempt_id is None else tx.row(_ATTEMPT, id=attempt_id)


def attempt_by_seq(tx: Tx, call_sid: str, seq: int) -> Rec | None:
    """A call's attempt by its order number."""
    return tx.row(_ATTEMPT_BY_SEQ, sid=call_sid, seq=seq)


def update_attempt(tx: Tx, attempt_id: int, **values) -> None:
    """Write some columns of a dial attempt."""
    tx.update("dial_attempts", attempt_id, **values)


def emergency_contacts_tried(tx: Tx, call_sid: str) -> frozenset[int]:
    """Emergency contacts already rung in this call."""
    return frozenset(tx.column(_TRIED_EMERGENCY, sid=call_sid))
