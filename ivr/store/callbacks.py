"""Statements about the callback queue: cases waiting for a specialist to call back."""

from __future__ import annotations

from datetime import datetime

from ivr.domain.statuses import CallbackState
from ivr.store.tx import Q, Rec, Tx

# Callback states of a case, the one definition (ivr/domain/statuses.py takes them over when it
# lands).
PENDING, DONE = CallbackState.PENDING, CallbackState.DONE

# Urgent first, then overdue, then contract clients, then severity (unknown counts as 2, a
# partly affected operation), then the oldest.
_QUEUE = Q(
    "SELECT c.*, co.contract_hours IS NOT NULL AS has_contract"
    " FROM cases c LEFT JOIN companies co ON co.id = c.company_id"
    " WHERE c.callback_state = :pending"
    " ORDER BY CASE WHEN c.urgent THEN 0 ELSE 1 END,"
    " CASE WHEN c.due_at < :now THEN 0 ELSE 1 END,"
    " CASE WHEN co.contract_hours IS NOT NULL THEN 0 ELSE 1 END,"
    " COALESCE(c.severity, 2), c.created_at, c.id"
    " LIMIT :limit")
_CALLBACK_MADE = Q(
    "UPDATE cases SET callback_state = :done, updated_at = :now"
    " WHERE id = :id AND callback_state = :pending")


def pending_callbacks(tx: Tx, now: datetime, limit: int) -> list[Rec]:
    """Cases waiting for a callback, in queue order: each case's columns and has_contract."""
    return tx.rows(_QUEUE, pending=PENDING, now=now, limit=limit)


def mark_callback_made(tx: Tx, case_id: int, now: datetime) -> bool:
    """A pending callback was made: the case leaves the queue. False if none was pending."""
    return tx.run(_CALLBACK_MADE, id=case_id, now=now, done=DONE, pending=PENDING) == 1
