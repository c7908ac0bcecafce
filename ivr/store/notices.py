"""Statements about what callers are sent in writing: each number's choice
(`message_preferences`) and which cases' callers were sent their confirmation."""

from __future__ import annotations

from datetime import datetime

from ivr.store.tx import Q, Rec, Tx

_PREFERENCE = Q("SELECT * FROM message_preferences WHERE phone = :phone")
_SET_PREFERENCE = Q(
    "INSERT INTO message_preferences (phone, no_sms, whatsapp, created_at, updated_at)"
    " VALUES (:phone, :no_sms, :whatsapp, :now, :now)"
    " ON CONFLICT (phone) DO UPDATE SET no_sms = excluded.no_sms,"
    " whatsapp = excluded.whatsapp, updated_at = excluded.updated_at")

_MARK_NOTIFIED = Q(
    "UPDATE cases SET notified_at = :now WHERE id = :id AND notified_at IS NULL")
_UNNOTIFIED_OF_CALL = Q(
    "SELECT * FROM cases WHERE origin_call_sid = :sid AND notified_at IS NULL ORDER BY id")
# Cases whose call ended without the line hearing of it (no status callback).
_UNNOTIFIED_BETWEEN = Q(
    "SELECT * FROM cases WHERE notified_at IS NULL AND created_at >= :after"
    " AND created_at <= :before ORDER BY created_at, id LIMIT :limit")


def preference(tx: Tx, phone: str) -> Rec | None:
    """What a number chose about written messages, if anything."""
    return tx.row(_PREFERENCE, phone=phone)


def set_preference(tx: Tx, phone: str, no_sms: bool, whatsapp: bool, now: datetime) -> None:
    """Keep a number's choice."""
    tx.run(_SET_PREFERENCE, phone=phone, no_sms=no_sms, whatsapp=whatsapp, now=now)


def mark_notified(tx: Tx, case_id: int, now: datetime) -> bool:
    """Note that a case's caller was sent its confirmation; False when it was already."""
    return tx.run(_MARK_NOTIFIED, id=case_id, now=now) == 1


def unnotified_of_call(tx: Tx, call_sid: str) -> list[Rec]:
    """The cases a call opened whose caller was not sent a confirmation yet."""
    return tx.rows(_UNNOTIFIED_OF_CALL, sid=call_sid)


def unnotified_between(tx: Tx, after: datetime, before: datetime, limit: int = 50) -> list[Rec]:
    """Cases opened in a span whose caller was not sent a confirmation yet."""
    return tx.rows(_UNNOTIFIED_BETWEEN, after=after, before=before, limit=limit)
