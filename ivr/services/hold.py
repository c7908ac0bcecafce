"""The hold queue (rule 4: with nobody free, the caller may wait on the line hearing their
place; rule 8: contract clients first, and the analyst who knows the fault).

Each caller waits in a Twilio queue of their own (named by the CallSid), so Twilio's order is
never the one that counts: the line keeps it in `holds` — contract clients first, then by
severity, then by arrival — and says the place from it. When an analyst frees up (a call
ends and the wrap-up has passed, or someone goes available), an offer round claims, in one
transaction, the first waiting caller an analyst can take and that analyst; then the caller's
call is redirected through the REST API to the put-through URL (the usual whispered Dial).
A declined or unanswered offer puts the caller back where they were (the wait start is kept).

Not a surface: the voice views and the worker call these.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from ivr.domain.statuses import AnalystStatus, CallbackState, DialOutcome, HoldState
from ivr.services import routing
from ivr.services.callbacks import schedule_callback
from ivr.services.cases import get_case
from ivr.services.directory import contract_hours
from ivr.services.twilio_rest import ProviderError, ProviderRefused
from ivr.store import analysts, calls, holds
from ivr.store.engine import gave_way
from ivr.store.tx import Rec, Tx, transaction

log = logging.getLogger("ivr.hold")

AVAILABLE = AnalystStatus.AVAILABLE
DEFAULT_TALK_SECONDS = 300  # the estimate's talk time before any conversation is on record
TALKS_SINCE = timedelta(hours=8)  # conversations the estimate learns from…
TALKS_COUNTED = 30  # …at most this many, the latest
REOFFER_PAUSE = timedelta(minutes=2)  # one who could not take a caller is not offered them again
REDIRECT_GRACE = timedelta(seconds=20)  # an offer whose redirect never reached the call
OFFER_SCAN = 20  # waiting callers looked at per offer round


@dataclass(frozen=True)
class HoldConfig:
    """The hold queue's settings."""

    max_wait: timedelta  # zero: no hold queue
    wrap_up: timedelta
    skill_wait: timedelta
    ring_seconds: int

    @classmethod
    def of(cls, settings) -> HoldConfig:
        """From the application's settings."""
        return cls(max_wait=timedelta(minutes=settings.hold_max_wait_minutes),
                   wrap_up=timedelta(seconds=settings.wrap_up_seconds),
                   skill_wait=timedelta(seconds=settings.skill_wait_seconds),
                   ring_seconds=settings.dial_timeout)


@dataclass(frozen=True)
class Offer:
    """A caller on hold and the analyst claimed for them, with the leg that rings them."""

    hold_id: int
    call_sid: str
    attempt_id: int
    analyst_id: int


# --- joining, the place, the estimate ----------------------------------------------------------


def on_duty(tx: Tx) -> int:
    """Analysts on duty (available, active): those who will free up for callers on hold."""
    return analysts.available_count(tx, AVAILABLE)


def can_wait(tx: Tx, config: HoldConfig) -> bool:
    """Whether a caller nobody could take may wait on the line: the hold queue is on and some
    analyst is on duty (available), so that someone will free up."""
    return config.max_wait > timedelta(0) and on_duty(tx) > 0


def join(tx: Tx, call_sid: str, case: Rec, now: datetime) -> Rec:
    """The caller waits: their hold, placed by contract and severity, then arrival (a replayed
    webhook finds the same hold)."""
    contract = case.company_id is not None and contract_hours(tx, case.company_id) is not None
    return holds.join(tx, call_sid, case.id, contract, case.severity, now)


def get_hold(tx: Tx, hold_id: int | None) -> Rec | None:
    """A hold by id."""
    return holds.get(tx, hold_id)


def hold_of_call(tx: Tx, call_sid: str) -> Rec | None:
    """A call's hold, if it ever waited."""
    return holds.by_call(tx, call_sid)


def case_of(tx: Tx, hold: Rec) -> Rec | None:
    """The case a caller waited about."""
    return get_case(tx, hold.case_id)


def place(tx: Tx, hold: Rec) -> int:
    """The caller's place (1: next), as the line orders the queue."""
    return holds.place(tx, hold.id)


def estimate_seconds(tx: Tx, place_: int, now: datetime, config: HoldConfig,
                     analysts_on_duty: int | None = None) -> int:
    """How long the caller at `place_` should wait: the recent conversations' mean length plus
    the wrap-up, times the place, shared among the analysts on duty (counted here unless
    given)."""
    talks = [(row.ended_at - row.accepted_at).total_seconds()
             for row in holds.recent_talks(tx, now - TALKS_SINCE, TALKS_COUNTED)]
    talk = sum(talks) / len(talks) if talks else DEFAULT_TALK_SECONDS
    sharing = max(on_duty(tx) if analysts_on_duty is None else analysts_on_duty, 1)
    return math.ceil(place_ * (talk + config.wrap_up.total_seconds()) / sharing)


def waited_seconds(hold: Rec, until: datetime) -> int:
    """Seconds since the caller joined the queue."""
    return max(int((until - hold.waiting_since).total_seconds()), 0)


def timed_out(hold: Rec, now: datetime, config: HoldConfig) -> bool:
    """Whether the caller has waited the longest wait allowed."""
    return now - hold.waiting_since >= config.max_wait


# --- leaving -----------------------------------------------------------------------------------


def leave(tx: Tx, schedule, hold: Rec, state: HoldState, now: datetime) -> Rec | None:
    """The wait is over without an analyst (1 pressed, the longest wait, a hang-up): the hold
    ends with how long it lasted, an offer being made is withdrawn, and the case joins the
    callback queue — after a hang-up, only when there is a number to call. The case."""
    if hold.state == HoldState.OFFERED:
        _withdraw(tx, hold, now)
    holds.end(tx, hold.id, state, now, waited_seconds(hold, now))
    case = get_case(tx, hold.case_id)
    if case is None:
        return None
    reachable = case.caller_number or case.callback_number
    if (state != HoldState.ABANDONED or reachable) and \
            (case.due_at is None or case.callback_state != CallbackState.PENDING):
        case = schedule_callback(tx, schedule, case, now)
    return case


def call_ended(tx: Tx, schedule, call_sid: str, now: datetime) -> None:
    """The call's final status came: a caller still on hold hung up (the Enqueue action may
    never come); recorded as abandoned."""
    hold = holds.by_call(tx, call_sid)
    if hold is not None and hold.state in (HoldState.WAITING, HoldState.OFFERED):
        leave(tx, schedule, hold, HoldState.ABANDONED, now)


def bridged(tx: Tx, hold_id: int | None, attempt_id: int, now: datetime) -> None:
    """The analyst of the offer took the caller: the wait ended when the offer was made."""
    hold = holds.get(tx, hold_id)
    if hold is not None and hold.attempt_id == attempt_id and hold.state == HoldState.OFFERED:
        holds.end(tx, hold.id, HoldState.BRIDGED, now,
                  waited_seconds(hold, hold.offered_at or now))


def back_in_line(tx: Tx, hold: Rec, attempt_id: int) -> bool:
    """The offer fell through (declined, unanswered): waiting again, in the same place."""
    return holds.back_to_waiting(tx, hold.id, attempt_id)


def check_offer(tx: Tx, hold: Rec, now: datetime) -> Rec:
    """The caller is still in the queue (the wait URL asks): an offer made long enough ago
    never reached the call, so it is withdrawn and the caller waits again. The hold as it is."""
    if hold.state == HoldState.OFFERED and hold.offered_at is not None and \
            now - hold.offered_at >= REDIRECT_GRACE:
        attempt = routing.get_attempt(tx, hold.attempt_id)
        if attempt is None or attempt.outcome == DialOutcome.RINGING and \
                attempt.dial_call_sid is None:
            return withdraw_offer(tx, hold, now)
    return hold


def withdraw_offer(tx: Tx, hold: Rec, now: datetime) -> Rec:
    """An offer that will not ring (its analyst's lease is gone, or its redirect never came):
    withdrawn, and the caller waits again in the same place. The hold as it is."""
    if hold.state == HoldState.OFFERED:
        _withdraw(tx, hold, now)
        holds.back_to_waiting(tx, hold.id, hold.attempt_id)
    return holds.get(tx, hold.id)


def _withdraw(tx: Tx, hold: Rec, now: datetime) -> None:
    """An offer that will not ring: its leg closed, its analyst free again."""
    attempt = routing.get_attempt(tx, hold.attempt_id)
    if attempt is not None:
        routing.finish_attempt(tx, attempt, DialOutcome.CANCELED, now)
    if hold.analyst_id is not None:
        routing.release(tx, hold.analyst_id, hold.call_sid, now)


# --- offers ------------------------------------------------------------------------------------


def claim_offers(tx: Tx, now: datetime, config: HoldConfig) -> list[Offer]:
    """In one transaction: the waiting callers in the line's order, each with a free analyst
    claimed for them — the case's own analyst first, then one with the fault's skill, then
    (once the caller has waited `skill_wait`, or when nobody on duty has the skill) anyone.
    A caller nobody free can take now is passed over for the next one."""
    if not routing.anyone_free(tx, now):
        return []
    areas = holds.areas_on_duty(tx, AVAILABLE)
    offers = []
    for hold in holds.waiting_in_order(tx, OFFER_SCAN):
        anyone = hold.area is None or hold.area not in areas or \
            now - hold.waiting_since >= config.skill_wait
        passed = frozenset(holds.passed_over_by(tx, hold.call_sid, now - REOFFER_PAUSE))
        claimed = routing.claim_analyst(tx, hold.call_sid, now, config.ring_seconds,
                                        prefer=hold.assigned_analyst_id, exclude=passed,
                                        area=hold.area, anyone=anyone, offer=True)
        if claimed is None:
            if anyone and not routing.anyone_free(tx, now):
                break
            continue
        call = calls.get(tx, hold.call_sid)
        attempt = routing.start_attempt(tx, call, Rec({"id": hold.case_id}), now,
                                        analyst_id=claimed.analyst_id)
        holds.offer(tx, hold.id, claimed.analyst_id, attempt.id, now)
        offers.append(Offer(hold.id, hold.call_sid, attempt.id, claimed.analyst_id))
    return offers


def offer_round(engine: Engine, redirect: Callable[[str, str], None],
                offer_url: Callable[[Offer], str], now: datetime, config: HoldConfig,
                schedule_of: Callable[[Tx], object]) -> int:
    """Offer waiting callers to the analysts free now: claimed together in one transaction,
    then each caller's call redirected (`redirect(call_sid, url)`) to its put-through URL.
    A call Twilio no longer has is recorded as abandoned; a redirect that failed otherwise is
    withdrawn, to be made again. How many callers were offered."""
    try:
        with transaction(engine) as tx:
            offers = claim_offers(tx, now, config)
    except DBAPIError as error:
        if not gave_way(error):
            raise
        # Another transaction held a row this round needed (a webhook of a caller it was
        # locking, another worker's round): nothing was written; the next round tries again.
        log.warning("offer round gave way to a concurrent transaction: %s",
                    type(error.orig).__name__)
        return 0
    made = 0
    for offer in offers:
        try:
            redirect(offer.call_sid, offer_url(offer))
            made += 1
        except ProviderError as error:
            with transaction(engine) as tx:
                _redirect_failed(tx, offer, now, schedule_of,
                                 gone=isinstance(error, ProviderRefused))
    return made


def _redirect_failed(tx: Tx, offer: Offer, now: datetime, schedule_of, gone: bool) -> None:
    """The caller's call could not be redirected: the offer withdrawn; the caller waits again,
    or (Twilio no longer has the call in progress) their wait is recorded as abandoned."""
    hold = holds.get(tx, offer.hold_id)
    if hold is None or hold.state != HoldState.OFFERED or hold.attempt_id != offer.attempt_id:
        return
    if gone:
        leave(tx, schedule_of(tx), hold, HoldState.ABANDONED, now)
        return
    withdraw_offer(tx, hold, now)


# --- what the console shows --------------------------------------------------------------------


def board(tx: Tx) -> list[Rec]:
    """The callers on hold now, in the line's order (case_number, company_name, area,
    analyst_name of an offer being made, waiting_since)."""
    return holds.board(tx)


def ended_by_state(tx: Tx, since: datetime, until: datetime) -> list[Rec]:
    """The waits that ended in a period, per way they ended (state, waits, seconds,
    longest)."""
    return holds.ended_by_state(tx, since, until)
