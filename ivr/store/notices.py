"""Statements about notices: what the coordinator wants every caller to hear before the menu
("Tenemos una falla general de CANTV en Chacao…"), from a start to an end time."""

from __future__ import annotations

from datetime import datetime

from ivr.store.tx import Q, Rec, Tx

_NEW = Q(
    "INSERT INTO notices (text, starts_at, ends_at, created_at, updated_at)"
    " VALUES (:text, :starts_at, :ends_at, :now, :now) RETURNING *")
_BY_ID = Q("SELECT * FROM notices WHERE id = :id")
_ALL = Q("SELECT * FROM notices ORDER BY starts_at DESC, id DESC LIMIT :limit")
# The index on (ends_at, starts_at) keeps this to the notices not over yet, however many ended.
_CURRENT = Q(
    "SELECT * FROM notices WHERE ends_at > :now AND starts_at <= :now AND ended_at IS NULL"
    " ORDER BY starts_at, id")
_END = Q(
    "UPDATE notices SET ended_at = :now, updated_at = :now"
    " WHERE id = :id AND ended_at IS NULL AND ends_at > :now")


def insert_notice(tx: Tx, text: str, starts_at: datetime, ends_at: datetime,
                  now: datetime) -> Rec:
    """A new notice (times naive UTC)."""
    return tx.row(_NEW, text=text, starts_at=starts_at, ends_at=ends_at, now=now)


def notice_by_id(tx: Tx, notice_id: int) -> Rec | None:
    """One notice, or None."""
    return tx.row(_BY_ID, id=notice_id)


def recent_notices(tx: Tx, limit: int) -> list[Rec]:
    """Notices, the latest starting first."""
    return tx.rows(_ALL, limit=limit)


def current_notices(tx: Tx, now: datetime) -> list[Rec]:
    """Notices said now: started, not ended, not ended early; oldest first."""
    return tx.rows(_CURRENT, now=now)


def end_notice(tx: Tx, notice_id: int, now: datetime) -> bool:
    """End a notice now; False when it had ended already (or never existed)."""
    return tx.run(_END, id=notice_id, now=now) == 1
