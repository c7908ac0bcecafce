"""What the dashboard and the wallboard read: calls, put-throughs and calls back over a period,
the callback queue's size, and who is on a call now. Every statement reads a range of an
indexed time column (revision 0011 added the ones that were missing), so a period costs what
its own rows cost, however many cases the line holds.

Clients' calls only: the analysts' calls to their own phone menu (calls.analyst_id set) are
left out everywhere.
"""

from __future__ import annotations

from datetime import datetime

from ivr.store.tx import Q, Rec, Tx

# The hour of a call as text, 'YYYY-MM-DD HH' (UTC): SQLite keeps times as ISO text.
_CALLS_BY_HOUR_SQLITE = Q(
    "SELECT substr(started_at, 1, 13) AS hour, outcome, status,"
    " CASE WHEN case_id IS NULL THEN 0 ELSE 1 END AS with_case, COUNT(*) AS calls"
    " FROM calls WHERE started_at >= :since AND started_at < :until AND analyst_id IS NULL"
    " GROUP BY substr(started_at, 1, 13), outcome, status,"
    " CASE WHEN case_id IS NULL THEN 0 ELSE 1 END")
_CALLS_BY_HOUR_PG = Q(
    "SELECT to_char(started_at, 'YYYY-MM-DD HH24') AS hour, outcome, status,"
    " CASE WHEN case_id IS NULL THEN 0 ELSE 1 END AS with_case, COUNT(*) AS calls"
    " FROM calls WHERE started_at >= :since AND started_at < :until AND analyst_id IS NULL"
    " GROUP BY to_char(started_at, 'YYYY-MM-DD HH24'), outcome, status,"
    " CASE WHEN case_id IS NULL THEN 0 ELSE 1 END")
_CALLS_BETWEEN = Q(
    "SELECT COUNT(*) FROM calls WHERE started_at >= :since AND started_at < :until"
    " AND analyst_id IS NULL")
# Every leg rung for a client in the period, with when the caller asked for a person.
_LEGS = Q(
    "SELECT d.analyst_id, d.outcome, d.accepted_at,"
    " COALESCE(c.hunt_started_at, c.started_at) AS started_at"
    " FROM dial_attempts d JOIN calls c ON c.call_sid = d.call_sid"
    " WHERE d.started_at >= :since AND d.started_at < :until AND d.analyst_id IS NOT NULL")
# Calls back made in the period, by the analyst the case is assigned to (callback_attempts
# keeps no author).
_CALLBACKS_BY_ANALYST = Q(
    "SELECT c.assigned_analyst_id AS analyst_id, COUNT(*) AS made"
    " FROM callback_attempts a JOIN cases c ON c.id = a.case_id"
    " WHERE a.created_at >= :since AND a.created_at < :until"
    " GROUP BY c.assigned_analyst_id")
# Cases opened in the period that waited for a callback at some point, with their company's
# contract and the first answer they got: a call back, or an analyst taking their call.
_RESPONSES = Q(
    "SELECT c.id, c.created_at, c.callback_state, co.id AS company_id,"
    " co.name AS company_name, co.contract_hours,"
    " (SELECT MIN(a.created_at) FROM callback_attempts a WHERE a.case_id = c.id)"
    " AS first_callback_at,"
    " (SELECT MIN(d.accepted_at) FROM dial_attempts d WHERE d.case_id = c.id)"
    " AS first_accepted_at"
    " FROM cases c LEFT JOIN companies co ON co.id = c.company_id"
    " WHERE c.created_at >= :since AND c.created_at < :until")
_CALLBACKS_WAITING = Q(
    "SELECT COUNT(*) AS waiting,"
    " COALESCE(SUM(CASE WHEN due_at < :now THEN 1 ELSE 0 END), 0) AS overdue,"
    " COALESCE(SUM(CASE WHEN due_at >= :now AND due_at < :day_end THEN 1 ELSE 0 END), 0)"
    " AS due_today"
    " FROM cases WHERE callback_state = :pending AND status <> :resolved")
_OVERDUE = Q(
    "SELECT number, company_name, caller_name, due_at, severity FROM cases"
    " WHERE callback_state = :pending AND status <> :resolved AND due_at < :now"
    " ORDER BY due_at, id LIMIT :limit")
# The legs ringing or bridged now, newest first, with the case they are about.
_LIVE_LEGS = Q(
    "SELECT d.analyst_id, d.outcome, d.started_at, d.accepted_at, c.number,"
    " c.company_name, c.caller_name"
    " FROM dial_attempts d LEFT JOIN cases c ON c.id = d.case_id"
    " WHERE d.ended_at IS NULL AND d.started_at >= :since AND d.analyst_id IS NOT NULL"
    " ORDER BY d.started_at DESC")


def calls_by_hour(tx: Tx, since: datetime, until: datetime) -> list[Rec]:
    """Clients' calls started in [since, until) counted by UTC hour ('YYYY-MM-DD HH'),
    outcome, status and whether they are about a case (with_case 0/1): hour, outcome,
    status, with_case, calls."""
    return tx.rows(_CALLS_BY_HOUR_PG if tx.pg else _CALLS_BY_HOUR_SQLITE, since=since,
                   until=until)


def calls_between(tx: Tx, since: datetime, until: datetime) -> int:
    """Clients' calls started in [since, until)."""
    return tx.value(_CALLS_BETWEEN, since=since, until=until) or 0


def legs(tx: Tx, since: datetime, until: datetime) -> list[Rec]:
    """Legs rung to analysts that started in [since, until): analyst_id, outcome, accepted_at
    and started_at (when the caller asked for a person)."""
    return tx.rows(_LEGS, since=since, until=until)


def callbacks_by_analyst(tx: Tx, since: datetime, until: datetime) -> list[Rec]:
    """Calls back made in [since, until) per assigned analyst (analyst_id may be None)."""
    return tx.rows(_CALLBACKS_BY_ANALYST, since=since, until=until)


def responses(tx: Tx, since: datetime, until: datetime) -> list[Rec]:
    """Cases opened in [since, until): created_at, callback_state, company (id, name,
    contract_hours) and the first call back and first accepted put-through, if any."""
    rows = tx.rows(_RESPONSES, since=since, until=until)
    if tx.pg:
        return rows
    # SQLite returns the aggregates as text: the same Python types as the columns.
    return [row.replace(first_callback_at=_time(row.first_callback_at),
                        first_accepted_at=_time(row.first_accepted_at)) for row in rows]


def _time(value) -> datetime | None:
    """A time SQLite returned as text."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def callbacks_waiting(tx: Tx, *, pending: str, resolved: str, now: datetime,
                      day_end: datetime) -> Rec:
    """The callback queue now: waiting, overdue, and due before `day_end`."""
    return tx.row(_CALLBACKS_WAITING, pending=pending, resolved=resolved, now=now,
                  day_end=day_end)


def overdue_callbacks(tx: Tx, *, pending: str, resolved: str, now: datetime,
                      limit: int) -> list[Rec]:
    """The most overdue callbacks first: number, company_name, caller_name, due_at,
    severity."""
    return tx.rows(_OVERDUE, pending=pending, resolved=resolved, now=now, limit=limit)


def live_legs(tx: Tx, since: datetime) -> list[Rec]:
    """Legs to analysts not ended yet (started after `since`), newest first, with the case's
    number, company_name and caller_name."""
    return tx.rows(_LIVE_LEGS, since=since)
