"""The audit trail: every statement about `audit_log` (who changed which field, before and
after)."""

from __future__ import annotations

from datetime import datetime

from ivr.store.tx import Q, Rec, Tx

_NEW_ENTRY = Q(
    "INSERT INTO audit_log (user_id, table_name, row_id, field, old_value, new_value,"
    " created_at) VALUES (:user_id, :table_name, :row_id, :field, :old, :new, :now)")
_ENTRIES_OF_ROW = Q(
    "SELECT a.*, u.name AS user_name FROM audit_log a LEFT JOIN users u ON u.id = a.user_id"
    " WHERE a.table_name = :table_name AND a.row_id = :row_id ORDER BY a.created_at, a.id")


def record(tx: Tx, *, user_id: int | None, table_name: str, row_id: int, field: str,
           old: str | None, new: str | None, now: datetime) -> None:
    """One changed field."""
    tx.run(_NEW_ENTRY, user_id=user_id, table_name=table_name, row_id=row_id, field=field,
           old=old, new=new, now=now)


def entries_of_row(tx: Tx, table_name: str, row_id: int) -> list[Rec]:
    """A row's changes, oldest first, each with the user's name (user_name)."""
    return tx.rows(_ENTRIES_OF_ROW, table_name=table_name, row_id=row_id)
