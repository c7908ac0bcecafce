"""The analysts' phone menu: caller ID plus PIN, then available, unavailable, callbacks due."""

from __future__ import annotations

from flask import request

from ivr.services.callbacks import callbacks_due_count
from ivr.services.calls import change_call
from ivr.services.directory import (
    analyst_by_phone,
    away_notice_heard,
    check_pin,
    get_analyst,
    set_analyst_status,
)
from ivr.store.tx import Rec
from ivr.voice.blueprint import bp
from ivr.voice.common import goodbye, webhook
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.twiml import MAX_TRIES, VoiceResponse, attempt_number, heard


@bp.post("/analyst/pin")
@webhook
def analyst_pin(call: Rec):
    """Check the PIN (caller IDs can be spoofed), then the analyst menu."""
    attempt = attempt_number()
    digits, _speech = heard(request)
    analyst = analyst_by_phone(db(), call.from_number)
    response = VoiceResponse()
    if analyst is not None and check_pin(analyst.pin_hash, digits):
        change_call(db(), call, analyst_id=analyst.id)
        s = speaker()
        s.say(response, "analyst_hello", name=analyst.name,
              status=s.text(f"analyst_status_{analyst.status}"))
        if analyst.away_notice:
            s.say(response, "analyst_was_away",
                  missed=app_state().settings.missed_calls_to_away)
            away_notice_heard(db(), analyst.id)
        ask_analyst_menu(response, 1)
    elif attempt >= MAX_TRIES or analyst is None:
        goodbye(response)
    else:
        speaker().ask(response, "voice.analyst_pin", ["analyst_pin_wrong", "analyst_pin_ask"],
                      attempt + 1, num_digits=None, speech=False, finish_on_key="#", timeout=5)
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
        status = "available" if choice == "1" else "unavailable"
        analyst = set_analyst_status(db(), analyst, status, now())
        s.say(response, "analyst_done")
        s.say(response, "analyst_hello", name=analyst.name,
              status=s.text(f"analyst_status_{analyst.status}"))
        ask_analyst_menu(response, 1)
    elif choice == "3":
        s.say(response, "analyst_callbacks_due", count=callbacks_due_count(db(), now()))
        ask_analyst_menu(response, 1)
    elif choice == "9" or attempt >= MAX_TRIES:
        goodbye(response)
    else:
        ask_analyst_menu(response, attempt + 1,
                         ["not_understood" if digits else "no_input"])
    return response
