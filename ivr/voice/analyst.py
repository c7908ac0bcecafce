"""The analysts' phone menu: caller ID plus PIN, then available, unavailable, callbacks due."""

from __future__ import annotations

from flask import request

from ivr.services.callbacks import callbacks_due_count
from ivr.services.directory import check_pin, set_analyst_status
from ivr.store.tx import Q, Rec
from ivr.voice import bp
from ivr.voice.common import begin_call, too_long
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.report import goodbye
from ivr.voice.twiml import MAX_TRIES, VoiceResponse, attempt_number, heard, twiml
from ivr.voice.urls import url_for

_ANALYST_BY_PHONE = Q("SELECT * FROM analysts WHERE phone = :phone")


def analyst_by_phone(phone: str | None) -> Rec | None:
    """The analyst whose registered phone this is."""
    if not phone:
        return None
    return db().row(_ANALYST_BY_PHONE, "analysts", phone=phone)


def offer_analyst_menu(response: VoiceResponse) -> None:
    """From an analyst's phone: ask the PIN; silence goes on to the clients' menu."""
    # An analyst who stays silent is calling as a client: on to the clients' menu.
    speaker().ask(response, "voice.analyst_pin", ["analyst_pin_ask"], 1, num_digits=None,
                  speech=False, finish_on_key="#", timeout=5,
                  on_silence=url_for("voice.menu", t=1, again=1))


@bp.post("/analyst/pin")
def analyst_pin():
    """Check the PIN (caller IDs can be spoofed), then the analyst menu."""
    call = begin_call()
    ended = too_long(call)
    if ended:
        return twiml(ended)
    attempt = attempt_number()
    digits, _speech = heard(request)
    analyst = analyst_by_phone(call.from_number)
    response = VoiceResponse()
    if analyst is not None and check_pin(analyst.pin_hash, digits):
        call.analyst_id = analyst.id
        s = speaker()
        s.say(response, "analyst_hello", name=analyst.name,
              status=s.text(f"analyst_status_{analyst.status}"))
        if analyst.away_notice:
            s.say(response, "analyst_was_away",
                  missed=app_state().settings.missed_calls_to_away)
            analyst.away_notice = False
        ask_analyst_menu(response, 1)
    elif attempt >= MAX_TRIES or analyst is None:
        goodbye(response)
    else:
        speaker().ask(response, "voice.analyst_pin", ["analyst_pin_wrong", "analyst_pin_ask"],
                      attempt + 1, num_digits=None, speech=False, finish_on_key="#", timeout=5)
    db().commit()
    return twiml(response)


def ask_analyst_menu(response: VoiceResponse, attempt: int, before=()) -> None:
    """1 available, 2 unavailable, 3 callbacks waiting, 9 end."""
    speaker().ask(response, "voice.analyst_menu", [*before, "analyst_menu"], attempt,
                  speech=False)


@bp.post("/analyst/menu")
def analyst_menu():
    """The analyst's choice; only for a call that passed the PIN."""
    call = begin_call()
    ended = too_long(call)
    if ended:
        return twiml(ended)
    response = VoiceResponse()
    analyst = db().get("analysts", call.analyst_id)
    if analyst is None:
        goodbye(response)
        return twiml(response)
    attempt = attempt_number()
    digits, _speech = heard(request)
    choice = digits[:1]
    s = speaker()
    if choice in ("1", "2"):
        set_analyst_status(db(), analyst, "available" if choice == "1" else "unavailable", now())
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
    db().commit()
    return twiml(response)
