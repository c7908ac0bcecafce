"""Answering a call: greeting, open or closed, the main menu, status callbacks, fallback URL."""

from __future__ import annotations

from flask import request

from ivr.domain import speech_intents
from ivr.domain.statuses import FINAL_CALL_STATUSES
from ivr.services import greeting, hold, notices
from ivr.services.calls import change_call, record_status_callback
from ivr.services.cases import report_seq_for_menu
from ivr.services.directory import find_contact
from ivr.store.tx import Rec
from ivr.voice import fallback as fb
from ivr.voice.blueprint import bp
from ivr.voice.common import ANALYST_KEY, ask_pin, call_arg_case_id, go_person, schedule, webhook
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.hunt import put_through
from ivr.voice.intake import begin_report
from ivr.voice.twiml import MAX_TRIES, VoiceResponse, Words, attempt_number, heard
from ivr.voice.urls import url_for


def ask_menu(response: VoiceResponse, attempt: int, is_open: bool, before=(),
             short: bool = False) -> None:
    """The main menu question (the same keys open or closed); `short`: only the keys, after
    a prompt that said what they are for."""
    prompt = "menu_keys" if short else "menu" if is_open else "menu_closed"
    speaker().ask(response, "voice.menu", [*before, prompt], attempt, hints="menu")


@bp.post("/incoming")
@webhook
def incoming(call: Rec):
    """Voice URL: greet the caller, the notices, whether we are open, the menu — all inside
    the menu's Gather, so that a caller who knows the keys need not wait for them."""
    contact = find_contact(db(), call.from_number)
    if contact:
        change_call(db(), call, contact_id=contact.contact_id)
    response = VoiceResponse()
    status = schedule().status(now())
    # A company's switchboard is shared by several contacts: the company is greeted.
    before: list = [("greeting_contact", {"name": contact.name or contact.company_name})
                    if contact else "greeting"]
    before += [Words(text) for text in greeting.before_menu(
        speaker().catalogue, status, notices.current(db(), now()), now())]
    ask_menu(response, 1, status.is_open, before=before)
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
    elif not digits and speech_intents.asks_for_someone(speech):
        # Rule 9: technicians are reached through the centre, with a case. Nobody's name is
        # confirmed (nor denied), no number is ever given.
        ask_menu(response, attempt, is_open, before=["someone_by_name"], short=True)
    elif choice in MENU_ACTIONS:
        MENU_ACTIONS[choice](response, call, is_open)
    elif attempt >= MAX_TRIES:
        speaker().say(response, "too_many_tries")
        # A caller who cannot use the menu still reaches someone: a person while we are
        # open, a fault report (which leaves a case and a callback) while we are closed.
        MENU_ACTIONS["0" if is_open else "2"](response, call, is_open)
    else:
        ask_menu(response, attempt + 1, is_open,
                 before=["not_understood" if (digits or speech) else "no_input"])
    return response


def go_case_lookup(response: VoiceResponse, call: Rec, is_open: bool) -> None:
    """Option 1: the caller has a case number."""
    response.redirect(url_for("voice.case_start"), method="POST")


def go_report(response: VoiceResponse, call: Rec, is_open: bool) -> None:
    """Option 2: report a new fault, answered here (no round trip through a Redirect)."""
    begin_report(response, call, report_seq_for_menu(db(), call))


def go_someone(response: VoiceResponse, call: Rec, is_open: bool) -> None:
    """Option 0: open, a free analyst at once (the call's case is opened as it rings);
    closed, the emergency question first."""
    if is_open:
        put_through(response, call)
    else:
        go_person(response, is_open)


MENU_ACTIONS = {"1": go_case_lookup, "2": go_report, "0": go_someone}


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
    """Status callback of the call: the status only moves forward; a caller who hung up while
    on hold is recorded as abandoned (the Enqueue's action may never come)."""
    record_status_callback(db(), request.form, now())
    if (request.form.get("CallStatus") or "") in FINAL_CALL_STATUSES:
        hold.call_ended(db(), schedule(), (request.form.get("CallSid") or "")[:64], now())


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
