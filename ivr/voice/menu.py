"""Answering a call: greeting, open or closed, the main menu, status callbacks, fallback URL."""

from __future__ import annotations

from flask import request

from ivr.domain import speech_intents
from ivr.domain.business_hours import OpenStatus
from ivr.domain.spanish_dates import describe_moment
from ivr.services.calls import change_call, record_status_callback
from ivr.services.cases import next_report_seq
from ivr.services.directory import find_contact
from ivr.store.tx import Rec
from ivr.voice import fallback as fb
from ivr.voice.blueprint import bp
from ivr.voice.common import ANALYST_KEY, ask_pin, call_arg_case_id, go_person, schedule, webhook
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.twiml import MAX_TRIES, VoiceResponse, attempt_number, heard
from ivr.voice.urls import url_for


def closed_words(status: OpenStatus) -> str:
    """Why the centre is closed and when it opens again, as one spoken sentence."""
    s = speaker()
    reason = s.text(f"closed_{status.reason}", detail=status.detail or "")
    if status.reopens_at is None:
        return reason
    return f"{reason} {s.text('reopens', when=describe_moment(status.reopens_at, now()))}"


def ask_menu(response: VoiceResponse, attempt: int, is_open: bool, before=()) -> None:
    """The main menu question (the same keys open or closed)."""
    speaker().ask(
        response, "voice.menu", [*before, "menu" if is_open else "menu_closed"], attempt,
        hints="menu",
    )


@bp.post("/incoming")
@webhook
def incoming(call: Rec):
    """Voice URL: greet the caller, say whether we are open, offer the menu."""
    contact = find_contact(db(), call.from_number)
    if contact:
        change_call(db(), call, contact_id=contact.contact_id)
    response = VoiceResponse()
    status = schedule().status(now())
    s = speaker()
    if contact:
        s.say(response, "greeting_contact", name=contact.name)
    else:
        s.say(response, "greeting")
    s.say(response, "recording_notice")
    if not status.is_open:
        s.say_text(response, closed_words(status))
    ask_menu(response, 1, status.is_open)
    return response


@bp.post("/menu")
@webhook
def menu(call: Rec):
    """The caller's menu choice, by key or by voice; bounded retries, then a default."""
    attempt = attempt_number()
    digits, speech = heard(request)
    choice = digits[:1] if digits else speech_intents.menu_choice(speech)
    is_open = schedule().is_open(now())
    response = VoiceResponse()
    if digits[:1] == ANALYST_KEY:
        # Not announced: analysts key it from their registered phone. Every caller who keys
        # it hears the same PIN prompt, so the line never tells whose phone is an analyst's.
        ask_pin(response, 1)
    elif choice == "*" or (choice is None and request.args.get("again") and attempt == 1
                         and not (digits or speech)):
        # "*", or coming back to the menu from another flow: the menu, with no reproach.
        ask_menu(response, attempt, is_open)
    elif choice in MENU_ACTIONS:
        MENU_ACTIONS[choice](response, is_open)
    elif attempt >= MAX_TRIES:
        speaker().say(response, "too_many_tries")
        # A caller who cannot use the menu still reaches someone: a person while we are
        # open, a fault report (which leaves a case and a callback) while we are closed.
        MENU_ACTIONS["0" if is_open else "2"](response, is_open)
    else:
        ask_menu(response, attempt + 1, is_open,
                 before=["not_understood" if (digits or speech) else "no_input"])
    return response


def go_case_lookup(response: VoiceResponse, is_open: bool) -> None:
    """Option 1: the caller has a case number."""
    response.redirect(url_for("voice.case_start"), method="POST")


def go_report(response: VoiceResponse, is_open: bool) -> None:
    """Option 2: report a new fault (the URL names the report, so replays find its case)."""
    seq = next_report_seq(db(), request.form.get("CallSid", "")[:64])
    response.redirect(url_for("voice.report_start", r=seq), method="POST")




MENU_ACTIONS = {"1": go_case_lookup, "2": go_report, "0": go_person}


@bp.post("/emergency-confirm")
@webhook
def emergency_confirm(call: Rec):
    """Out of hours: put the caller through to the emergency phones only when it is one."""
    attempt = attempt_number()
    digits, speech = heard(request)
    if digits:
        answer = {"1": True, "2": False}.get(digits[:1])
    else:
        answer = speech_intents.yes_no(speech)
        if answer is None and speech_intents.menu_choice(speech) == "0":
            answer = True  # "es una emergencia"
    response = VoiceResponse()
    is_open = schedule().is_open(now())
    args = call_arg_case_id()
    if answer is True:
        response.redirect(url_for("voice.emergency_start", **args), method="POST")
    elif answer is False:
        ask_menu(response, 1, is_open)
    elif attempt >= MAX_TRIES:
        ask_menu(response, 1, is_open, before=["too_many_tries"])
    else:
        speaker().ask(response, "voice.emergency_confirm",
                      ["not_understood" if (digits or speech) else "no_input",
                       "emergency_confirm"], attempt + 1, hints="yes_no", **args)
    return response


@bp.post("/status")
@webhook(call=False)
def status():
    """Status callback of the call: the status only moves forward."""
    record_status_callback(db(), request.form, now())


@bp.post("/fallback")
def fallback():
    """Fallback URL: no database, straight to the fallback phones."""
    return fb.fallback_answer(speaker(), app_state().settings.fallback_numbers)


@bp.post("/fallback/next")
def fallback_next():
    """After ringing a fallback phone."""
    return fb.fallback_next(speaker(), app_state().settings.fallback_numbers)


@bp.post("/fallback/whisper")
def fallback_whisper():
    """On a fallback phone's leg, before bridging."""
    return fb.fallback_whisper(speaker())


@bp.post("/fallback/accept")
def fallback_accept():
    """The fallback phone's answer to the whisper."""
    return fb.fallback_accept()
