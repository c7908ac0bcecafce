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
# Legs rung to analysts in the period, counted by analyst and outcome.
_LEGS_BY_ANALYST = Q(
    "SELECT analyst_id, outcome, COUNT(*) AS legs FROM dial_attempts"
    " WHERE started_at >= :since AND started_at < :until AND analyst_id IS NOT NULL"
    " GROUP BY analyst_id, outcome")
# Seconds from the caller asking for a person to an analyst accepting, per accepted leg.
_ANSWERED_LEGS = (
    " FROM dial_attempts d JOIN calls c ON c.call_sid = d.call_sid"
    " WHERE d.started_at >= :since AND d.started_at < :until AND d.analyst_id IS NOT NULL"
    " AND d.outcome = :accepted AND d.accepted_at IS NOT NULL")
_ANSWER_SECONDS_SQLITE = Q(
    "SELECT (julianday(d.accepted_at) - julianday(COALESCE(c.hunt_started_at, c.started_at)))"
    " * 86400.0" + _ANSWERED_LEGS)
_ANSWER_EPOCH = "EXTRACT(EPOCH FROM d.accepted_at - COALESCE(c.hunt_started_at, c.started_at))"
_ANSWER_SECONDS_PG = Q(f"SELECT {_ANSWER_EPOCH}{_ANSWERED_LEGS}")  # noqa: S608 - constants
# Calls back made in the period, by the analyst the case is assigned to (callback_attempts
# keeps no author).
_CALLBACKS_BY_ANALYST = Q(
    "SELECT c.assigned_analyst_id AS analyst_id, COUNT(*) AS made"
    " FROM callback_attempts a JOIN cases c ON c.id = a.case_id"
    " WHERE a.created_at >= :since AND a.created_at < :until"
    " GROUP BY c.assigned_analyst_id")
# Seconds from a case's opening to its first call back, per case opened in the period.
# (A call back comes after its case's opening: bounding both by :since lets the database
# read only the period's calls back, by their own index.)
_CALLED_BACK = (
    " FROM cases c JOIN callback_attempts a ON a.case_id = c.id"
    " WHERE c.created_at >= :since AND c.created_at < :until AND a.created_at >= :since"
    " GROUP BY c.id, c.created_at")
_CALLBACK_SECONDS_SQLITE = Q(
    "SELECT (julianday(MIN(a.created_at)) - julianday(c.created_at)) * 86400.0" + _CALLED_BACK)
_CALLBACK_EPOCH = "EXTRACT(EPOCH FROM MIN(a.created_at) - c.created_at)"
_CALLBACK_SECONDS_PG = Q(f"SELECT {_CALLBACK_EPOCH}{_CALLED_BACK}")  # noqa: S608 - constants
# Cases of contract companies opened in the period, with the first answer they got: a call
# back, or an analyst taking their call.
_CONTRACT_CASES = Q(
    "SELECT c.id, c.created_at, c.callback_state, co.id AS company_id,"
    " co.name AS company_name, co.contract_hours,"
    " (SELECT MIN(a.created_at) FROM callback_attempts a WHERE a.case_id = c.id)"
    " AS first_callback_at,"
    " (SELECT MIN(d.accepted_at) FROM dial_attempts d WHERE d.case_id = c.id)"
    " AS first_accepted_at"
    " FROM cases c JOIN companies co ON co.id = c.company_id"
    " WHERE c.created_at >= :since AND c.created_at < :until"
    " AND co.contract_hours IS NOT NULL")
# Counted on the index (callback_state, due_at) alone: three ranges of it.
_CALLBACKS_WAITING = Q(
    "SELECT COUNT(*) FROM cases WHERE callback_state = :pending")
_CALLBACKS_DUE_BETWEEN = Q(
    "SELECT COUNT(*) FROM cases WHERE callback_state = :pending AND due_at >= :since"
    " AND due_at < :until")
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


def legs_by_analyst(tx: Tx, since: datetime, until: datetime) -> list[Rec]:
    """Legs rung to analysts that started in [since, until): analyst_id, outcome, legs."""
    return tx.rows(_LEGS_BY_ANALYST, since=since, until=until)


def answer_seconds(tx: Tx, since: datetime, until: datetime, accepted: str) -> list[float]:
    """Per leg accepted among those started in [since, until): the seconds from the caller
    asking for a person (the hunt's start, else the call's) to the acceptance."""
    return [float(v) for v in tx.column(_ANSWER_SECONDS_PG if tx.pg else _ANSWER_SECONDS_SQLITE,
                                        since=since, until=until, accepted=accepted)]


def callbacks_by_analyst(tx: Tx, since: datetime, until: datetime) -> list[Rec]:
    """Calls back made in [since, until) per assigned analyst (analyst_id may be None)."""
    return tx.rows(_CALLBACKS_BY_ANALYST, since=since, until=until)


def callback_seconds(tx: Tx, since: datetime, until: datetime) -> list[float]:
    """Per case opened in [since, until) and called back: the seconds to its first call
    back."""
    return [float(v) for v in tx.column(
        _CALLBACK_SECONDS_PG if tx.pg else _CALLBACK_SECONDS_SQLITE, since=since, until=until)]


def contract_cases(tx: Tx, since: datetime, until: datetime) -> list[Rec]:
    """Cases of contract companies opened in [since, until): created_at, callback_state,
    company (company_id, company_name, contract_hours), first_callback_at and
    first_accepted_at (None when there was none)."""
    rows = tx.rows(_CONTRACT_CASES, since=since, until=until)
    if tx.pg:
        return rows
    # SQLite returns the aggregates as text: the same Python types as the columns.
    return [row.replace(first_callback_at=_time(row.first_callback_at),
                        first_accepted_at=_time(row.first_accepted_at)) for row in rows]


def _time(value) -> datetime | None:
    """A time SQLite returned as text."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def callbacks_waiting(tx: Tx, pending: str) -> int:
    """Cases waiting for a call back."""
    return tx.value(_CALLBACKS_WAITING, pending=pending) or 0


def callbacks_due_between(tx: Tx, pending: str, since: datetime, until: datetime) -> int:
    """Cases waiting for a call back due in [since, until)."""
    return tx.value(_CALLBACKS_DUE_BETWEEN, pending=pending, since=since, until=until) or 0


def overdue_callbacks(tx: Tx, *, pending: str, resolved: str, now: datetime,
                      limit: int) -> list[Rec]:
    """The most overdue callbacks first: number, company_name, caller_name, due_at,
    severity."""
    return tx.rows(_OVERDUE, pending=pending, resolved=resolved, now=now, limit=limit)


def live_legs(tx: Tx, since: datetime) -> list[Rec]:
    """Legs to analysts not ended yet (started after `since`), newest first, with the case's
    number, company_name and caller_name."""
    return tx.rows(_LIVE_LEGS, since=since)
