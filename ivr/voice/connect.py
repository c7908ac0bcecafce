"""Putting the caller through: analysts one at a time, whispers, the emergency phones."""

from __future__ import annotations

from datetime import timedelta

from flask import request

from ivr.domain.case_numbers import spoken_digits
from ivr.domain.statuses import CallOutcome, RecordingKind
from ivr.services import hold, reports, routing
from ivr.services.calls import record_satisfaction
from ivr.services.cases import get_case
from ivr.services.directory import emergency_contact
from ivr.store.tx import Rec
from ivr.voice.blueprint import bp
from ivr.voice.common import (
    ask_recording,
    case_arg,
    goodbye,
    hung_up,
    int_arg,
    promise_callback,
    schedule,
    store_recording,
    webhook,
)
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.hunt import (
    apologise_and_end,
    attempt_arg,
    dial_leg,
    dial_next_analyst,
    dial_result,
    put_through,
    send_to_callback,
    start_hunt,
    write_call,
)
from ivr.voice.twiml import MAX_TRIES, VoiceResponse, attempt_number
from ivr.voice.urls import url_for

STILL_SEARCHING_TIMEOUT = 3


@bp.post("/connect")
@webhook
def connect_start(call: Rec):
    """Start looking for a free analyst for the caller's case."""
    response = VoiceResponse()
    put_through(response, call)
    return response


@bp.post("/connect/result")
@webhook(bounded=False)
def connect_result(call: Rec):
    """The analyst Dial's action: taken, or release and try the next one."""
    return dial_result(call, CallOutcome.ANSWERED,
                       lambda response, call, case: ask_keep_waiting(response, case))


@bp.post("/satisfaction")
@webhook(bounded=False)
def satisfaction(call: Rec):
    """The caller's score from 1 to 5, kept with the call."""
    response = VoiceResponse()
    digits, speech = reports.heard(request.form)
    if record_satisfaction(db(), call.call_sid, digits, speech) is not None \
            and not hung_up():
        speaker().say(response, "satisfaction_thanks")
    if not hung_up():
        goodbye(response)
    return response


def ask_keep_waiting(response: VoiceResponse, case: Rec) -> None:
    """'Seguimos buscando…': 1 for a callback instead; silence keeps looking."""
    gather = response.gather(input="dtmf", num_digits=1, timeout=STILL_SEARCHING_TIMEOUT,
                             action=url_for("voice.connect_choice", c=case.id), method="POST")
    speaker().say(gather, "still_searching")
    response.redirect(url_for("voice.connect_next", c=case.id), method="POST")


@bp.post("/connect/choice")
@webhook(bounded=False)
def connect_choice(call: Rec):
    """While searching: 1 asks for a callback, anything else keeps looking."""
    case = case_arg()
    if case is None:
        return apologise_and_end()
    response = VoiceResponse()
    if (request.form.get("Digits") or "")[:1] == "1":
        send_to_callback(response, call, case)
    else:
        dial_next_analyst(response, call, case)
    return response


@bp.post("/connect/next")
@webhook
def connect_next(call: Rec):
    """Keep looking for an analyst."""
    case = case_arg()
    if case is None:
        return apologise_and_end()
    response = VoiceResponse()
    dial_next_analyst(response, call, case)
    return response


WHISPER_WORDS = 20  # of the caller's words on the analyst's phone, before "marque 1"
SEVERITY_PROMPTS = {1: "severity_1", 2: "severity_2", 3: "severity_3"}


@bp.post("/whisper")
@webhook(call=False)
def whisper():
    """On the callee's leg: who is calling and about what; 1 accepts, silence hangs up."""
    attempt = attempt_arg()
    response = VoiceResponse()
    if attempt is None or attempt.ended_at is not None:
        response.hangup()
        return response
    routing.note_leg_sid(db(), attempt, (request.form.get("CallSid") or "")[:64])
    case = get_case(db(), attempt.case_id)
    gather = response.gather(input="dtmf", num_digits=1, timeout=8,
                             action=url_for("voice.whisper_answer", a=attempt.id, h=int_arg("h")),
                             method="POST")
    s = speaker()
    if case is None:
        s.say(gather, "whisper_no_case")
    else:
        severity = s.text(SEVERITY_PROMPTS.get(case.severity, "severity_none"))
        company = case.company_name or "un cliente sin identificar"
        values = {"company": company, "digits": spoken_digits(case.number),
                  "severity": severity}
        if case.fault_summary:
            # What the caller said the fault is, in their words, a few of them.
            words = " ".join(case.fault_summary.split()[:WHISPER_WORDS])
            s.say(gather, "whisper_fault", words=words, **values)
        else:
            s.say(gather, "whisper", **values)
    # A voicemail never presses 1: the Gather times out and this hangs up instead of bridging.
    response.hangup()
    return response


@bp.post("/whisper/answer")
@webhook(call=False)
def whisper_answer():
    """1: accept (an empty document bridges the call); anything else declines."""
    attempt = attempt_arg()
    response = VoiceResponse()
    if attempt is None or attempt.ended_at is not None:
        response.hangup()
        return response
    leg_sid = (request.form.get("CallSid") or "")[:64]
    if (request.form.get("Digits") or "")[:1] == "1":
        routing.take_call(db(), attempt, leg_sid, now(), app_state().settings.dial_time_limit)
        if int_arg("h") is not None:
            # An offer to a caller on hold: their wait is over.
            hold.bridged(db(), int_arg("h"), attempt.id, now())
    else:
        routing.decline(db(), attempt, leg_sid)
        response.hangup()
    return response


@bp.post("/leg-status")
@webhook(call=False)
def leg_status():
    """A leg's status callback: when it ends, its analyst is free again (lost Dial actions)."""
    routing.leg_ended(db(), attempt_arg(), (request.form.get("CallStatus") or "")[:16], now(),
                      timedelta(seconds=app_state().settings.wrap_up_seconds))


# --- out of hours: the emergency phones, in order -------------------------------------------


@bp.post("/emergency")
@webhook
def emergency_start(call: Rec):
    """A confirmed emergency out of hours: ring the emergency phones in their order."""
    response = VoiceResponse()
    start_hunt(response, call, "emergency_connecting", dial_next_emergency)
    return response


def dial_next_emergency(response: VoiceResponse, call: Rec, case: Rec,
                        unwritten: dict | None = None, announce: str | None = None) -> None:
    """Ring the next emergency phone, or take an urgent message."""
    unwritten = unwritten or {}
    ringing = routing.ringing_attempt(db(), call, "emergency_contact_id")
    if ringing is not None:
        write_call(call, unwritten)
        contact = emergency_contact(db(), ringing.emergency_contact_id)
        dial_leg(response, ringing, contact.phone, "voice.emergency_result", announce,
                 contact.ring_seconds)
        return
    contact = routing.next_emergency_contact(db(), call.call_sid)
    if contact is None:
        write_call(call, {**unwritten, "outcome": CallOutcome.EMERGENCY_MESSAGE})
        case = reports.emergency_unanswered(db(), schedule(), case, now(),
                                            app_state().settings.urgent_callback_minutes)
        speaker().say(response, "emergency_nobody")
        ask_emergency_message(response, case)
        return
    attempt = routing.start_attempt(db(), call, case, now(), emergency_contact_id=contact.id,
                                    call_changes=unwritten)
    dial_leg(response, attempt, contact.phone, "voice.emergency_result", announce,
             contact.ring_seconds)


def ask_emergency_message(response: VoiceResponse, case: Rec) -> None:
    """Record the emergency on the case; with the caller ID withheld, a number to call back
    first (the emergency phones are alerted with it)."""
    if case.caller_number is None and case.callback_number is None:
        ask_emergency_callback(response, case, 1)
        return
    ask_recording(response, "emergency_record", "voice.emergency_recorded", case,
                  RecordingKind.EMERGENCY)


def ask_emergency_callback(response: VoiceResponse, case: Rec, attempt: int,
                           before=()) -> None:
    """Key the number to call back about the emergency, # to finish."""
    speaker().ask(response, "voice.emergency_callback_number",
                  [*before, "emergency_callback_ask"], attempt, num_digits=None, speech=False,
                  finish_on_key="#", timeout=10, c=case.id)


@bp.post("/emergency/callback-number")
@webhook(bounded=False)
def emergency_callback_number(call: Rec):
    """The number to call back about the emergency (withheld caller ID), then the message;
    after the last try the message is taken without one."""
    case = case_arg()
    if case is None:
        return apologise_and_end()
    attempt = attempt_number()
    digits = (request.form.get("Digits") or "").strip()[:32]
    response = VoiceResponse()
    if hung_up():
        return response
    if reports.store_callback_number(db(), case, digits, now()) or attempt >= MAX_TRIES:
        ask_recording(response, "emergency_record", "voice.emergency_recorded", case,
                      RecordingKind.EMERGENCY)
    else:
        ask_emergency_callback(response, case, attempt + 1,
                               ["report_callback_invalid" if digits else "no_input"])
    return response


@bp.post("/emergency/result")
@webhook(bounded=False)
def emergency_result(call: Rec):
    """The emergency Dial's action: answered, or the next phone in the list."""
    return dial_result(call, CallOutcome.EMERGENCY_ANSWERED, dial_next_emergency)


@bp.post("/emergency/recorded")
@webhook(bounded=False)
def emergency_recorded(call: Rec):
    """The urgent message: stored on the case, which goes first in the callback queue."""
    case = case_arg()
    if case is None:
        return apologise_and_end()
    store_recording(case, RecordingKind.EMERGENCY)
    case = reports.finish_emergency_message(db(), schedule(), case, now(),
                                            app_state().settings.urgent_callback_minutes)
    response = VoiceResponse()
    if not hung_up():
        speaker().say(response, "emergency_recorded", digits=spoken_digits(case.number))
        promise_callback(response, case)
        goodbye(response)
    return response
