"""Statements about the outbox: messages to the outside, written in the transaction that causes
them and delivered by a worker (ivr/services/outbox.py)."""

from __future__ import annotations

from datetime import datetime

from ivr.domain.statuses import OutboxStatus
from ivr.store.tx import Q, Rec, Tx

PENDING, SENDING = OutboxStatus.PENDING, OutboxStatus.SENDING
SENT, FAILED, EXPIRED = OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.EXPIRED

_NEW = Q(
    "INSERT INTO outbox (kind, payload, status, attempts, next_attempt_at, created_at,"
    " updated_at) VALUES (:kind, :payload, :pending, 0, :due, :now, :now) RETURNING id")
# Due: pending and its time has come, or claimed by a worker that never marked it (its claim
# older than the stale time: the worker died between sending and marking).
_DUE_WHERE = (
    " WHERE (status = :pending AND next_attempt_at <= :now)"
    " OR (status = :sending AND claimed_at <= :stale)"
    " ORDER BY next_attempt_at, id LIMIT :limit")
_DUE = Q("SELECT * FROM outbox" + _DUE_WHERE)  # noqa: S608 - constant text
# PostgreSQL: several workers each take different rows. SQLite: the writer's lock suffices.
_DUE_LOCKED = Q(
    "SELECT * FROM outbox" + _DUE_WHERE + " FOR UPDATE SKIP LOCKED")  # noqa: S608 - constant
_CLAIM = Q(
    "UPDATE outbox SET status = :sending, claimed_at = :now, updated_at = :now"
    " WHERE id = :id")
_SENT = Q(
    "UPDATE outbox SET status = :sent, provider_sid = :sid, attempts = attempts + 1,"
    " last_error = NULL, updated_at = :now WHERE id = :id AND status = :sending")
_RETRY = Q(
    "UPDATE outbox SET status = :pending, attempts = attempts + 1, next_attempt_at = :when,"
    " claimed_at = NULL, last_error = :error, updated_at = :now"
    " WHERE id = :id AND status = :sending")
_GIVE_UP = Q(
    "UPDATE outbox SET status = :status, last_error = :error, claimed_at = NULL,"
    " updated_at = :now WHERE id = :id")
# A call's own webhook names its row (outbox=<id> in its URLs): its sid is kept on a row not
# marked yet, so a worker that died before marking finds it without asking the provider.
_NOTE_SID = Q(
    "UPDATE outbox SET provider_sid = :sid, updated_at = :now"
    " WHERE id = :id AND provider_sid IS NULL AND status IN (:pending, :sending)")
_BY_ID = Q("SELECT * FROM outbox WHERE id = :id")
_UNSENT = Q(
    "SELECT * FROM outbox WHERE status IN (:pending, :sending, :failed, :expired)"
    " ORDER BY created_at, id")


def add(tx: Tx, kind: str, payload: str, now: datetime, due: datetime | None = None) -> int:
    """A new pending message, due now (or at `due`); its id."""
    return tx.value(_NEW, kind=kind, payload=payload, pending=PENDING, now=now,
                    due=due or now)


def due(tx: Tx, now: datetime, stale: datetime, limit: int) -> list[Rec]:
    """Messages to send now, locked for this transaction (skipping those another worker holds
    on PostgreSQL): pending ones due, and claims older than `stale`."""
    return tx.rows(_DUE_LOCKED if tx.pg else _DUE, pending=PENDING, sending=SENDING, now=now,
                   stale=stale, limit=limit)


def claim(tx: Tx, message_id: int, now: datetime) -> None:
    """A worker takes a message: sending since now."""
    tx.run(_CLAIM, id=message_id, sending=SENDING, now=now)


def mark_sent(tx: Tx, message_id: int, provider_sid: str, now: datetime) -> bool:
    """The provider took it (its sid kept). False if the message was no longer claimed."""
    return tx.run(_SENT, id=message_id, sid=provider_sid, sent=SENT, sending=SENDING,
                  now=now) == 1


def reschedule(tx: Tx, message_id: int, when: datetime, error: str, now: datetime) -> bool:
    """An attempt failed: pending again from `when`, with why."""
    return tx.run(_RETRY, id=message_id, when=when, error=error, pending=PENDING,
                  sending=SENDING, now=now) == 1


def give_up(tx: Tx, message_id: int, status: OutboxStatus, error: str, now: datetime) -> None:
    """No more attempts: failed for good or expired, with why."""
    tx.run(_GIVE_UP, id=message_id, status=status, error=error, now=now)


def note_sid(tx: Tx, message_id: int, provider_sid: str, now: datetime) -> bool:
    """The provider's sid, as the message's own webhook reported it, on a row not marked yet.
    False when the row is marked (or unknown)."""
    return tx.run(_NOTE_SID, id=message_id, sid=provider_sid, pending=PENDING, sending=SENDING,
                  now=now) == 1


def by_id(tx: Tx, message_id: int) -> Rec | None:
    """One message."""
    return tx.row(_BY_ID, id=message_id)


def unsent(tx: Tx) -> list[Rec]:
    """Messages not sent (pending, sending, failed, expired), oldest first."""
    return tx.rows(_UNSENT, pending=PENDING, sending=SENDING, failed=FAILED, expired=EXPIRED)
