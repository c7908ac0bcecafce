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


_ENTRIES = Q(
    "SELECT a.*, u.name AS user_name FROM audit_log a LEFT JOIN users u ON u.id = a.user_id"
    " WHERE (CAST(:table_name AS VARCHAR(40)) IS NULL OR a.table_name = :table_name)"
    " AND (CAST(:row_id AS INTEGER) IS NULL OR a.row_id = :row_id)"
    " AND (:any_person OR (CAST(:user_id AS INTEGER) IS NULL AND a.user_id IS NULL)"
    " OR a.user_id = :user_id)"
    " ORDER BY a.created_at DESC, a.id DESC LIMIT :limit")
_TABLES = Q("SELECT DISTINCT table_name FROM audit_log ORDER BY table_name")
_PEOPLE = Q(
    "SELECT DISTINCT u.id, u.name FROM audit_log a JOIN users u ON u.id = a.user_id"
    " ORDER BY u.name, u.id")


def entries(tx: Tx, *, table_name: str | None, row_id: int | None, any_person: bool,
            user_id: int | None, limit: int) -> list[Rec]:
    """Changes, newest first, each with user_name: of one table (and row) or all; by one
    user, by nobody (user_id None: the line or a command) or by anyone (any_person)."""
    return tx.rows(_ENTRIES, table_name=table_name, row_id=row_id, any_person=any_person,
                   user_id=user_id, limit=limit)


def audited_tables(tx: Tx) -> list[str]:
    """The tables the trail has changes of."""
    return tx.column(_TABLES)


def audited_people(tx: Tx) -> list[Rec]:
    """The users who made changes (id, name), by name."""
    return tx.rows(_PEOPLE)
