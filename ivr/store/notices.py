"""Statements about what callers are sent in writing: each number's choice
(`message_preferences`) and which cases' callers were sent their confirmation."""

from __future__ import annotations

from datetime import datetime

from ivr.domain.statuses import FINAL_CALL_STATUSES
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
