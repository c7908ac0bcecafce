"""Menu 2, a new fault (rules 2, 3, 5): the case exists from the first step, nothing is lost."""

from __future__ import annotations

from flask import request

from ivr.domain import speech_intents
from ivr.domain.statuses import CallOutcome, RecordingKind
from ivr.services import reports
from ivr.services.callbacks import first_due_time, schedule_callback
from ivr.services.calls import change_call
from ivr.services.cases import (
    RECORDING_IN_PROGRESS,
    next_report_seq,
    open_case,
)
from ivr.services.company_match import company_names
from ivr.services.directory import find_contact
from ivr.store.tx import Rec
from ivr.voice.blueprint import bp
from ivr.voice.common import (
    ask_recording,
    case_arg,
    goodbye,
    hung_up,
    int_arg,
    is_open,
    promise_callback,
    refused_sms,
    say_case_number,
    schedule,
    sms_offer,
    store_recording,
    webhook,
)
from ivr.voice.context import db, now, speaker
from ivr.voice.twiml import MAX_TRIES, VoiceResponse, attempt_number
from ivr.voice.urls import url_for

SPEECH_TRIES_BEFORE_RECORDING = 2
CALLBACK_NUMBER_TRIES = 2  # a keyed number we cannot call is asked again once


def start_case(call: Rec, seq: int | None) -> Rec:
    """Open (or find again, on a replay) the case of this report."""
    tx = db()
    seq = seq or next_report_seq(tx, call.call_sid)
    contact = find_contact(tx, call.from_number)
    case = open_case(tx, call.call_sid, seq, call.from_number, contact,
                     not is_open(), now(), due_at=first_due_time(schedule(), contact, now()))
    change_call(tx, call, case_id=case.id)
    if case.due_at is None:
        case = schedule_callback(tx, schedule(), case, now())
    return case




@bp.post("/report")
@webhook
def report_start(call: Rec):
    """First step: the case and its number, then who is calling."""
    case = start_case(call, int_arg("r"))
    response = VoiceResponse()
    speaker().say(response, "report_intro")
    say_case_number(response, case)
    if case.contact_id is not None:
        speaker().say(response, "report_known_contact", name=case.caller_name or "",
                      company=case.company_name or "")
        next_after_identity(response, case)
    else:
        ask_field(response, case, 0, 1)
    return response


def ask_field(response: VoiceResponse, case: Rec, index: int, attempt: int, before=()) -> None:
    """Ask one identification question by voice."""
    field, prompt, _column = reports.FIELDS[index]
    # The company question hears the registered names better with them as hints.
    hints = company_names(db()).hints if field == RecordingKind.COMPANY else None
    speaker().ask(response, "voice.report_field", [*before, prompt], attempt, num_digits=None,
                  speech=True, hint_words=hints or None, f=field, c=case.id)


def record_field(response: VoiceResponse, case: Rec, index: int) -> None:
    """Speech failed twice: a short recording keeps the answer for the analyst."""
    field = reports.FIELDS[index][0]
    speaker().say(response, "report_record_fallback")
    action = url_for("voice.report_field_recorded", f=field, c=case.id)
    response.record(action=action, method="POST", max_length=10, timeout=4, finish_on_key="#",
                    play_beep=True, trim="trim-silence",
                    recording_status_callback=url_for("voice.recording_status", c=case.id,
                                                      k=field),
                    recording_status_callback_method="POST")
    response.redirect(action, method="POST")


def after_field(response: VoiceResponse, case: Rec, index: int) -> None:
    """Go to the next identification question, or on to the e-mail."""
    if index + 1 < len(reports.FIELDS):
        ask_field(response, case, index + 1, 1)
    else:
        ask_email(response, case)


@bp.post("/report/field")
@webhook
def report_field(call: Rec):
    """Company, name or cargo, by speech; a short recording when speech fails twice."""
    case = case_arg()
    field = request.args.get("f", "")
    if case is None or field not in reports.FIELD_INDEX:
        return lost_report()
    index = reports.FIELD_INDEX[field]
    attempt = attempt_number()
    _digits, speech = reports.heard(request.form)
    response = VoiceResponse()
    if speech:
        reports.store_field(db(), case, field, speech, now())
        after_field(response, case, index)
    elif hung_up():
        pass
    elif attempt >= SPEECH_TRIES_BEFORE_RECORDING:
        record_field(response, case, index)
    else:
        ask_field(response, case, index, attempt + 1, before=["not_understood"])
    return response


@bp.post("/report/field-recorded")
@webhook(bounded=False)
def report_field_recorded(call: Rec):
    """The recorded answer to an identification question: keep it, go on."""
    case = case_arg()
    field = request.args.get("f", "")
    if case is None or field not in reports.FIELD_INDEX:
        return lost_report()
    store_recording(case, field)
    response = VoiceResponse()
    if not hung_up():
        after_field(response, case, reports.FIELD_INDEX[field])
    return response




def ask_email(response: VoiceResponse, case: Rec) -> None:
    """The optional e-mail: said, or skipped with # or silence."""
    if case.email:
        ask_callback(response, case, 1)
        return
    speaker().ask(response, "voice.report_email", ["report_email_ask"], 1, num_digits=None,
                  finish_on_key="#", c=case.id)




@bp.post("/report/email")
@webhook(bounded=False)
def report_email(call: Rec):
    """Store the e-mail when it sounds like one; never insist (it is optional)."""
    case = case_arg()
    if case is None:
        return lost_report()
    _digits, speech = reports.heard(request.form)
    reports.store_email(db(), case, speech, now())
    response = VoiceResponse()
    if not hung_up():
        ask_callback(response, case, 1)
    return response


def next_after_identity(response: VoiceResponse, case: Rec) -> None:
    """After who is calling: the e-mail (unless known), then the callback number."""
    ask_email(response, case)


def ask_callback(response: VoiceResponse, case: Rec, attempt: int, before=()) -> None:
    """Same number (when we have one) or another?"""
    if case.caller_number:
        speaker().ask(response, "voice.report_callback", [*before, "report_callback_same"],
                      attempt, hints="yes_no", c=case.id)
    else:
        ask_callback_number(response, case, attempt, before)


def ask_callback_number(response: VoiceResponse, case: Rec, attempt: int, before=()) -> None:
    """Key the number to call back, # to finish."""
    speaker().ask(response, "voice.report_callback_number", [*before, "report_callback_ask"],
                  attempt, num_digits=None, speech=False, finish_on_key="#", timeout=10,
                  c=case.id)


@bp.post("/report/callback")
@webhook(bounded=False)
def report_callback(call: Rec):
    """1: call back on the caller ID; 2: key another number."""
    case = case_arg()
    if case is None:
        return lost_report()
    attempt = attempt_number()
    digits, speech = reports.heard(request.form)
    answer = reports.callback_answer(digits, speech)
    response = VoiceResponse()
    if hung_up():
        pass
    elif answer is True:
        reports.call_back_on_caller_id(db(), case, now())
        ask_severity(response, case, 1)
    elif answer is False:
        ask_callback_number(response, case, 1)
    elif attempt >= MAX_TRIES:
        # Not understood three times: the caller ID is the best number we have.
        reports.call_back_on_caller_id(db(), case, now())
        ask_severity(response, case, 1)
    else:
        ask_callback(response, case, attempt + 1,
                     ["not_understood" if (digits or speech) else "no_input"])
    return response


@bp.post("/report/callback-number")
@webhook(bounded=False)
def report_callback_number(call: Rec):
    """A keyed phone number, validated; then an optional extension."""
    case = case_arg()
    if case is None:
        return lost_report()
    attempt = attempt_number()
    digits, _speech = reports.heard(request.form)
    response = VoiceResponse()
    if hung_up():
        pass
    elif reports.store_callback_number(db(), case, digits, now()):
        speaker().ask(response, "voice.report_extension", ["report_extension_ask"], 1,
                      num_digits=None, speech=False, finish_on_key="#", timeout=5, c=case.id)
    elif (digits and attempt >= CALLBACK_NUMBER_TRIES) or attempt >= MAX_TRIES:
        # A number we cannot call (foreign, premium, satellite…) is asked again once, then
        # refused: the case keeps the caller ID, when there is one.
        if case.caller_number:
            reports.call_back_on_caller_id(db(), case, now())
        refused = "report_callback_refused" if case.caller_number else \
            "report_callback_refused_no_caller_id"
        ask_severity(response, case, 1, before=[refused if digits else "too_many_tries"])
    else:
        ask_callback_number(response, case, attempt + 1,
                            ["report_callback_invalid" if digits else "no_input"])
    return response


@bp.post("/report/extension")
@webhook(bounded=False)
def report_extension(call: Rec):
    """The optional extension (digits, # or silence to skip)."""
    case = case_arg()
    if case is None:
        return lost_report()
    digits, _speech = reports.heard(request.form)
    reports.store_extension(db(), case, digits, now())
    response = VoiceResponse()
    if not hung_up():
        ask_severity(response, case, 1)
    return response


def ask_severity(response: VoiceResponse, case: Rec, attempt: int, before=()) -> None:
    """How bad is it: 1 stopped, 2 partly affected, 3 a question."""
    speaker().ask(response, "voice.report_severity", [*before, "report_severity_ask"], attempt,
                  hints="severity", c=case.id)


@bp.post("/report/severity")
@webhook(bounded=False)
def report_severity(call: Rec):
    """Store the severity, then record the description."""
    case = case_arg()
    if case is None:
        return lost_report()
    attempt = attempt_number()
    digits, speech = reports.heard(request.form)
    severity = reports.severity_answer(digits, speech)
    response = VoiceResponse()
    if hung_up():
        pass
    elif severity is not None or attempt >= MAX_TRIES:
        if severity is not None:
            case = reports.store_severity(db(), schedule(), case, severity, now())
        ask_description(response, case)
    else:
        ask_severity(response, case, attempt + 1,
                     ["not_understood" if (digits or speech) else "no_input"])
    return response


def ask_description(response: VoiceResponse, case: Rec) -> None:
    """Record the fault: equipment, program and what they were doing (rule 3)."""
    ask_recording(response, "report_description_ask", "voice.report_recorded", case,
                  RecordingKind.DESCRIPTION)


@bp.post("/report/recorded")
@webhook(bounded=False)
def report_recorded(call: Rec):
    """The description's Record action (also after a hangup): the report is complete."""
    case = case_arg()
    if case is None:
        return lost_report()
    got_recording = store_recording(case, RecordingKind.DESCRIPTION)
    case = reports.finish_report(db(), schedule(), case, now())
    response = VoiceResponse()
    if not hung_up():
        if not got_recording:
            speaker().say(response, "report_no_recording")
        say_case_number(response, case, "report_done")
        after_report(response, case, already_queued=call.outcome == CallOutcome.CALLBACK)
    return response


def after_report(response: VoiceResponse, case: Rec, already_queued: bool = False) -> None:
    """In hours: put the caller through (rule 4). Closed, or nobody free: the callback promise."""
    if is_open() and not already_queued:
        response.redirect(url_for("voice.connect_start", c=case.id), method="POST")
        return
    promise_callback(response, case)
    speaker().ask(response, "voice.report_after", ["report_repeat_number", *sms_offer(case)], 1,
                  c=case.id)




@bp.post("/report/after")
@webhook(bounded=False)
def report_after(call: Rec):
    """After the report: hear the number again, or back to the menu, or goodbye."""
    case = case_arg()
    if case is None:
        return lost_report()
    attempt = attempt_number()
    digits, speech = reports.heard(request.form)
    choice = digits[:1] if digits else after_choice(speech)
    response = VoiceResponse()
    if choice == "1" or choice == "*":
        say_case_number(response, case)
        if attempt < MAX_TRIES:
            speaker().ask(response, "voice.report_after", ["report_repeat_number"],
                          attempt + 1, c=case.id)
        else:
            goodbye(response)
    elif choice == "2":
        response.redirect(url_for("voice.menu", t=1, again=1), method="POST")
    elif choice == "9" and refused_sms(response, case):
        goodbye(response)
    else:
        goodbye(response)
    return response


def after_choice(speech: str) -> str | None:
    """A spoken answer after the report: "menú" means the menu (2), as the prompt says."""
    if "menu" in speech.lower().replace("ú", "u"):
        return "2"
    return speech_intents.menu_choice(speech)




def lost_report() -> VoiceResponse:
    """A report step without its case (a URL we never made): back to the menu."""
    response = VoiceResponse()
    speaker().say(response, "not_understood")
    response.redirect(url_for("voice.menu", t=1, again=1), method="POST")
    return response


@bp.post("/recording-status")
@webhook(call=False)
def recording_status():
    """recordingStatusCallback: completed, failed or absent; any order, any number of times."""
    form = request.form
    status = (form.get("RecordingStatus") or "")[:12]
    if status:
        case = case_arg()
        reports.store_recording(db(), form, case.id if case else None,
                                (request.args.get("k") or "")[:16] or None, now(),
                                reports.recording_status(form) or RECORDING_IN_PROGRESS)
