"""Waiting on the line (rule 4): the caller's choice, their own queue, the place and estimate
said every 30–45 seconds, 1 for a callback at any time, the longest wait, and the offer that
puts them through when an analyst frees up (ivr/services/hold.py makes the offers).

Twilio requests the wait URL again each time its document ends, so one document is one cycle
of the wait: the place and the estimate, then the music (or a pause), inside a Gather that
listens for 1. Only <Say>, <Play>, <Pause>, <Gather>, <Redirect>, <Leave> and <Hangup> may be
answered there.
"""

from __future__ import annotations

import math

from flask import request

from ivr.domain.spanish_dates import minutes_words, number_words
from ivr.domain.statuses import CallOutcome, DialOutcome, HoldState
from ivr.prompts import audio_seconds
from ivr.services import hold as holding
from ivr.services import routing
from ivr.services.calls import change_call
from ivr.store.tx import Rec
from ivr.voice.blueprint import bp
from ivr.voice.common import case_arg, goodbye, hung_up, int_arg, is_open, schedule, webhook
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.hunt import (
    apologise_and_end,
    ask_hold_choice,
    attempt_arg,
    dial_leg,
    dial_result,
    hold_config,
    send_to_callback,
    wait_in_line,
    write_call,
)
from ivr.voice.twiml import MAX_TRIES, VoiceResponse, attempt_number
from ivr.voice.urls import url_for

WAIT_KEY_TIMEOUT = 2  # seconds the wait's Gather listens after its prompts and music
CHARS_PER_SECOND = 14  # how fast <Say> speaks, to fit a cycle in HOLD_ANNOUNCE_SECONDS
MUSIC_SECONDS = 30  # an MP3's length is not read: it is taken to be this long at most
OFFERING_PAUSE = 5
LEFT = (HoldState.LEFT, HoldState.TIMED_OUT)


def hold_arg() -> Rec | None:
    """The hold named by the `h` URL argument."""
    return holding.get_hold(db(), int_arg("h"))


@bp.post("/hold/choice")
@webhook(bounded=False)
def hold_choice(call: Rec):
    """1: wait on the line; 2 (or no answer after the last try): the callback queue."""
    case = case_arg()
    if case is None:
        return apologise_and_end()
    response = VoiceResponse()
    if hung_up():
        return response
    key = (request.form.get("Digits") or "").strip()[:1]
    attempt = attempt_number()
    if key == "1":
        hold = holding.join(db(), call.call_sid, case, now())
        speaker().say(response, "hold_joined")
        wait_in_line(response, hold)
    elif key == "2" or attempt >= MAX_TRIES:
        send_to_callback(response, call, case, prompt=None)
    else:
        ask_hold_choice(response, case, attempt + 1,
                        ["not_understood" if key else "no_input", "hold_choice"])
    return response


@bp.post("/hold/wait")
@webhook(call=False)
def hold_wait():
    """One cycle of the wait: the place and the estimate, music, 1 for a callback; an offer
    being made; or, after the longest wait, out of the queue to the callback queue."""
    response = VoiceResponse()
    hold = own_hold()
    if hold is None or hold.state not in (HoldState.WAITING, HoldState.OFFERED):
        response.leave()
        return response
    config = hold_config()
    hold = holding.check_offer(db(), hold, now())
    if hold.state == HoldState.OFFERED:
        speaker().say(response, "hold_offering")
        response.pause(length=OFFERING_PAUSE)
        return response
    if holding.timed_out(hold, now(), config):
        holding.leave(db(), schedule(), hold, HoldState.TIMED_OUT, now())
        waited = max(holding.waited_seconds(hold, now()) // 60, 1)
        speaker().say(response, "hold_timed_out", minutes=minutes_words(waited))
        response.leave()
        return response
    on_duty = holding.on_duty(db())
    if not is_open() or not on_duty:
        # The centre closed, or nobody is left on duty: nobody will free up for this caller.
        holding.leave(db(), schedule(), hold, HoldState.TIMED_OUT, now())
        speaker().say(response, "hold_nobody_left")
        response.leave()
        return response
    place = holding.place(db(), hold)
    words = [speaker().text("hold_next") if place == 1 else
             speaker().text("hold_place", place=place_words(place))]
    wait = holding.estimate_seconds(db(), place, now(), config, on_duty)
    words.append(speaker().text("hold_estimate_short") if wait < 60 else
                 speaker().text("hold_estimate", wait=minutes_words(math.ceil(wait / 60))))
    words.append(speaker().text("hold_key"))
    text = " ".join(words)
    gather = response.gather(input="dtmf", num_digits=1, timeout=WAIT_KEY_TIMEOUT,
                             action=url_for("voice.hold_key", h=hold.id), method="POST")
    speaker().say_text(gather, text)
    rest = app_state().settings.hold_announce_seconds - WAIT_KEY_TIMEOUT - \
        math.ceil(len(text) / CHARS_PER_SECOND)
    # The music (voice_prompts/audio/hold_music.*), or its words when there is no recording.
    speaker().say(gather, "hold_music")
    music = speaker().catalogue.audio_file("hold_music")
    rest -= math.ceil(audio_seconds(music) or MUSIC_SECONDS) if music else \
        math.ceil(len(speaker().text("hold_music")) / CHARS_PER_SECOND)
    if rest > 0:
        gather.pause(length=rest)
    return response


def place_words(place: int) -> str:
    """A place in the queue as it is said ('tres', 'veintiuno')."""
    return number_words(place) if place < 60 else str(place)


@bp.post("/hold/key")
@webhook(call=False)
def hold_key():
    """A key pressed while waiting: 1 leaves the queue for the callback queue; any other key
    hears the place again."""
    response = VoiceResponse()
    hold = own_hold()
    if hold is None:
        response.leave()
        return response
    if (request.form.get("Digits") or "").strip()[:1] == "1":
        if hold.state in (HoldState.WAITING, HoldState.OFFERED):
            holding.leave(db(), schedule(), hold, HoldState.LEFT, now())
        response.leave()
        return response
    response.redirect(url_for("voice.hold_wait", h=hold.id), method="POST")
    return response


@bp.post("/hold/left")
@webhook(bounded=False)
def hold_left(call: Rec):
    """The Enqueue's action: the caller left the queue. By 1 or the longest wait: the callback
    queue, said; by hanging up: abandoned; by the offer's redirect: nothing to do here."""
    response = VoiceResponse()
    hold = own_hold()
    result = (request.form.get("QueueResult") or "").strip()[:24]
    if hold is None:
        return apologise_and_end()
    if result == "redirected" or (result.startswith("bridg") and not hung_up()):
        return response
    if hung_up() or result == "hangup":
        if hold.state in (HoldState.WAITING, HoldState.OFFERED):
            holding.leave(db(), schedule(), hold, HoldState.ABANDONED, now())
        change_call(db(), call, outcome=call.outcome if call.outcome == CallOutcome.ANSWERED
                    else CallOutcome.ABANDONED)
        return response
    if hold.state in (HoldState.WAITING, HoldState.OFFERED):
        # Out of the queue for a reason the line did not give (an error, a full queue): the
        # callback queue, nothing lost.
        holding.leave(db(), schedule(), hold, HoldState.LEFT, now())
        hold = hold.replace(state=HoldState.LEFT)
    case = holding_case(hold)
    if case is None:
        return apologise_and_end()
    send_to_callback(response, call, case,
                     prompt="hold_left" if hold.state == HoldState.LEFT else None)
    return response


@bp.post("/hold/offer")
@webhook(bounded=False)
def hold_offer(call: Rec):
    """Where an offer redirects the caller's call: the whispered Dial to the analyst claimed
    for them; back into the queue when the offer was withdrawn meanwhile."""
    response = VoiceResponse()
    hold, attempt = own_hold(), attempt_arg()
    if hold is None:
        return apologise_and_end()
    if hold.state == HoldState.OFFERED and attempt is not None and \
            hold.attempt_id == attempt.id and attempt.ended_at is None:
        phone = routing.leased_phone(db(), attempt.analyst_id, call.call_sid)
        if phone is not None:
            write_call(call, {"case_id": hold.case_id} if call.case_id != hold.case_id else {})
            dial_leg(response, attempt, phone, "voice.hold_result", "connecting",
                     hold_id=hold.id)
            return response
        hold = holding.withdraw_offer(db(), hold, now())
    if hold.state == HoldState.WAITING:
        speaker().say(response, "hold_back")
        wait_in_line(response, hold)
    elif hold.state in LEFT:
        case = holding_case(hold)
        if case is None:
            return apologise_and_end()
        send_to_callback(response, call, case, prompt=None)
    else:
        goodbye(response)
    return response


@bp.post("/hold/result")
@webhook(bounded=False)
def hold_result(call: Rec):
    """The offer's Dial action: the caller talked to the analyst (their wait is over), or
    back in the queue in the same place; a hang-up while it rang is an abandoned wait."""
    hold, attempt = own_hold(), attempt_arg()

    def back_in_line(response: VoiceResponse, call: Rec, case: Rec) -> None:
        if hold is not None and holding.back_in_line(db(), hold, attempt.id):
            speaker().say(response, "hold_back")
            wait_in_line(response, hold)
        else:
            send_to_callback(response, call, case)

    response = dial_result(call, CallOutcome.ANSWERED, back_in_line)
    # The analyst's 1 at the whisper ended the wait already (bridged); still offered here: a
    # hang-up while the analyst's phone rang, or a take the whisper did not record.
    if hold is not None and attempt is not None and hold.state == HoldState.OFFERED:
        if hung_up():
            holding.leave(db(), schedule(), hold, HoldState.ABANDONED, now())
        else:
            closed = routing.get_attempt(db(), attempt.id)
            if closed is not None and closed.outcome == DialOutcome.ACCEPTED:
                holding.bridged(db(), hold.id, attempt.id, now())
    return response


def own_hold() -> Rec | None:
    """The hold of the `h` argument, when it is this call's (a URL of another call's hold is
    ignored)."""
    hold = hold_arg()
    if hold is None or hold.call_sid != (request.form.get("CallSid") or "")[:64]:
        return None
    return hold


def holding_case(hold: Rec) -> Rec | None:
    """The case the caller waited about."""
    return holding.case_of(db(), hold)
