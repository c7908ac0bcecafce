"""Putting the caller through, shared by the flows that end in it: the case of the call,
analysts rung one at a time with a whisper, the callback queue when nobody takes the call.

Not a view: it registers no route. The menu, the report and the connect flow answer with these
steps in their own TwiML, so that a caller whose next step is known is not sent round Twilio
by a <Redirect> first.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import request

from ivr.domain.statuses import CallbackState, CallOutcome, CaseStatus, DialOutcome
from ivr.services import hold as holding
from ivr.services import routing
from ivr.services.callbacks import first_due_time, schedule_callback
from ivr.services.calls import change_call, update_call
from ivr.services.cases import get_case, open_case
from ivr.services.casework import note_forwarding
from ivr.services.directory import find_contact
from ivr.store.tx import Rec
from ivr.voice.common import (
    case_arg,
    goodbye,
    hung_up,
    int_arg,
    is_open,
    promise_callback,
    say_case_number,
    schedule,
)
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.twiml import VoiceResponse
from ivr.voice.urls import url_for

log = logging.getLogger("ivr.routing")


def case_for_call(call: Rec, case: Rec | None = None) -> Rec:
    """The case this call is about (rule 9: nobody is put through without one): the one
    given, the `c` argument, the call's own, or a new one (its number is read only if nobody
    answers: the analyst gives it, and so does the line after the conversation)."""
    case = case or case_arg()
    if case is None and call.case_id is not None and int_arg("r") is None:
        case = get_case(db(), call.case_id)
    if case is not None:
        return case
    contact = find_contact(db(), call.from_number)
    seq = int_arg("r") or 1
    case = open_case(db(), call.call_sid, seq, call.from_number, contact, not is_open(), now(),
                     due_at=first_due_time(schedule(), contact, now()))
    if case.due_at is None:
        case = schedule_callback(db(), schedule(), case, now())
    if call.forwarded_from:
        note_forwarding(db(), case, call.forwarded_from,
                        app_state().settings.published_numbers, now())
    return case


def elapsed_ring_seconds(call: Rec) -> int:
    """Seconds since the hunt began."""
    if call.hunt_started_at is None:
        return 0
    return int((now() - call.hunt_started_at).total_seconds())


def start_hunt(response: VoiceResponse, call: Rec, prompt: str, dial_next,
               case: Rec | None = None) -> None:
    """Give the call its case, then ring the first phone (added to `response`)."""
    case = case_for_call(call, case)
    # Written with the first leg (or the callback), in the same UPDATE of the call.
    unwritten = {name: value for name, value in
                 (("case_id", case.id), ("hunt_started_at", call.hunt_started_at or now()))
                 if getattr(call, name) != value}
    dial_next(response, call.replace(**unwritten), case, unwritten, announce=prompt)


def put_through(response: VoiceResponse, call: Rec, case: Rec | None = None) -> None:
    """Ring a free analyst for the caller's case (rule 4)."""
    start_hunt(response, call, "connecting", dial_next_analyst, case)


def dial_next_analyst(response: VoiceResponse, call: Rec, case: Rec,
                      unwritten: dict | None = None, announce: str | None = None) -> None:
    """Ring the next free analyst, or give up to the callback queue. `call` is as it will be
    once `unwritten` (changes to it not yet written) is written with this step's own."""
    settings = app_state().settings
    unwritten = unwritten or {}
    ringing = routing.ringing_attempt(db(), call, "analyst_id")
    if ringing is not None:
        phone = routing.leased_phone(db(), ringing.analyst_id, call.call_sid)
        if phone is not None:
            write_call(call, unwritten)
            dial_leg(response, ringing, phone, "voice.connect_result", announce)
            return
        routing.finish_attempt(db(), ringing, DialOutcome.CANCELED, now())  # its lease is gone
    if call.attempts >= settings.hunt_max_attempts or \
            elapsed_ring_seconds(call) >= settings.hunt_max_seconds:
        nobody_took(response, call, case, unwritten)
        return
    claimed = routing.claim_analyst(db(), call.call_sid, now(), settings.dial_timeout,
                                    prefer=case.assigned_analyst_id, area=case.area)
    if claimed is None:
        if not call.attempts:
            log.error("nobody to ring: no analyst free for a caller (case %s)", case.number)
        nobody_took(response, call, case, unwritten)
        return
    attempt = routing.start_attempt(db(), call, case, now(), analyst_id=claimed.analyst_id,
                                    call_changes=unwritten)
    dial_leg(response, attempt, claimed.phone, "voice.connect_result", announce)


def write_call(call: Rec, unwritten: dict) -> None:
    """Write the call's changes still unwritten (if any)."""
    if unwritten:
        update_call(db(), call.call_sid, **unwritten)


def dial_leg(response: VoiceResponse, attempt: Rec, phone: str, action: str,
             announce: str | None = None, ring_seconds: int | None = None,
             hold_id: int | None = None) -> None:
    """One <Dial> with the whispered <Number> of an analyst or emergency phone (`announce`: a
    prompt said first, only when someone is rung; `ring_seconds`: this phone's own ring time
    instead of DIAL_TIMEOUT; `hold_id`: the caller comes from the hold queue)."""
    settings = app_state().settings
    if announce:
        speaker().say(response, announce)
    dial = response.dial(
        action=url_for(action, a=attempt.id, h=hold_id), method="POST",
        timeout=ring_seconds or settings.dial_timeout, time_limit=settings.dial_time_limit,
        answer_on_bridge=True,
    )
    dial.number(
        phone, url=url_for("voice.whisper", a=attempt.id, h=hold_id), method="POST",
        status_callback=url_for("voice.leg_status", a=attempt.id),
        status_callback_event="initiated ringing answered completed",
        status_callback_method="POST",
    )


def send_to_callback(response: VoiceResponse, call: Rec, case: Rec,
                     unwritten: dict | None = None, prompt: str | None = "nobody_free") -> None:
    """Nobody could take the call: the case waits in the callback queue (rule 4), and a
    report cut short to put the caller through picks up where it stopped (`prompt`: said
    first)."""
    changes = dict(unwritten or {})
    if call.outcome != CallOutcome.ANSWERED:
        changes["outcome"] = CallOutcome.CALLBACK
    write_call(call, changes)
    if case.due_at is None or case.callback_state != CallbackState.PENDING:
        case = schedule_callback(db(), schedule(), case, now())
    if prompt:
        speaker().say(response, prompt)
    if case.status == CaseStatus.INCOMPLETE:
        # The rest of the report, so that the callback is useful.
        response.redirect(url_for("voice.report_resume", c=case.id)
                          if case.origin_call_sid == call.call_sid
                          else url_for("voice.case_option", c=case.id, t=1), method="POST")
        return
    promise_callback(response, case)
    say_case_number(response, case)
    goodbye(response)


# --- the hold queue: wait on the line, or be called back -------------------------------------


def hold_config() -> holding.HoldConfig:
    """The hold queue's settings."""
    return holding.HoldConfig.of(app_state().settings)


def nobody_took(response: VoiceResponse, call: Rec, case: Rec,
                unwritten: dict | None = None) -> None:
    """Nobody free, or nobody took the call: in hours, with someone on duty who will free up,
    the caller chooses to wait on the line or be called back; otherwise the callback queue."""
    if is_open() and holding.can_wait(db(), hold_config()) and \
            holding.hold_of_call(db(), call.call_sid) is None:
        # (A caller who already waited in this call and left is not asked again.)
        write_call(call, unwritten or {})
        ask_hold_choice(response, case, 1, ["nobody_free", "hold_choice"])
        return
    send_to_callback(response, call, case, unwritten)


def ask_hold_choice(response: VoiceResponse, case: Rec, attempt: int, prompts: list) -> None:
    """1: wait on the line; 2: be called back."""
    speaker().ask(response, "voice.hold_choice", prompts, attempt, speech=False, c=case.id)


def wait_in_line(response: VoiceResponse, hold: Rec) -> None:
    """<Enqueue> into the caller's own queue (its name is the CallSid): the wait URL says the
    place the line gives; the action learns why the caller left."""
    response.enqueue(hold.call_sid, action=url_for("voice.hold_left", h=hold.id),
                     method="POST", wait_url=url_for("voice.hold_wait", h=hold.id),
                     wait_url_method="POST")


# --- after a whispered Dial (the connect, emergency and hold flows) ---------------------------


def attempt_arg() -> Rec | None:
    """The dial attempt named by the `a` URL argument."""
    return routing.get_attempt(db(), int_arg("a"))


def dial_result(call: Rec, answered: str, not_taken) -> VoiceResponse:
    """After a whispered Dial: record who took the call, or carry on with `not_taken`."""
    attempt = attempt_arg()
    if attempt is None:
        return apologise_and_end()
    case = get_case(db(), attempt.case_id)
    outcome, ring_seconds = close_leg(call, attempt)
    response = VoiceResponse()
    changes: dict = {"ring_seconds": call.ring_seconds + ring_seconds}
    if outcome == DialOutcome.ACCEPTED:
        changes.update(outcome=answered, answered_by=routing.answered_by(attempt))
        after_conversation(response, case)
    elif hung_up():
        changes["outcome"] = call.outcome or CallOutcome.ABANDONED
    call = change_call(db(), call, **changes)
    if outcome == DialOutcome.ACCEPTED or hung_up():
        return response
    if case is None:
        response.hangup()
    else:
        not_taken(response, call, case)
    return response


def after_conversation(response: VoiceResponse, case: Rec | None) -> None:
    """The person hung up and the caller is still on the line: the case number once more
    (the caller may not have written it down), the satisfaction question when configured,
    goodbye."""
    if case is not None:
        say_case_number(response, case, "after_call_case_number")
    if app_state().settings.satisfaction_question:
        gather = response.gather(input="dtmf speech", num_digits=1, timeout=5,
                                 action=url_for("voice.satisfaction"), method="POST",
                                 speech_timeout="auto",
                                 language=app_state().settings.speech_language,
                                 hints=speaker().catalogue.hints.get("score"))
        speaker().say(gather, "satisfaction_ask")
    # Silence (or no question): goodbye; nobody is asked twice for a score.
    goodbye(response)


def close_leg(call: Rec, attempt: Rec) -> tuple[str, int]:
    """Record how a leg ended, release its analyst, count misses; idempotent. The leg's
    outcome, and its ringing seconds to add to the call (0 when closed before)."""
    form = request.form
    return routing.close_leg(db(), call.call_sid, attempt,
                             (form.get("DialCallStatus") or "")[:16],
                             (form.get("DialBridged") or "").lower()[:8], hung_up(), now(),
                             app_state().settings.missed_calls_to_away,
                             timedelta(seconds=app_state().settings.wrap_up_seconds))


def apologise_and_end() -> VoiceResponse:
    """A step without its record (a URL we never made): end politely."""
    response = VoiceResponse()
    goodbye(response)
    return response
