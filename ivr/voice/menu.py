"""Answering a call: greeting, open or closed, the main menu, status callbacks, fallback URL."""

from __future__ import annotations

from flask import request

from ivr.domain import speech_intents
from ivr.domain.business_hours import OpenStatus
from ivr.domain.spanish_dates import describe_moment
from ivr.services.calls import CallParams, apply_status
from ivr.services.cases import next_report_seq
from ivr.services.directory import who_is_calling
from ivr.voice import bp
from ivr.voice import fallback as fb
from ivr.voice.analyst import offer_analyst_menu
from ivr.voice.common import begin_call, call_arg_case_id, schedule, too_long
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.twiml import MAX_TRIES, VoiceResponse, attempt_number, heard, no_content, twiml
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
def incoming():
    """Voice URL: greet the caller, say whether we are open, offer the menu."""
    call = begin_call()
    ended = too_long(call)
    if ended:
        return twiml(ended)
    contact, analyst_id = who_is_calling(db(), call.from_number)
    if contact and call.contact_id != contact.contact_id:
        call.contact_id = contact.contact_id
    response = VoiceResponse()
    if contact is None and analyst_id is not None:
        offer_analyst_menu(response)
        db().commit()
        return twiml(response)
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
    db().commit()
    return twiml(response)


@bp.post("/menu")
def menu():
    """The caller's menu choice, by key or by voice; bounded retries, then a default."""
    call = begin_call()
    ended = too_long(call)
    if ended:
        return twiml(ended)
    attempt = attempt_number()
    digits, speech = heard(request)
    choice = digits[:1] if digits else speech_intents.menu_choice(speech)
    is_open = schedule().is_open(now())
    response = VoiceResponse()
    if choice == "*" or (choice is None and request.args.get("again") and attempt == 1
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
    db().commit()
    return twiml(response)


def go_case_lookup(response: VoiceResponse, is_open: bool) -> None:
    """Option 1: the caller has a case number."""
    response.redirect(url_for("voice.case_start"), method="POST")


def go_report(response: VoiceResponse, is_open: bool) -> None:
    """Option 2: report a new fault (the URL names the report, so replays find its case)."""
    seq = next_report_seq(db(), request.form.get("CallSid", "")[:64])
    response.redirect(url_for("voice.report_start", r=seq), method="POST")


def go_person(response: VoiceResponse, is_open: bool, case_id: int | None = None) -> None:
    """Option 0: an analyst while open; out of hours, the emergency question first."""
    args = {"c": case_id} if case_id else {
        "r": next_report_seq(db(), request.form.get("CallSid", "")[:64])}
    if is_open:
        response.redirect(url_for("voice.connect_start", **args), method="POST")
    else:
        speaker().ask(response, "voice.emergency_confirm", ["emergency_confirm"], 1,
                      hints="yes_no", **args)


MENU_ACTIONS = {"1": go_case_lookup, "2": go_report, "0": go_person}


@bp.post("/emergency-confirm")
def emergency_confirm():
    """Out of hours: put the caller through to the emergency phones only when it is one."""
    call = begin_call()
    ended = too_long(call)
    if ended:
        return twiml(ended)
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
    db().commit()
    return twiml(response)


@bp.post("/status")
def status():
    """Status callback of the call: the status only moves forward."""
    form = request.form
    raw_seq = form.get("SequenceNumber") or ""
    raw_duration = form.get("CallDuration") or ""
    if form.get("CallSid"):
        apply_status(
            db(), CallParams.from_form(form),
            int(raw_seq) if raw_seq.isascii() and raw_seq.isdigit() and len(raw_seq) < 9 else None,
            int(raw_duration) if raw_duration.isascii() and raw_duration.isdigit()
            and len(raw_duration) < 9 else None,
            now(),
        )
        db().commit()
    return no_content()


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
