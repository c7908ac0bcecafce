"""The analysts' phone menu: caller ID plus PIN, then available, unavailable, callbacks due."""

from __future__ import annotations

from flask import request

from ivr.domain.statuses import AnalystStatus
from ivr.services.callbacks import callbacks_due_count
from ivr.services.calls import change_call
from ivr.services.directory import (
    analyst_by_phone,
    away_notice_heard,
    get_analyst,
    pin_matches,
    set_analyst_status,
)
from ivr.services.guesses import pin_failed, pin_locked
from ivr.store.tx import Rec
from ivr.voice.blueprint import bp
from ivr.voice.common import ask_pin, goodbye, webhook
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.twiml import MAX_TRIES, VoiceResponse, attempt_number, heard
from ivr.voice.urls import url_for


@bp.post("/analyst/pin")
@webhook
def analyst_pin(call: Rec):
    """The hidden menu key's PIN: an analyst's registered phone plus the right PIN opens the
    analysts' menu (caller IDs can be faked); anything else sounds the same for everyone."""
    attempt = attempt_number()
    digits, _speech = heard(request)
    analyst = analyst_by_phone(db(), call.from_number)
    settings = app_state().settings
    limits = settings.pin_failures_to_lock, settings.pin_lock_minutes
    # A locked menu (too many wrong PINs lately) refuses even the right PIN, in the same words.
    locked = analyst is not None and pin_locked(db(), analyst.id, now(), *limits)
    right = pin_matches(analyst, digits) and not locked
    if not right and digits:
        pin_failed(db(), call.call_sid, call.from_number, analyst.id if analyst else None,
                   now(), *limits)
    response = VoiceResponse()
    if right:
        change_call(db(), call, analyst_id=analyst.id)
        s = speaker()
        s.say(response, "analyst_hello", name=analyst.name,
              status=s.text(f"analyst_status_{analyst.status}"))
        if analyst.away_notice:
            s.say(response, "analyst_was_away",
                  missed=app_state().settings.missed_calls_to_away)
            away_notice_heard(db(), analyst.id)
        ask_analyst_menu(response, 1)
    elif attempt >= MAX_TRIES:
        speaker().say(response, "analyst_pin_wrong")
        response.redirect(url_for("voice.menu", t=1, again=1), method="POST")
    else:
        ask_pin(response, attempt + 1, ["analyst_pin_wrong"])
    return response


def ask_analyst_menu(response: VoiceResponse, attempt: int, before=()) -> None:
    """1 available, 2 unavailable, 3 callbacks waiting, 9 end."""
    speaker().ask(response, "voice.analyst_menu", [*before, "analyst_menu"], attempt,
                  speech=False)


@bp.post("/analyst/menu")
@webhook
def analyst_menu(call: Rec):
    """The analyst's choice; only for a call that passed the PIN."""
    response = VoiceResponse()
    analyst = get_analyst(db(), call.analyst_id)
    if analyst is None:
        goodbye(response)
        return response
    attempt = attempt_number()
    digits, _speech = heard(request)
    choice = digits[:1]
    s = speaker()
    if choice in ("1", "2"):
        status = AnalystStatus.AVAILABLE if choice == "1" else AnalystStatus.UNAVAILABLE
        analyst = set_analyst_status(db(), analyst, status, now())
        s.say(response, "analyst_done")
        s.say(response, "analyst_hello", name=analyst.name,
              status=s.text(f"analyst_status_{analyst.status}"))
        ask_analyst_menu(response, 1)
    elif choice == "3":
        count = callbacks_due_count(db(), now())
        if count == 0:
            s.say(response, "analyst_callbacks_none")
        elif count == 1:
            s.say(response, "analyst_callbacks_one")
        else:
            s.say(response, "analyst_callbacks_due", count=count)
        ask_analyst_menu(response, 1)
    elif choice == "9" or attempt >= MAX_TRIES:
        goodbye(response)
    else:
        ask_analyst_menu(response, attempt + 1,
                         ["not_understood" if digits else "no_input"])
    return response
