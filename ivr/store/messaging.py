"""Statements about what is sent in writing about cases: each number's choice
(`message_preferences`), which cases' callers were sent their confirmation, and which
callbacks were warned of (due soon) or told of (overdue)."""

from __future__ import annotations

from datetime import datetime

from ivr.domain.statuses import FINAL_CALL_STATUSES, CallbackState, CaseStatus
from ivr.store.tx import Q, Rec, Tx

_PREFERENCE = Q("SELECT * FROM message_preferences WHERE phone = :phone")
_SET_PREFERENCE = Q(
    "INSERT INTO message_preferences (phone, no_sms, whatsapp, created_at, updated_at)"
    " VALUES (:phone, :no_sms, :whatsapp, :now, :now)"
    " ON CONFLICT (phone) DO UPDATE SET no_sms = excluded.no_sms,"
    " whatsapp = excluded.whatsapp, updated_at = excluded.updated_at")

_MARK_NOTIFIED = Q(
    "UPDATE cases SET notified_at = :now WHERE id = :id AND notified_at IS NULL")
# Cases not confirmed yet whose call has ended: its final status heard, or (no status
# callback came) opened before :before.
_UNNOTIFIED_ENDED = Q(
    "SELECT c.* FROM cases c LEFT JOIN calls ca ON ca.call_sid = c.origin_call_sid"
    " WHERE c.notified_at IS NULL AND c.created_at >= :after"
    " AND (c.created_at <= :before OR ca.status IN (:f1, :f2, :f3, :f4, :f5))"
    " ORDER BY c.created_at, c.id LIMIT :limit")
# Callbacks due soon that nobody works (the case new or received), not warned of yet.
_DUE_SOON = Q(
    "SELECT * FROM cases WHERE callback_state = :pending AND due_at > :now AND due_at <= :soon"
    " AND warned_at IS NULL AND status IN (:incomplete, :received)"
    " ORDER BY due_at, id LIMIT :limit")
_OVERDUE_UNTOLD = Q(
    "SELECT * FROM cases WHERE callback_state = :pending AND due_at > :since"
    " AND due_at <= :now AND overdue_told_at IS NULL ORDER BY due_at, id LIMIT :limit")
_MARK_WARNED = Q("UPDATE cases SET warned_at = :now WHERE id = :id AND warned_at IS NULL")
_MARK_OVERDUE_TOLD = Q(
    "UPDATE cases SET overdue_told_at = :now WHERE id = :id AND overdue_told_at IS NULL")


def preference(tx: Tx, phone: str) -> Rec | None:
    """What a number chose about written messages, if anything."""
    return tx.row(_PREFERENCE, phone=phone)


def set_preference(tx: Tx, phone: str, no_sms: bool, whatsapp: bool, now: datetime) -> None:
    """Keep a number's choice."""
    tx.run(_SET_PREFERENCE, phone=phone, no_sms=no_sms, whatsapp=whatsapp, now=now)


def mark_notified(tx: Tx, case_id: int, now: datetime) -> bool:
    """Note that a case's caller was sent its confirmation; False when it was already."""
    return tx.run(_MARK_NOTIFIED, id=case_id, now=now) == 1


def unnotified_ended(tx: Tx, after: datetime, before: datetime, limit: int = 50) -> list[Rec]:
    """Cases opened since `after` whose caller was not sent a confirmation yet and whose call
    has ended (or began before `before`)."""
    f1, f2, f3, f4, f5 = sorted(FINAL_CALL_STATUSES)
    return tx.rows(_UNNOTIFIED_ENDED, after=after, before=before, f1=f1, f2=f2, f3=f3, f4=f4,
                   f5=f5, limit=limit)


def due_soon(tx: Tx, now: datetime, soon: datetime, limit: int = 50) -> list[Rec]:
    """Pending callbacks due between now and `soon` that nobody works, not warned of yet."""
    return tx.rows(_DUE_SOON, pending=CallbackState.PENDING, now=now, soon=soon,
                   incomplete=CaseStatus.INCOMPLETE, received=CaseStatus.RECEIVED, limit=limit)


def overdue_untold(tx: Tx, since: datetime, now: datetime, limit: int = 50) -> list[Rec]:
    """Pending callbacks that fell due after `since` and are overdue, not told of yet."""
    return tx.rows(_OVERDUE_UNTOLD, pending=CallbackState.PENDING, since=since, now=now,
                   limit=limit)


def mark_warned(tx: Tx, case_id: int, now: datetime) -> bool:
    """Note the warning; False when it was given already."""
    return tx.run(_MARK_WARNED, id=case_id, now=now) == 1


def mark_overdue_told(tx: Tx, case_id: int, now: datetime) -> bool:
    """Note that the coordinator was told; False when they were already."""
    return tx.run(_MARK_OVERDUE_TOLD, id=case_id, now=now) == 1
