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

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from ivr.domain.statuses import (
    FINAL_CALL_STATUSES,
    MISSED_DIAL_OUTCOMES,
    NOT_TAKEN_DIAL_OUTCOMES,
    AnalystStatus,
    CallStatus,
    DialOutcome,
)
from ivr.services.cases import change_case, get_case, taken_by
from ivr.services.offer_signal import analyst_freed
from ivr.store import analysts, calls
from ivr.store.directory import active_emergency_contacts
from ivr.store.tx import Rec, Tx

log = logging.getLogger("ivr.routing")
LEASE_MARGIN_SECONDS = 15
MISSED_OUTCOMES, NOT_TAKEN = MISSED_DIAL_OUTCOMES, NOT_TAKEN_DIAL_OUTCOMES
LEG_ENDED = FINAL_CALL_STATUSES  # a leg's status callback: it has ended
RINGING, ACCEPTED, DECLINED = DialOutcome.RINGING, DialOutcome.ACCEPTED, DialOutcome.DECLINED
AVAILABLE, AWAY = AnalystStatus.AVAILABLE, AnalystStatus.AWAY


@dataclass(frozen=True)
class Claimed:
    """An analyst claimed for one ringing attempt."""

    analyst_id: int
    name: str
    phone: str


def claim_analyst(
    tx: Tx,
    call_sid: str,
    now: datetime,
    ring_seconds: int,
    prefer: int | None = None,
    exclude: frozenset[int] = frozenset(),
    area: str | None = None,
    *,
    anyone: bool = True,
    offer: bool = False,
) -> Claimed | None:
    """Claim a free analyst: the preferred one if free, else one with a skill for the fault's
    `area` (rule 8), else (when `anyone`) the longest idle. A caller being put through is
    never rung twice at the same analyst; an `offer` to a caller on hold may go to one who
    could not take them before, and never waits for an analyst another claim is locking (the
    next round tries again)."""
    row = analysts.claim(tx, call_sid=call_sid, now=now, prefer=prefer, exclude=exclude,
                         until=now + timedelta(seconds=ring_seconds + LEASE_MARGIN_SECONDS),
                         available=AVAILABLE, area=area, anyone=anyone,
                         rung_sid="" if offer else None, wait=not offer)
    return Claimed(row.id, row.name, row.phone) if row else None


def anyone_free(tx: Tx, now: datetime) -> bool:
    """Whether an analyst is free to ring now: the caller is then put through after the
    fewest questions (rule 4: at once)."""
    return analysts.anyone_free(tx, now, AVAILABLE)


def extend_lease(tx: Tx, analyst_id: int, call_sid: str, now: datetime, seconds: int) -> None:
    """The analyst accepted: keep them busy for the length of a call."""
    analysts.extend_lease(tx, analyst_id, call_sid,
                          now + timedelta(seconds=seconds + LEASE_MARGIN_SECONDS))


def release(tx: Tx, analyst_id: int, call_sid: str, now: datetime,
            wrap_up: timedelta | None = None) -> bool:
    """Free an analyst when this call's leg ends (only this call's lease) — after `wrap_up`
    when they talked — and have a caller on hold offered to them once they are free."""
    free_at = now + wrap_up if wrap_up else None
    released = analysts.release(tx, analyst_id, call_sid, now, free_at)
    if released:
        analyst_freed(tx, now, free_at)
    return released



def wrap_up_until(analyst: Rec, now: datetime) -> datetime | None:
    """When an analyst's wrap-up time ends, while they are in it (None otherwise): their
    call's lease was released (lease_call_sid NULL), and they stay busy until lease_until."""
    if analyst.lease_call_sid is None and analyst.lease_until is not None \
            and analyst.lease_until > now:
        return analyst.lease_until
    return None


def leased_phone(tx: Tx, analyst_id: int, call_sid: str) -> str | None:
    """The phone of an analyst still leased to this call (None: the lease is gone)."""
    return analysts.leased_phone(tx, analyst_id, call_sid)


def count_miss(tx: Tx, analyst_id: int, limit: int) -> bool:
    """One more missed call; after `limit` in a row the analyst is set away. True if so."""
    analyst = analysts.get(tx, analyst_id, for_update=True)
    if analyst is None:
        return False
    missed = analyst.missed_in_row + 1
    away = missed >= limit and analyst.status == AVAILABLE
    if away:
        analysts.update_analyst(tx, analyst_id, missed_in_row=missed, status=AWAY, away_notice=True)
    else:
        analysts.update_analyst(tx, analyst_id, missed_in_row=missed)
    return away


def start_attempt(tx: Tx, call, case, now: datetime, *, analyst_id: int | None = None,
                  emergency_contact_id: int | None = None,
                  call_changes: dict | None = None) -> Rec:
    """Record one leg about to ring: the call's attempt count goes up by one (written with
    `call_changes`, other changes to the call, in the same UPDATE)."""
    seq = call.attempts + 1
    calls.update(tx, call.call_sid, **(call_changes or {}), attempts=seq)
    return calls.new_attempt(tx, call_sid=call.call_sid, seq=seq,
                             case_id=case.id if case else None, analyst_id=analyst_id,
                             emergency_contact_id=emergency_contact_id, outcome=RINGING,
                             now=now)


def ringing_attempt(tx: Tx, call, callee: str) -> Rec | None:
    """The call's latest leg if it is still ringing (a retried webhook answers the same Dial);
    `callee` names the column that must be set (analyst_id or emergency_contact_id)."""
    if not call.attempts:
        return None
    attempt = calls.attempt_by_seq(tx, call.call_sid, call.attempts)
    if attempt is None or attempt.ended_at is not None or getattr(attempt, callee) is None:
        return None
    return attempt


def next_emergency_contact(tx: Tx, call_sid: str) -> Rec | None:
    """The first active emergency phone, in order, not yet rung in this call. With none
    configured at all, an error is logged each time: a caller had nobody to ring."""
    contacts = active_emergency_contacts(tx)
    if not contacts:
        log.error("no active emergency phone: an emergency call had nobody to ring "
                  "(flask --app wsgi emergency add NAME PHONE)", extra={"call": call_sid})
        return None
    tried = calls.emergency_contacts_tried(tx, call_sid)
    for contact in contacts:
        if contact.id not in tried:
            return contact
    return None


def accept(tx: Tx, attempt, dial_call_sid: str, now: datetime) -> None:
    """The callee pressed 1 at the whisper."""
    changes = {}
    if attempt.outcome in (RINGING, None):
        changes.update(outcome=ACCEPTED, accepted_at=now)
    changes["dial_call_sid"] = attempt.dial_call_sid or dial_call_sid or None
    calls.update_attempt(tx, attempt.id, **changes)


def decline(tx: Tx, attempt, dial_call_sid: str) -> None:
    """The callee pressed something else at the whisper."""
    changes = {}
    if attempt.outcome in (RINGING, None):
        changes["outcome"] = DECLINED
    changes["dial_call_sid"] = attempt.dial_call_sid or dial_call_sid or None
    calls.update_attempt(tx, attempt.id, **changes)


def note_leg_sid(tx: Tx, attempt, dial_call_sid: str) -> None:
    """Remember the callee leg's CallSid (the first one seen)."""
    if attempt.dial_call_sid is None and dial_call_sid:
        calls.update_attempt(tx, attempt.id, dial_call_sid=dial_call_sid)


def leg_outcome(attempt, dial_status: str, bridged: str) -> str:
    """How a leg ended, from our record of the whisper and Twilio's Dial result."""
    if bridged == "true" or (bridged == "" and attempt.outcome == ACCEPTED
                             and dial_status in (CallStatus.COMPLETED, "")):
        return ACCEPTED
    if attempt.outcome == DECLINED:
        return DECLINED
    if attempt.outcome == ACCEPTED:
        # Pressed 1 but never bridged (the caller left first): not taken, and not missed.
        return DialOutcome.CANCELED
    if dial_status == CallStatus.COMPLETED:
        # Answered but nobody pressed 1 before the whisper hung up: a voicemail, or a
        # person who let the question time out.
        return DialOutcome.VOICEMAIL
    if dial_status in (DialOutcome.BUSY, DialOutcome.NO_ANSWER, DialOutcome.FAILED,
                       DialOutcome.CANCELED):
        return DialOutcome(dial_status)
    return DialOutcome.NO_ANSWER


def get_attempt(tx: Tx, attempt_id: int | None) -> Rec | None:
    """A dial attempt by id."""
    return calls.attempt(tx, attempt_id)


def answered_by(attempt) -> str:
    """Who took the call, as the call record says it: analyst:ID or emergency:ID."""
    if attempt.analyst_id is not None:
        return f"analyst:{attempt.analyst_id}"
    return f"emergency:{attempt.emergency_contact_id}"


def take_call(tx: Tx, attempt, leg_sid: str, now: datetime, call_seconds: int) -> None:
    """The callee pressed 1: the leg is accepted, an analyst stays leased for the call, and
    whoever accepted is now working the case."""
    accept(tx, attempt, leg_sid, now)
    if attempt.analyst_id is not None:
        extend_lease(tx, attempt.analyst_id, attempt.call_sid, now, call_seconds)
    case = get_case(tx, attempt.case_id)
    if case is not None:
        change_case(tx, case, now, **taken_by(case, attempt.analyst_id))


def close_leg(tx: Tx, call_sid: str, attempt, dial_status: str, bridged: str, hung_up: bool,
              now: datetime, missed_to_away: int,
              wrap_up: timedelta | None = None) -> tuple[str, int]:
    """A Dial action: record how the leg ended, release its analyst (after `wrap_up` when
    they talked), count a miss; idempotent. The leg's outcome and the seconds it rang for
    nothing (0 when taken or closed before)."""
    outcome = leg_outcome(attempt, dial_status, bridged)
    if outcome in MISSED_OUTCOMES and hung_up:
        # The caller left before anyone could take it: nobody missed it.
        outcome = DialOutcome.CANCELED
    if not finish_attempt(tx, attempt, outcome, now):
        return attempt.outcome, 0
    if attempt.analyst_id is not None:
        release(tx, attempt.analyst_id, call_sid, now,
                wrap_up if outcome == ACCEPTED else None)
        if outcome in MISSED_OUTCOMES:
            count_miss(tx, attempt.analyst_id, missed_to_away)
    rang = 0 if outcome == ACCEPTED else int((now - attempt.started_at).total_seconds())
    return outcome, rang


def leg_ended(tx: Tx, attempt, status: str, now: datetime,
              wrap_up: timedelta | None = None) -> None:
    """A leg's status callback: once it has ended, its analyst is free (lost Dial actions),
    after `wrap_up` when they took the call."""
    if attempt is not None and attempt.analyst_id is not None and status in LEG_ENDED:
        release(tx, attempt.analyst_id, attempt.call_sid, now,
                wrap_up if attempt.outcome == ACCEPTED else None)


def finish_attempt(tx: Tx, attempt, outcome: str, now: datetime) -> bool:
    """Close a leg once (replays change nothing); return whether this call closed it."""
    if attempt.ended_at is not None:
        return False
    calls.update_attempt(tx, attempt.id, outcome=outcome, ended_at=now)
    return True


def reap_expired_leases(tx: Tx, now: datetime) -> list[tuple[int, str | None]]:
    """Clear leases that expired without their callbacks; return (analyst, call) pairs."""
    rows = [(row.id, row.lease_call_sid) for row in analysts.expired_leases(tx, now)]
    for analyst_id, _call_sid in rows:
        analysts.reap(tx, analyst_id, now)
    return rows
