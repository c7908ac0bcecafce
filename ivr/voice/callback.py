"""Calls back placed from the console: the analyst's phone first, then the client.

The outbox places a REST call to the analyst's phone whose webhooks are these (signed like
every other): the whisper ("Devolución de llamada, caso …, marque 1 para conectar"), the
analyst's choice, the <Dial> to the client with the line's caller ID, the extension as keys and
a greeting on the client's leg, the Dial's result, and the call's status callback, which
releases the analyst's lease.
"""

from __future__ import annotations

from flask import request

from ivr.domain.case_numbers import spoken_digits
from ivr.domain.statuses import CallStatus
from ivr.services import callback_calls
from ivr.services.cases import get_case
from ivr.store.tx import Rec
from ivr.voice.blueprint import bp
from ivr.voice.common import int_arg, webhook
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.twiml import VoiceResponse
from ivr.voice.urls import url_for

WHISPER_TIMEOUT = 8
CLIENT_RING_SECONDS = 30  # a client called back gets time to reach the phone
EXTENSION_PAUSE = 2  # seconds for a switchboard to put the extension through before speaking
CLIENT_STATUS_PROMPTS = {CallStatus.BUSY: "callback_client_busy",
                         CallStatus.NO_ANSWER: "callback_client_no_answer",
                         CallStatus.FAILED: "callback_client_failed"}


def callback_arg() -> Rec | None:
    """The call back named by the `cb` URL argument."""
    return callback_calls.get(db(), int_arg("cb"))


def setup() -> callback_calls.Setup:
    """The call-back settings."""
    return callback_calls.Setup.from_settings(app_state().settings)


def ended(prompt: str) -> VoiceResponse:
    """Say one thing to the analyst and hang up."""
    response = VoiceResponse()
    speaker().say(response, prompt)
    response.hangup()
    return response


@bp.post("/callback/answer")
@webhook(call=False)
def callback_answer():
    """The analyst answered: which case, and 1 to call the client."""
    callback = callback_arg()
    if callback is None or not callback_calls.analyst_answered(
            db(), callback, (request.form.get("CallSid") or "")[:64]):
        return ended("callback_gone")
    case = get_case(db(), callback.case_id)
    response = VoiceResponse()
    choice = url_for("voice.callback_choice", cb=callback.id)
    gather = response.gather(input="dtmf", num_digits=1, timeout=WHISPER_TIMEOUT,
                             action=choice, method="POST")
    speaker().say(gather, "callback_whisper", digits=spoken_digits(case.number),
                  company=case.company_name or "un cliente sin identificar")
    # No key (a voicemail, or nobody there): the choice step cancels it.
    response.redirect(choice, method="POST")
    return response


@bp.post("/callback/choice")
@webhook(call=False)
def callback_choice():
    """1: dial the client; anything else (or nothing): the call back is cancelled."""
    callback = callback_arg()
    if callback is None:
        return ended("callback_gone")
    digits = (request.form.get("Digits") or "").strip()
    config = setup()
    if not callback_calls.analyst_chose(db(), config, callback, digits, now()):
        return ended("callback_cancelled")
    case = get_case(db(), callback.case_id)
    response = VoiceResponse()
    speaker().say(response, "callback_dialling")
    dial = response.dial(
        action=url_for("voice.callback_dialled", cb=callback.id), method="POST",
        timeout=CLIENT_RING_SECONDS, time_limit=config.call_seconds,
        caller_id=config.caller_id)
    dial.number(callback.client_number, send_digits=case.callback_extension or None,
                url=url_for("voice.callback_greeting", cb=callback.id,
                            x=1 if case.callback_extension else None),
                method="POST")
    return response


@bp.post("/callback/greeting")
@webhook(call=False)
def callback_greeting():
    """On the client's leg, before bridging: who calls and about which case."""
    callback = callback_arg()
    response = VoiceResponse()
    case = get_case(db(), callback.case_id) if callback is not None else None
    if case is None:
        response.hangup()
        return response
    if int_arg("x"):
        response.pause(length=EXTENSION_PAUSE)
    speaker().say(response, "callback_greeting", digits=spoken_digits(case.number))
    return response  # the end of the document bridges the client to the analyst


@bp.post("/callback/dialled")
@webhook(call=False)
def callback_dialled():
    """The client's leg is over: the analyst hears how it went and is asked for the outcome."""
    callback = callback_arg()
    if callback is None:
        return ended("callback_gone")
    form = request.form
    status = callback_calls.client_leg_ended(
        db(), callback, (form.get("DialCallStatus") or "")[:16],
        (form.get("DialBridged") or "").lower() == "true")
    response = VoiceResponse()
    prompt = CLIENT_STATUS_PROMPTS.get(status)
    if prompt:
        speaker().say(response, prompt)
    speaker().say(response, "callback_record_outcome")
    response.hangup()
    return response


@bp.post("/callback/status")
@webhook(call=False)
def callback_status():
    """The analyst's call has ended (or never was answered): their lease is released."""
    callback = callback_arg()
    if callback is not None:
        callback_calls.call_ended(db(), callback, (request.form.get("CallStatus") or "")[:16],
                                  now())
