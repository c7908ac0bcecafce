"""Putting callers through (rules 1.2, 4, 9): free analysts claimed atomically, leases, outcomes.

An analyst is *free* when available and holding no live lease. A claim is one conditional
UPDATE (compare-and-set on the analyst's row): on PostgreSQL a concurrent claim of the same row
waits for the first to commit and then re-checks the condition, so it fails and moves on to the
next analyst instead of skipping a row that is merely being updated; on SQLite writers are
serialised by BEGIN IMMEDIATE. An expired lease counts as free, so nothing depends on a cron.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ivr.models import Analyst, Call, Case, DialAttempt, EmergencyContact

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


def _free(now: datetime):
    """SQL condition: available and no live lease."""
    return (Analyst.status == "available") & or_(
        Analyst.lease_until.is_(None), Analyst.lease_until <= now)


def claim_analyst(
    session: Session,
    call_sid: str,
    now: datetime,
    ring_seconds: int,
    prefer: int | None = None,
    exclude: frozenset[int] = frozenset(),
) -> Claimed | None:
    """Claim a free analyst for this call: the preferred one if free, else the longest idle."""
    until = now + timedelta(seconds=ring_seconds + LEASE_MARGIN_SECONDS)
    if session.bind.dialect.name == "postgresql":
        claimed = _claim_skip_locked(session, call_sid, now, until, prefer, exclude)
        if claimed is not None:
            return claimed
    lost: set[int] = set()
    while True:
        # Candidates are read again after each batch lost to concurrent claims: with more
        # callers than CANDIDATES, a batch can be all taken while other analysts are free.
        query = select(Analyst.id, Analyst.name, Analyst.phone).where(_free(now))
        if exclude or lost:
            query = query.where(Analyst.id.not_in(exclude | lost))
        if prefer is not None:
            query = query.order_by((Analyst.id != prefer), Analyst.idle_since, Analyst.id)
        else:
            query = query.order_by(Analyst.idle_since, Analyst.id)
        candidates = session.execute(query.limit(CANDIDATES)).all()
        if not candidates:
            return None
        for analyst_id, name, phone in candidates:
            won = session.execute(
                update(Analyst)
                .where(Analyst.id == analyst_id, _free(now))
                .values(lease_call_sid=call_sid, lease_until=until)
                .execution_options(synchronize_session=False)
            ).rowcount
            if won == 1:
                return Claimed(analyst_id, name, phone)
            lost.add(analyst_id)


def _claim_skip_locked(
    session: Session, call_sid: str, now: datetime, until: datetime, prefer: int | None,
    exclude: frozenset[int],
) -> Claimed | None:
    """PostgreSQL's fast path: take the first free analyst nobody else is locking right now.

    Concurrent callers spread over different analysts at once instead of queueing on the same
    row. A row skipped because another transaction merely touches it is not lost: when this
    finds nobody, the compare-and-set loop above waits for such rows and checks them again.
    """
    candidate = select(Analyst.id).where(_free(now))
    if exclude:
        candidate = candidate.where(Analyst.id.not_in(exclude))
    if prefer is not None:
        candidate = candidate.order_by((Analyst.id != prefer), Analyst.idle_since, Analyst.id)
    else:
        candidate = candidate.order_by(Analyst.idle_since, Analyst.id)
    candidate = candidate.limit(1).with_for_update(skip_locked=True).scalar_subquery()
    row = session.execute(
        update(Analyst)
        .where(Analyst.id == candidate, _free(now))
        .values(lease_call_sid=call_sid, lease_until=until)
        .returning(Analyst.id, Analyst.name, Analyst.phone)
        .execution_options(synchronize_session=False)
    ).first()
    return Claimed(*row) if row else None


def extend_lease(session: Session, analyst_id: int, call_sid: str, now: datetime,
                 seconds: int) -> None:
    """The analyst accepted: keep them busy for the length of a call."""
    session.execute(
        update(Analyst)
        .where(Analyst.id == analyst_id, Analyst.lease_call_sid == call_sid)
        .values(lease_until=now + timedelta(seconds=seconds + LEASE_MARGIN_SECONDS),
                missed_in_row=0)
        .execution_options(synchronize_session=False)
    )


def release(session: Session, analyst_id: int, call_sid: str, now: datetime) -> bool:
    """Free an analyst when this call's leg ends (only this call's lease)."""
    return session.execute(
        update(Analyst)
        .where(Analyst.id == analyst_id, Analyst.lease_call_sid == call_sid)
        .values(lease_call_sid=None, lease_until=None, idle_since=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def count_miss(session: Session, analyst_id: int, limit: int) -> bool:
    """One more missed call; after `limit` in a row the analyst is set away. True if so."""
    analyst = session.get(Analyst, analyst_id, with_for_update=True, populate_existing=True)
    if analyst is None:
        return False
    analyst.missed_in_row += 1
    if analyst.missed_in_row >= limit and analyst.status == "available":
        analyst.status = "away"
        analyst.away_notice = True
        return True
    return False


def start_attempt(
    session: Session, call: Call, case: Case | None, now: datetime, *,
    analyst_id: int | None = None, emergency_contact_id: int | None = None,
) -> DialAttempt:
    """Record one leg about to ring."""
    call.attempts += 1
    attempt = DialAttempt(call_sid=call.call_sid, seq=call.attempts,
                          case_id=case.id if case else None, analyst_id=analyst_id,
                          emergency_contact_id=emergency_contact_id, outcome="ringing",
                          started_at=now)
    session.add(attempt)
    session.flush()
    return attempt


def tried_analysts(session: Session, call_sid: str) -> frozenset[int]:
    """Analysts already rung for this call (not rung twice)."""
    return frozenset(session.scalars(
        select(DialAttempt.analyst_id)
        .where(DialAttempt.call_sid == call_sid, DialAttempt.analyst_id.is_not(None))
    ))


def tried_emergency(session: Session, call_sid: str) -> frozenset[int]:
    """Emergency contacts already rung for this call."""
    return frozenset(session.scalars(
        select(DialAttempt.emergency_contact_id)
        .where(DialAttempt.call_sid == call_sid, DialAttempt.emergency_contact_id.is_not(None))
    ))


def next_emergency_contact(session: Session, call_sid: str) -> EmergencyContact | None:
    """The first active emergency phone, in order, not yet rung in this call."""
    tried = tried_emergency(session, call_sid)
    query = select(EmergencyContact).where(EmergencyContact.active.is_(True))
    if tried:
        query = query.where(EmergencyContact.id.not_in(tried))
    return session.scalars(query.order_by(EmergencyContact.position).limit(1)).first()


def accept(session: Session, attempt: DialAttempt, dial_call_sid: str, now: datetime) -> None:
    """The callee pressed 1 at the whisper."""
    if attempt.outcome in ("ringing", None):
        attempt.outcome = "accepted"
        attempt.accepted_at = now
    attempt.dial_call_sid = attempt.dial_call_sid or dial_call_sid or None


def decline(attempt: DialAttempt, dial_call_sid: str) -> None:
    """The callee pressed something else at the whisper."""
    if attempt.outcome in ("ringing", None):
        attempt.outcome = "declined"
    attempt.dial_call_sid = attempt.dial_call_sid or dial_call_sid or None


def leg_outcome(attempt: DialAttempt, dial_status: str, bridged: str) -> str:
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


def finish_attempt(session: Session, attempt: DialAttempt, outcome: str, now: datetime) -> bool:
    """Close a leg once (replays change nothing); return whether this call closed it."""
    if attempt.ended_at is not None:
        return False
    attempt.outcome = outcome
    attempt.ended_at = now
    return True


def reap_expired_leases(session: Session, now: datetime) -> list[tuple[int, str | None]]:
    """Clear leases that expired without their callbacks; return (analyst, call) pairs."""
    rows = session.execute(
        select(Analyst.id, Analyst.lease_call_sid)
        .where(Analyst.lease_until.is_not(None), Analyst.lease_until <= now)
    ).all()
    for analyst_id, call_sid in rows:
        release(session, analyst_id, call_sid, now)
    return [(a, c) for a, c in rows]
