"""Putting callers through (rules 1.2, 4, 9): free analysts claimed atomically, leases, outcomes.

An analyst is *free* when available and holding no live lease. A claim is one UPDATE that picks
the first free analyst not yet rung in the call and leases them, the condition checked again
on the row it updates. On SQLite writers are serialised by BEGIN IMMEDIATE. On PostgreSQL the
pick skips rows that other claims are locking (concurrent callers spread over analysts at
once); when it finds nobody, a compare-and-set per candidate waits for such rows and checks
them again, so a row merely being updated is never missed. An expired lease counts as free,
so nothing depends on a cron.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from ivr.store.directory import active_emergency_contacts
from ivr.store.tx import Q, Rec, Tx, as_tx

LEASE_MARGIN_SECONDS = 15
CANDIDATES = 10
# Ways a leg can end without anyone taking the call, and whether they count as "missed".
MISSED_OUTCOMES = frozenset({"no-answer", "busy", "failed", "voicemail"})
NOT_TAKEN = MISSED_OUTCOMES | {"declined", "canceled"}


@dataclass(frozen=True)
class Claimed:
    """An analyst claimed for one ringing attempt."""

    analyst_id: int
    name: str
    phone: str


_FREE = "status = 'available' AND (lease_until IS NULL OR lease_until <= :now)"
# Nobody is rung twice in one call.
_NOT_RUNG = ("id NOT IN (SELECT analyst_id FROM dial_attempts"
             " WHERE call_sid = :sid AND analyst_id IS NOT NULL)")
# The analyst already on the case first (when given), then the longest idle.
_ORDER = "ORDER BY CASE WHEN id = :prefer THEN 0 ELSE 1 END, idle_since, id"
_SET_LEASE = "UPDATE analysts SET lease_call_sid = :sid, lease_until = :until"
_RETURNING = "RETURNING id, name, phone"
# One statement: pick the first free analyst and lease them. On SQLite writers take turns
# (BEGIN IMMEDIATE), so nothing can take the row in between. On PostgreSQL the pick skips rows
# other claims are locking right now (concurrent callers spread over different analysts),
# and the outer condition is checked again on the row as it is when its lock is granted.
_CLAIM_SQLITE = Q(
    f"{_SET_LEASE} WHERE id = (SELECT id FROM analysts WHERE {_FREE} AND {_NOT_RUNG}"  # noqa: S608
    " AND id NOT IN (SELECT value FROM json_each(:exclude))"
    f" {_ORDER} LIMIT 1) AND {_FREE} {_RETURNING}")
_CLAIM_SKIP_LOCKED = Q(
    f"{_SET_LEASE} WHERE id = (SELECT id FROM analysts WHERE {_FREE} AND {_NOT_RUNG}"  # noqa: S608
    " AND NOT (id = ANY(CAST(:exclude AS INTEGER[])))"
    f" {_ORDER} LIMIT 1 FOR UPDATE SKIP LOCKED) AND {_FREE} {_RETURNING}")
# PostgreSQL, when the fast path found nobody: candidates, then a compare-and-set each, which
# waits for a row another claim is updating and then checks the condition again.
_CANDIDATES = Q(
    f"SELECT id, name, phone FROM analysts WHERE {_FREE} AND {_NOT_RUNG} {_ORDER}"  # noqa: S608
    " LIMIT :limit")
_CLAIM = Q(f"{_SET_LEASE} WHERE id = :id AND {_FREE}")
_EXTEND = Q("UPDATE analysts SET lease_until = :until, missed_in_row = 0"
            " WHERE id = :id AND lease_call_sid = :sid")
_RELEASE = Q("UPDATE analysts SET lease_call_sid = NULL, lease_until = NULL, idle_since = :now"
             " WHERE id = :id AND lease_call_sid = :sid")
_ANALYST = Q("SELECT * FROM analysts WHERE id = :id")
_ANALYST_FOR_UPDATE = Q("SELECT * FROM analysts WHERE id = :id FOR UPDATE")
_NEW_ATTEMPT = Q(
    "INSERT INTO dial_attempts (call_sid, seq, case_id, analyst_id, emergency_contact_id,"
    " outcome, started_at) VALUES (:sid, :seq, :case_id, :analyst_id, :emergency_contact_id,"
    " 'ringing', :now) RETURNING *")
_TRIED_EMERGENCY = Q("SELECT emergency_contact_id FROM dial_attempts"
                     " WHERE call_sid = :sid AND emergency_contact_id IS NOT NULL")
_REAP = Q("UPDATE analysts SET lease_call_sid = NULL, lease_until = NULL, idle_since = :now"
          " WHERE id = :id AND lease_until IS NOT NULL AND lease_until <= :now")
_EXPIRED = Q("SELECT id, lease_call_sid FROM analysts"
             " WHERE lease_until IS NOT NULL AND lease_until <= :now")


def claim_analyst(
    tx: Tx,
    call_sid: str,
    now: datetime,
    ring_seconds: int,
    prefer: int | None = None,
    exclude: frozenset[int] = frozenset(),
) -> Claimed | None:
    """Claim a free analyst not yet rung in this call: the preferred one if free, else the
    longest idle."""
    tx = as_tx(tx)
    until = now + timedelta(seconds=ring_seconds + LEASE_MARGIN_SECONDS)
    if not tx.pg:
        row = tx.row(_CLAIM_SQLITE, sid=call_sid, until=until, now=now, prefer=prefer,
                     exclude=json.dumps(sorted(exclude)))
        return Claimed(row.id, row.name, row.phone) if row else None
    row = tx.row(_CLAIM_SKIP_LOCKED, sid=call_sid, until=until, now=now, prefer=prefer,
                 exclude=sorted(exclude))
    if row is not None:
        return Claimed(row.id, row.name, row.phone)
    lost: set[int] = set()
    while True:
        # Candidates are read again after each batch lost to concurrent claims: with more
        # callers than CANDIDATES, a batch can be all taken while other analysts are free.
        skip = exclude | lost
        candidates = [row for row in tx.rows(_CANDIDATES, sid=call_sid, now=now, prefer=prefer,
                                             limit=CANDIDATES + len(skip))
                      if row.id not in skip][:CANDIDATES]
        if not candidates:
            return None
        for row in candidates:
            if tx.run(_CLAIM, sid=call_sid, until=until, id=row.id, now=now) == 1:
                return Claimed(row.id, row.name, row.phone)
            lost.add(row.id)


def extend_lease(tx: Tx, analyst_id: int, call_sid: str, now: datetime, seconds: int) -> None:
    """The analyst accepted: keep them busy for the length of a call."""
    tx = as_tx(tx)
    tx.forget("analysts", analyst_id)
    tx.run(_EXTEND, id=analyst_id, sid=call_sid,
           until=now + timedelta(seconds=seconds + LEASE_MARGIN_SECONDS))


def release(tx: Tx, analyst_id: int, call_sid: str, now: datetime) -> bool:
    """Free an analyst when this call's leg ends (only this call's lease)."""
    tx = as_tx(tx)
    tx.forget("analysts", analyst_id)
    return tx.run(_RELEASE, id=analyst_id, sid=call_sid, now=now) == 1


def count_miss(tx: Tx, analyst_id: int, limit: int) -> bool:
    """One more missed call; after `limit` in a row the analyst is set away. True if so."""
    tx = as_tx(tx)
    analyst = tx.row(_ANALYST_FOR_UPDATE if tx.pg else _ANALYST, "analysts", id=analyst_id)
    if analyst is None:
        return False
    analyst.missed_in_row += 1
    if analyst.missed_in_row >= limit and analyst.status == "available":
        analyst.status = "away"
        analyst.away_notice = True
        return True
    return False


def start_attempt(tx: Tx, call, case, now: datetime, *, analyst_id: int | None = None,
                  emergency_contact_id: int | None = None) -> Rec:
    """Record one leg about to ring."""
    tx = as_tx(tx)
    call.attempts += 1
    return tx.row(_NEW_ATTEMPT, "dial_attempts", sid=call.call_sid, seq=call.attempts,
                  case_id=case.id if case else None, analyst_id=analyst_id,
                  emergency_contact_id=emergency_contact_id, now=now)


def tried_emergency(tx: Tx, call_sid: str) -> frozenset[int]:
    """Emergency contacts already rung for this call."""
    return frozenset(tx.column(_TRIED_EMERGENCY, sid=call_sid))


def next_emergency_contact(tx: Tx, call_sid: str) -> Rec | None:
    """The first active emergency phone, in order, not yet rung in this call."""
    tx = as_tx(tx)
    tried = tried_emergency(tx, call_sid)
    for contact in active_emergency_contacts(tx):
        if contact.id not in tried:
            return contact
    return None


def accept(attempt, dial_call_sid: str, now: datetime) -> None:
    """The callee pressed 1 at the whisper."""
    if attempt.outcome in ("ringing", None):
        attempt.outcome = "accepted"
        attempt.accepted_at = now
    attempt.dial_call_sid = attempt.dial_call_sid or dial_call_sid or None


def decline(attempt, dial_call_sid: str) -> None:
    """The callee pressed something else at the whisper."""
    if attempt.outcome in ("ringing", None):
        attempt.outcome = "declined"
    attempt.dial_call_sid = attempt.dial_call_sid or dial_call_sid or None


def leg_outcome(attempt, dial_status: str, bridged: str) -> str:
    """How a leg ended, from our record of the whisper and Twilio's Dial result."""
    if bridged == "true" or (bridged == "" and attempt.outcome == "accepted"
                             and dial_status in ("completed", "")):
        return "accepted"
    if attempt.outcome == "declined":
        return "declined"
    if attempt.outcome == "accepted":
        # Pressed 1 but never bridged (the caller left first): not taken, and not missed.
        return "canceled"
    if dial_status == "completed":
        # Answered but nobody pressed 1 before the whisper hung up: a voicemail, or a
        # person who let the question time out.
        return "voicemail"
    if dial_status in ("busy", "no-answer", "failed", "canceled"):
        return dial_status
    return "no-answer"


def finish_attempt(attempt, outcome: str, now: datetime) -> bool:
    """Close a leg once (replays change nothing); return whether this call closed it."""
    if attempt.ended_at is not None:
        return False
    attempt.outcome = outcome
    attempt.ended_at = now
    return True


def reap_expired_leases(tx: Tx, now: datetime) -> list[tuple[int, str | None]]:
    """Clear leases that expired without their callbacks; return (analyst, call) pairs."""
    tx = as_tx(tx)
    rows = [(row.id, row.lease_call_sid) for row in tx.rows(_EXPIRED, now=now)]
    for analyst_id, _call_sid in rows:
        tx.forget("analysts", analyst_id)
        tx.run(_REAP, id=analyst_id, now=now)
    return rows
