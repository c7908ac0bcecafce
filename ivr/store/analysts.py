"""Analysts: every statement about the `analysts` table — who they are, their status, and
the leases that routing claims. A free analyst is available, active (not deactivated) and
holds no live lease; ivr/services/routing.py explains how a claim stays atomic."""

from __future__ import annotations

import json
from datetime import datetime

from ivr.domain.statuses import AnalystStatus
from ivr.store.tx import Q, Rec, Tx

CANDIDATES = 10

# A deactivated analyst (deactivated_at set) is never free, whatever their status says.
_FREE = ("status = :available AND deactivated_at IS NULL"
         " AND (lease_until IS NULL OR lease_until <= :now)")
# Nobody is rung twice in one call (`rung_sid`: the call; '' for an offer to a caller on hold,
# who may be offered again to someone who could not take them before).
_NOT_RUNG = ("id NOT IN (SELECT analyst_id FROM dial_attempts"
             " WHERE call_sid = :rung_sid AND analyst_id IS NOT NULL)")
# Analysts with a skill serving the fault's area (rule 8; none when the area is NULL).
_SKILLED = ("id IN (SELECT x.analyst_id FROM analyst_skills x JOIN skills k"
            " ON k.id = x.skill_id WHERE k.area = :area)")
# Who may be claimed: anyone, or (while a caller waits for the skill) the case's own analyst
# and the skilled ones.
_WHO = f"(:anyone OR id = :prefer OR {_SKILLED})"
# The analyst already on the case first (when given), then one with the skill, then the
# longest idle.
_ORDER = (f"ORDER BY CASE WHEN id = :prefer THEN 0 WHEN {_SKILLED} THEN 1 ELSE 2 END,"
          " idle_since, id")
_SET_LEASE = "UPDATE analysts SET lease_call_sid = :sid, lease_until = :until"
_RETURNING = "RETURNING id, name, phone"
# One statement: pick the first free analyst and lease them. On SQLite writers take turns
# (BEGIN IMMEDIATE), so nothing can take the row in between. On PostgreSQL the pick skips rows
# other claims are locking right now (concurrent callers spread over different analysts),
# and the outer condition is checked again on the row as it is when its lock is granted.
_CLAIM_SQLITE = Q(
    f"{_SET_LEASE} WHERE id = (SELECT id FROM analysts WHERE {_FREE} AND {_NOT_RUNG}"  # noqa: S608
    f" AND {_WHO} AND id NOT IN (SELECT value FROM json_each(:exclude))"
    f" {_ORDER} LIMIT 1) AND {_FREE} {_RETURNING}")
_CLAIM_SKIP_LOCKED = Q(
    f"{_SET_LEASE} WHERE id = (SELECT id FROM analysts WHERE {_FREE} AND {_NOT_RUNG}"  # noqa: S608
    f" AND {_WHO} AND NOT (id = ANY(CAST(:exclude AS INTEGER[])))"
    f" {_ORDER} LIMIT 1 FOR UPDATE SKIP LOCKED) AND {_FREE} {_RETURNING}")
# PostgreSQL, when the fast path found nobody: candidates, then a compare-and-set each, which
# waits for a row another claim is updating and then checks the condition again.
_CANDIDATES = Q(
    f"SELECT id, name, phone FROM analysts WHERE {_FREE} AND {_NOT_RUNG} AND {_WHO}"  # noqa: S608
    f" {_ORDER}"
    " LIMIT :limit")
_CLAIM = Q(f"{_SET_LEASE} WHERE id = :id AND {_FREE}")
_EXTEND = Q("UPDATE analysts SET lease_until = :until, missed_in_row = 0"
            " WHERE id = :id AND lease_call_sid = :sid")
# The lease ends; after a conversation the analyst stays busy until `wrap_until` (wrap-up
# time: no call, and free once it has passed), otherwise free at once (NULL).
_RELEASE = Q("UPDATE analysts SET lease_call_sid = NULL, lease_until = :wrap_until,"
             " idle_since = :now WHERE id = :id AND lease_call_sid = :sid")
_ANALYST_FOR_UPDATE = Q("SELECT * FROM analysts WHERE id = :id FOR UPDATE")
_REAP = Q("UPDATE analysts SET lease_call_sid = NULL, lease_until = NULL, idle_since = :now"
          " WHERE id = :id AND lease_until IS NOT NULL AND lease_until <= :now")
_EXPIRED = Q("SELECT id, lease_call_sid FROM analysts"
             " WHERE lease_until IS NOT NULL AND lease_until <= :now")


# One given analyst, for a call back they place themselves: active and on no other call (their
# chosen status aside: an analyst unavailable for incoming calls may still call clients back;
# one in the wrap-up after a call, no call held, may too).
_LEASE_ONE = Q(
    f"{_SET_LEASE} WHERE id = :id AND deactivated_at IS NULL"  # noqa: S608 - constant text
    " AND (lease_until IS NULL OR lease_until <= :now OR lease_call_sid IS NULL)")
_ANY_FREE = Q(f"SELECT 1 FROM analysts WHERE {_FREE} LIMIT 1")  # noqa: S608 - constant text
_LEASED_PHONE = Q("SELECT phone FROM analysts WHERE id = :id AND lease_call_sid = :sid")


def claim(tx: Tx, *, call_sid: str, now: datetime, until: datetime, prefer: int | None,
          exclude: frozenset[int], available: str, area: str | None = None,
          anyone: bool = True, rung_sid: str | None = None, wait: bool = True) -> Rec | None:
    """Lease the first free analyst not yet rung in call `rung_sid` (default: this call) —
    the preferred one first, then one with a skill for `area`, then the longest idle; only
    those two kinds unless `anyone` — their id, name and phone, or None. Without `wait`, an
    analyst another transaction is claiming right now is skipped, never waited for (an offer
    round holding callers' rows must not wait on a row another round may hold)."""
    who = {"prefer": prefer, "area": area, "anyone": anyone,
           "rung_sid": call_sid if rung_sid is None else rung_sid}
    if not tx.pg:
        return tx.row(_CLAIM_SQLITE, sid=call_sid, until=until, now=now, **who,
                      exclude=json.dumps(sorted(exclude)), available=available)
    row = tx.row(_CLAIM_SKIP_LOCKED, sid=call_sid, until=until, now=now, **who,
                 exclude=sorted(exclude), available=available)
    if row is not None or not wait:
        return row
    lost: set[int] = set()
    while True:
        # Candidates are read again after each batch lost to concurrent claims: with more
        # callers than CANDIDATES, a batch can be all taken while other analysts are free.
        skip = exclude | lost
        candidates = [row for row in tx.rows(_CANDIDATES, now=now, **who,
                                             limit=CANDIDATES + len(skip),
                                             available=available)
                      if row.id not in skip][:CANDIDATES]
        if not candidates:
            return None
        for row in candidates:
            if tx.run(_CLAIM, sid=call_sid, until=until, id=row.id, now=now,
                      available=available) == 1:
                return row
            lost.add(row.id)


def lease_one(tx: Tx, analyst_id: int, lease_key: str, now: datetime, until: datetime) -> bool:
    """Lease one analyst for a call they place, if active and on no call; whether it was."""
    return tx.run(_LEASE_ONE, id=analyst_id, sid=lease_key, now=now, until=until) == 1
def anyone_free(tx: Tx, now: datetime, available: str) -> bool:
    """Whether some analyst is free now (a hint: a claim may still find nobody)."""
    return tx.value(_ANY_FREE, now=now, available=available) is not None


def extend_lease(tx: Tx, analyst_id: int, call_sid: str, until: datetime) -> None:
    """Keep a leased analyst busy until `until`; their missed calls start again from 0."""
    tx.run(_EXTEND, id=analyst_id, sid=call_sid, until=until)


def release(tx: Tx, analyst_id: int, call_sid: str, now: datetime,
            wrap_until: datetime | None = None) -> bool:
    """End this call's lease on an analyst (only this call's); busy in wrap-up until
    `wrap_until` when given."""
    return tx.run(_RELEASE, id=analyst_id, sid=call_sid, now=now, wrap_until=wrap_until) == 1


def leased_phone(tx: Tx, analyst_id: int, call_sid: str) -> str | None:
    """The phone of an analyst while this call holds their lease."""
    return tx.value(_LEASED_PHONE, id=analyst_id, sid=call_sid)


def get(tx: Tx, analyst_id: int | None, for_update: bool = False) -> Rec | None:
    """An analyst by id (locked for this transaction on PostgreSQL when `for_update`)."""
    if analyst_id is None:
        return None
    return tx.row(_ANALYST_FOR_UPDATE if for_update and tx.pg else _ANALYST_BY_ID, id=analyst_id)



def expired_leases(tx: Tx, now: datetime) -> list[Rec]:
    """Analysts whose lease expired (id, lease_call_sid)."""
    return tx.rows(_EXPIRED, now=now)


def reap(tx: Tx, analyst_id: int, now: datetime) -> None:
    """Clear an analyst's lease if it has expired."""
    tx.run(_REAP, id=analyst_id, now=now)


# --- analysts as people: who they are, their status -------------------------------------------

_ANALYST_BY_ID = Q("SELECT * FROM analysts WHERE id = :id")
_ANALYST_BY_PHONE = Q("SELECT * FROM analysts WHERE phone = :phone")
_ANALYSTS = Q("SELECT * FROM analysts ORDER BY id")
_NEW_ANALYST = Q(
    "INSERT INTO analysts (name, phone, pin_hash, status, idle_since, missed_in_row,"
    " away_notice, created_at)"
    " VALUES (:name, :phone, :pin_hash, :status, :now, 0, FALSE, :now) RETURNING *")
# One statement, each column from the row as it was: becoming available (from another status)
# starts a new idle period and forgets missed calls; any status but away drops the away notice.
_SET_STATUS = Q(
    "UPDATE analysts SET"
    " idle_since = CASE WHEN :to_available AND status <> :status THEN :now ELSE idle_since END,"
    " missed_in_row = CASE WHEN :to_available AND status <> :status THEN 0"
    " ELSE missed_in_row END,"
    " away_notice = CASE WHEN :to_away THEN away_notice ELSE FALSE END,"
    " status = :status"
    " WHERE id = :id RETURNING *")


def analyst_by_id(tx: Tx, analyst_id: int) -> Rec | None:
    """An analyst by id."""
    return tx.row(_ANALYST_BY_ID, id=analyst_id)


def analyst_by_phone(tx: Tx, phone: str) -> Rec | None:
    """The analyst whose registered phone (E.164) this is."""
    return tx.row(_ANALYST_BY_PHONE, phone=phone)


def update_analyst(tx: Tx, analyst_id: int, **values) -> None:
    """Write some columns of an analyst."""
    tx.update("analysts", analyst_id, **values)


def all_analysts(tx: Tx) -> list[Rec]:
    """Every analyst, by id."""
    return tx.rows(_ANALYSTS)


def insert_analyst(tx: Tx, name: str, phone: str, pin_hash: str | None, now: datetime) -> Rec:
    """Store an analyst, unavailable and idle since now; the row as stored."""
    return tx.row(_NEW_ANALYST, name=name, phone=phone, pin_hash=pin_hash,
                  status=AnalystStatus.UNAVAILABLE, now=now)


def update_analyst_status(tx: Tx, analyst_id: int, status: str, now: datetime) -> Rec | None:
    """Set an analyst's status (one of ANALYST_STATUSES); the row as written (None: no such
    analyst). A row of this analyst read earlier in the transaction gets the new values."""
    return tx.row(_SET_STATUS, id=analyst_id, status=status, now=now,
                  to_available=status == AnalystStatus.AVAILABLE,
                  to_away=status == AnalystStatus.AWAY)


# --- the operator's changes: who they are, deactivation, removal ------------------------------

_ACTIVE_COUNT = Q("SELECT COUNT(*) FROM analysts WHERE deactivated_at IS NULL")
_AVAILABLE_COUNT = Q("SELECT COUNT(*) FROM analysts WHERE deactivated_at IS NULL"
                     " AND status = :available")
# Where an analyst appears in the line's history: a row referring to them keeps them.
_HISTORY = Q(
    "SELECT (SELECT COUNT(*) FROM cases WHERE assigned_analyst_id = :id)"
    " + (SELECT COUNT(*) FROM calls WHERE analyst_id = :id)"
    " + (SELECT COUNT(*) FROM dial_attempts WHERE analyst_id = :id)"
    " + (SELECT COUNT(*) FROM guesses WHERE analyst_id = :id)")
_DELETE = Q("DELETE FROM analysts WHERE id = :id")


def active_count(tx: Tx) -> int:
    """How many analysts are not deactivated."""
    return tx.value(_ACTIVE_COUNT) or 0


def available_count(tx: Tx, available: str) -> int:
    """How many active analysts are in the `available` status."""
    return tx.value(_AVAILABLE_COUNT, available=available) or 0


def history_count(tx: Tx, analyst_id: int) -> int:
    """Rows of cases, calls, legs and guesses that refer to an analyst."""
    return tx.value(_HISTORY, id=analyst_id) or 0


def delete_analyst(tx: Tx, analyst_id: int) -> bool:
    """Remove an analyst's row (only one no history refers to); whether there was one."""
    return tx.run(_DELETE, id=analyst_id) == 1


# --- the coordinator's view: who is doing what now ---------------------------------------------

_LIVE = Q(
    "SELECT a.*, c.from_number AS call_from, c.started_at AS call_started_at,"
    " k.number AS call_case_number, k.company_name AS call_company,"
    " (SELECT MAX(d.started_at) FROM dial_attempts d"
    "  WHERE d.analyst_id = a.id AND d.call_sid = a.lease_call_sid) AS leg_started_at"
    " FROM analysts a LEFT JOIN calls c ON c.call_sid = a.lease_call_sid"
    " LEFT JOIN cases k ON k.id = c.case_id ORDER BY a.deactivated_at IS NOT NULL, a.name, a.id")


def live_analysts(tx: Tx) -> list[Rec]:
    """Every analyst (active first, by name) with the call they hold a lease for, if any:
    call_from, call_started_at, call_case_number, call_company, leg_started_at."""
    rows = tx.rows(_LIVE)
    if tx.pg:
        return rows
    # SQLite returns the aggregate as text: a datetime, as the column is.
    return [row.replace(leg_started_at=datetime.fromisoformat(row.leg_started_at))
            if isinstance(row.leg_started_at, str) else row for row in rows]
