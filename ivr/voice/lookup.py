"""Menu 1, a returning caller (rules 6, 7): find the case by keyed or spoken number."""

from __future__ import annotations

from flask import request

from ivr.domain import speech_intents
from ivr.domain.case_numbers import CaseNumberCheck, check_case_number, spoken_digits
from ivr.domain.spanish_dates import (
    describe_day,
    describe_deadline,
    describe_moment,
    describe_money,
)
from ivr.domain.spoken_numbers import digits_from_speech
from ivr.domain.statuses import RecordingKind
from ivr.services.calls import change_call
from ivr.services.cases import (
    find_case,
    next_report_seq,
    open_cases_of_caller,
    update_case,
    view_for_caller,
)
from ivr.services.guesses import case_misses, case_number_missed
from ivr.store.tx import Rec
from ivr.voice.blueprint import bp
from ivr.voice.common import (
    ask_recording,
    case_arg,
    go_person,
    goodbye,
    goodbye_response,
    hung_up,
    is_open,
    store_recording,
    webhook,
)
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.hunt import put_through
from ivr.voice.intake import begin_report
from ivr.voice.twiml import MAX_TRIES, VoiceResponse, attempt_number, heard
from ivr.voice.urls import url_for


@bp.post("/case")
@webhook
def case_start(call: Rec):
    """A known caller with one open case is asked about it first; others key the number."""
    response = VoiceResponse()
    cases = open_cases_of_caller(db(), call.from_number, limit=2)
    if len(cases) == 1:
        speaker().ask(response, "voice.case_confirm", [offer_words(cases[0])], 1,
                      hints="yes_no", c=cases[0].id)
    else:
        ask_number(response, 1)
    return response


@bp.post("/case/confirm")
@webhook(bounded=False)
def case_confirm(call: Rec):
    """Yes: that case. No: key another."""
    case = case_arg()
    attempt = attempt_number()
    digits, speech = heard(request)
    answer = {"1": True, "2": False}.get(digits[:1]) if digits else speech_intents.yes_no(speech)
    response = VoiceResponse()
    if case is not None and answer is True:
        # Offered by caller ID only (a hint, never a credential): its status and nothing more;
        # the number, the visit and the options need the number said by the caller.
        speaker().say(response, f"case_status_{case.status}")
        ask_number(response, 1, prompt="case_ask_details")
    elif case is None or answer is False or attempt >= MAX_TRIES:
        ask_number(response, 1)
    else:
        speaker().ask(response, "voice.case_confirm",
                      ["not_understood" if (digits or speech) else "no_input",
                       offer_words(case)], attempt + 1, hints="yes_no", c=case.id)
    return response


def offer_words(case: Rec) -> tuple[str, dict]:
    """'¿Llama por su caso abierto el lunes…?': the day it was opened, never its number."""
    return "case_offer_known", {"when": describe_day(case.created_at, now())}


def ask_number(response: VoiceResponse, attempt: int, before=(), prompt="case_ask") -> None:
    """Ask for the case number: keys ending in #, or said aloud."""
    speaker().ask(response, "voice.case_number", [*before, prompt], attempt, num_digits=None,
                  finish_on_key="#", hints="case_number", timeout=8)


@bp.post("/case/number")
@webhook
def case_number(call: Rec):
    """Check the number (Damm digit first), look it up, or ask again; then offer a new report."""
    attempt = attempt_number()
    digits, speech = heard(request)
    number = digits if digits else (digits_from_speech(speech) or "")
    check = check_case_number(number)
    response = VoiceResponse()
    if digits == "0":
        person(response, call)  # offered after a status told by caller ID
        return response
    case = None
    if check is CaseNumberCheck.OK:
        # Guessing is bounded: misses per call, then per caller ID a day (a hit on a stranger's
        # number would tell its status); nobody is locked out of help, they reach a person.
        settings = app_state().settings
        in_call, today = case_misses(db(), call.call_sid, call.from_number, now())
        if today >= settings.case_misses_per_day:
            speaker().say(response, "case_lookup_person")
            person(response, call)
            return response
        if in_call >= settings.case_misses_per_call:
            offer_person_or_report(response)
            return response
        case = find_case(db(), number)
        if case is None:
            case_number_missed(db(), call.call_sid, call.from_number, now(), today,
                               settings.case_misses_per_day)
            if in_call + 1 >= settings.case_misses_per_call:
                speaker().say(response, "case_not_found", digits=spoken_digits(number))
                offer_person_or_report(response)
                return response
    if case is not None:
        change_call(db(), call, case_id=case.id)
        say_status(response, case, call.from_number)
    elif attempt >= MAX_TRIES:
        speaker().say(response, "case_give_up")
        begin_report(response, call, next_report_seq(db(), call.call_sid))
    elif check is CaseNumberCheck.EMPTY:
        ask_number(response, attempt + 1, ["not_understood" if speech else "no_input"])
    elif check is CaseNumberCheck.OK:
        ask_number(response, attempt + 1,
                   [("case_not_found", {"digits": spoken_digits(number)})])
    else:
        # A wrong check digit is caught before any lookup; the keypad is more reliable.
        ask_number(response, attempt + 1, prompt="case_invalid_keypad")
    return response


def offer_person_or_report(response: VoiceResponse) -> None:
    """No more lookups in this call: a person (0) or a new report (2), through the menu."""
    speaker().ask(response, "voice.menu", ["case_lookup_limit"], 1, hints="menu")


def person(response: VoiceResponse, call: Rec, case: Rec | None = None) -> None:
    """A person: open, an analyst rung at once (for the case, or a new one); closed, the
    emergency question first."""
    if is_open():
        put_through(response, call, case)
    else:
        go_person(response, False, case_id=case.id if case else None)


def status_words(case: Rec, caller: str | None) -> str:
    """The case's status, visit and callback, as this caller may hear them."""
    s = speaker()
    view = view_for_caller(db(), case, caller)
    parts = [s.text("case_found", digits=spoken_digits(view.number)),
             s.text(f"case_status_{view.status}")]
    if view.visit_at is not None:
        parts.append(s.text("case_visit", when=describe_moment(view.visit_at, now())))
        if view.visit_cost is not None:
            parts.append(s.text("case_visit_cost", cost=describe_money(view.visit_cost)))
    if view.callback_pending and view.due_at is not None and view.due_at > now():
        parts.append(s.text("case_callback_due", when=describe_deadline(view.due_at, now())))
    return " ".join(parts)



def say_status(response: VoiceResponse, case: Rec, caller: str | None, attempt: int = 1) -> None:
    """Read the status (the visit only to the company's contacts), then the case options."""
    speaker().say_text(response, status_words(case, caller))
    speaker().ask(response, "voice.case_option", ["case_options"], attempt, c=case.id)


@bp.post("/case/option")
@webhook
def case_option(call: Rec):
    """1 add information, 2 a person, 3 the menu, * hear the status again."""
    case = case_arg()
    if case is None:
        return goodbye_response()
    attempt = attempt_number()
    digits, speech = heard(request)
    choice = digits[:1] if digits else option_from_speech(speech)
    response = VoiceResponse()
    if choice == "1":
        ask_addendum(response, case)
    elif choice == "2":
        person(response, call, case)
    elif choice == "3":
        response.redirect(url_for("voice.menu", t=1, again=1), method="POST")
    elif choice == "*":
        say_status(response, case, call.from_number, attempt)
    elif attempt >= MAX_TRIES:
        goodbye(response)
    else:
        speaker().ask(response, "voice.case_option",
                      ["not_understood" if (digits or speech) else "no_input", "case_options"],
                      attempt + 1, c=case.id)
    return response


def option_from_speech(speech: str) -> str | None:
    """Spoken case options: 'agregar información', 'hablar con una persona', 'menú'."""
    text = speech.lower()
    if not text:
        return None
    if "agregar" in text or "información" in text or "informacion" in text:
        return "1"
    if "menú" in text or "menu" in text:
        return "3"
    # The main menu has no option 3, so menu_choice never hears "tres".
    if {"tres", "3"} & set(text.replace(".", " ").replace(",", " ").split()):
        return "3"
    choice = speech_intents.menu_choice(speech)
    return {"0": "2", "1": "1", "2": "2", "*": "*"}.get(choice or "")


def ask_addendum(response: VoiceResponse, case: Rec) -> None:
    """Record more information for the case."""
    ask_recording(response, "addendum_ask", "voice.case_addendum", case,
                  RecordingKind.ADDENDUM)


@bp.post("/case/addendum")
@webhook(bounded=False)
def case_addendum(call: Rec):
    """The addendum's Record action (also after a hangup)."""
    case = case_arg()
    if case is None:
        return goodbye_response()
    saved = store_recording(case, RecordingKind.ADDENDUM)
    if saved:
        update_case(db(), case.id, now())
    response = VoiceResponse()
    if not hung_up():
        if saved:
            speaker().say(response, "addendum_saved", digits=spoken_digits(case.number))
        else:
            speaker().say(response, "addendum_empty")
        speaker().ask(response, "voice.case_option", ["case_options"], 1, c=case.id)
    return response
