"""Statements about the callback queue: cases waiting for a specialist to call back."""

from __future__ import annotations

from datetime import datetime

from ivr.domain.statuses import CallbackState
from ivr.store.tx import Q, Rec, Tx

PENDING, DONE = CallbackState.PENDING, CallbackState.DONE

# Urgent first, then overdue, then contract clients, then severity (unknown counts as 2, a
# partly affected operation), then the oldest.
_QUEUE = Q(
    "SELECT c.*, co.contract_hours IS NOT NULL AS has_contract,"
    " (SELECT COUNT(*) FROM callback_attempts a WHERE a.case_id = c.id) AS attempts"
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
    """Cases waiting for a callback, in queue order: each case's columns, has_contract and
    attempts (calls back made so far without speaking to the client)."""
    return tx.rows(_QUEUE, pending=PENDING, now=now, limit=limit)


def mark_callback_made(tx: Tx, case_id: int, now: datetime) -> bool:
    """A pending callback was made: the case leaves the queue. False if none was pending."""
    return tx.run(_CALLBACK_MADE, id=case_id, now=now, done=DONE, pending=PENDING) == 1


_NEW_ATTEMPT = Q(
    "INSERT INTO callback_attempts (case_id, outcome, note, created_at)"
    " VALUES (:case_id, :outcome, :note, :now) RETURNING *")
_ATTEMPTS_OF_CASE = Q(
    "SELECT * FROM callback_attempts WHERE case_id = :case_id ORDER BY created_at, id")


def insert_attempt(tx: Tx, case_id: int, outcome: str, note: str | None,
                   now: datetime) -> Rec:
    """Record one call back to a case's client and how it went; the row as stored."""
    return tx.row(_NEW_ATTEMPT, case_id=case_id, outcome=outcome, note=note, now=now)


def attempts_of_case(tx: Tx, case_id: int) -> list[Rec]:
    """A case's call-back attempts, oldest first."""
    return tx.rows(_ATTEMPTS_OF_CASE, case_id=case_id)
