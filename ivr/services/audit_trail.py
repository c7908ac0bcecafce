"""The audit trail of the directory, the users and the opening hours: who changed which field
of which row, before and after. Every write function of ivr/services/directory.py, skills.py
and users.py records here, in the transaction of the change, whoever calls it: `by` is the
console user's id, None for the line itself or an operator's command.

A PIN or a password is never kept: the trail says it was set, not what to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ivr.domain.clock import utcnow
from ivr.store import audit
from ivr.store.tx import Rec, Tx

CREATED = "created"
REMOVED = "removed"
HIDDEN = "••••••"  # stands for a PIN or password in the trail
TRAIL_LIMIT = 200


def audit_value(value) -> str | None:
    """A stored value as the audit trail keeps it (text; times as naive UTC ISO)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value)


def record(tx: Tx, by: int | None, table: str, row_id: int, field: str, old, new,
           now: datetime | None = None) -> None:
    """One changed field (values as audit_value shows them)."""
    audit.record(tx, user_id=by, table_name=table, row_id=row_id, field=field,
                 old=audit_value(old), new=audit_value(new), now=now or utcnow())


def record_changes(tx: Tx, by: int | None, table: str, before: Rec, after: Rec,
                   fields: Iterable[str], now: datetime | None = None) -> None:
    """One entry per field whose value differs between two versions of a row."""
    for field in fields:
        old, new = getattr(before, field), getattr(after, field)
        if isinstance(new, bool) and isinstance(old, int):
            old = bool(old)  # SQLite keeps booleans as 0 and 1
        old, new = audit_value(old), audit_value(new)
        if old != new:
            record(tx, by, table, before.id, field, old, new, now)


def record_created(tx: Tx, by: int | None, table: str, row_id: int, summary: str,
                   now: datetime | None = None) -> None:
    """A row was added (summary: how a person names it)."""
    record(tx, by, table, row_id, CREATED, None, summary, now)


def record_removed(tx: Tx, by: int | None, table: str, row_id: int, summary: str,
                   now: datetime | None = None) -> None:
    """A row was removed."""
    record(tx, by, table, row_id, REMOVED, summary, None, now)


def trail(tx: Tx, *, table: str | None = None, row_id: int | None = None,
          person: int | None = None, by_nobody: bool = False,
          limit: int = TRAIL_LIMIT) -> list[Rec]:
    """Changes newest first: of a table (and row) or all; by one user (person), by the line
    and the commands (by_nobody), or by anyone."""
    return audit.entries(tx, table_name=table, row_id=row_id,
                         any_person=person is None and not by_nobody, user_id=person,
                         limit=limit)


def of_row(tx: Tx, table: str, row_id: int) -> list[Rec]:
    """One row's changes, oldest first."""
    return audit.entries_of_row(tx, table, row_id)


def tables(tx: Tx) -> list[str]:
    """The tables with changes in the trail."""
    return audit.audited_tables(tx)


def people(tx: Tx) -> list[Rec]:
    """The users who made changes (id, name)."""
    return audit.audited_people(tx)
