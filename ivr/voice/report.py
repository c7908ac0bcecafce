"""Menu 2, a new fault (rules 2, 3, 5): the case exists from the first step, nothing is lost.

The questions and their order are ivr/voice/intake.py's: short (the company, then what the
fault is and how bad, then put through) with an analyst free in hours, else the full intake.
"""

from __future__ import annotations

from flask import request

from ivr.domain import speech_intents
from ivr.domain.statuses import CallOutcome, RecordingKind
from ivr.services import reports
from ivr.services.cases import RECORDING_IN_PROGRESS
from ivr.store.tx import Rec
from ivr.voice.blueprint import bp
from ivr.voice.common import (
    case_arg,
    goodbye,
    hung_up,
    int_arg,
    refused_sms,
    say_case_number,
    schedule,
    store_recording,
    webhook,
)
from ivr.voice.context import db, now, speaker
from ivr.voice.intake import (
    CALLBACK,
    EMAIL,
    TRIAGE,
    after_report,
    ask_callback,
    ask_callback_number,
    ask_field,
    ask_triage,
    begin_report,
    continue_intake,
    record_field,
    resume_report,
)
from ivr.voice.twiml import MAX_TRIES, VoiceResponse, attempt_number
from ivr.voice.urls import url_for

SPEECH_TRIES_BEFORE_RECORDING = 2
CALLBACK_NUMBER_TRIES = 2  # a keyed number we cannot call is asked again once


@bp.post("/report")
@webhook
def report_start(call: Rec):
    """First step: the case, then the first question (short or full)."""
    response = VoiceResponse()
    begin_report(response, call, int_arg("r"))
    return response


@bp.post("/report/resume")
@webhook
def report_resume(call: Rec):
    """Nobody took the call: the case number, then what the case has no answer to yet."""
    case = case_arg()
    if case is None:
        return lost_report()
    response = VoiceResponse()
    resume_report(response, call, case)
    return response


def short_arg() -> bool:
    """Whether this step belongs to a short report (an analyst was free)."""
    return request.args.get("s") == "1"


@bp.post("/report/field")
@webhook
def report_field(call: Rec):
    """Company, name or cargo, by speech; a short recording when speech fails twice."""
    case = case_arg()
    field = request.args.get("f", "")
    if case is None or field not in reports.FIELD_INDEX:
        return lost_report()
    attempt = attempt_number()
    _digits, speech = reports.heard(request.form)
    response = VoiceResponse()
    if speech:
        reports.store_field(db(), case, field, speech, now())
        case = case.replace(**{reports.FIELDS[reports.FIELD_INDEX[field]][2]: speech[:120]})
        continue_intake(response, call, case, field, short_arg())
    elif hung_up():
        pass
    elif attempt >= SPEECH_TRIES_BEFORE_RECORDING:
        record_field(response, case, field, short_arg())
    else:
        ask_field(response, case, field, short_arg(), attempt + 1, before=["not_understood"])
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
        continue_intake(response, call, case, field, short_arg())
    return response


@bp.post("/report/email")
@webhook(bounded=False)
def report_email(call: Rec):
    """Store the e-mail when it sounds like one, and read it back; never insist (optional)."""
    case = case_arg()
    if case is None:
        return lost_report()
    _digits, speech = reports.heard(request.form)
    stored = reports.store_email(db(), case, speech, now())
    response = VoiceResponse()
    if not hung_up():
        if stored:
            speaker().say(response, "report_email_heard",
                          email=reports.spoken_address(reports.spoken_email(speech)))
        elif speech:
            speaker().say(response, "report_email_not_understood")
        continue_intake(response, call, case, EMAIL, False)
    return response


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
    elif answer is True or (answer is None and attempt >= MAX_TRIES):
        # Not understood three times: the caller ID is the best number we have.
        reports.call_back_on_caller_id(db(), case, now())
        continue_intake(response, call, case, CALLBACK, False)
    elif answer is False:
        ask_callback_number(response, case, 1)
    else:
        ask_callback(response, case, False,
                     ["not_understood" if (digits or speech) else "no_input"], attempt + 1)
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
        continue_intake(response, call, case, CALLBACK, False,
                        before=[refused if digits else "too_many_tries"])
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
        continue_intake(response, call, case, CALLBACK, False)
    return response


@bp.post("/report/severity")
@webhook(bounded=False)
def report_severity(call: Rec):
    """What the fault is about and how bad it is, in one answer: the words (area, severity
    and the words themselves, for the whisper) or a key 1, 2, 3."""
    case = case_arg()
    if case is None:
        return lost_report()
    attempt = attempt_number()
    digits, speech = reports.heard(request.form)
    response = VoiceResponse()
    if hung_up():
        return response
    triaged = reports.store_triage(db(), schedule(), case, digits, speech, now())
    if triaged is not None or attempt >= MAX_TRIES:
        continue_intake(response, call, triaged or case, TRIAGE, short_arg())
    else:
        ask_triage(response, case, short_arg(),
                   ["not_understood" if (digits or speech) else "no_input"], attempt + 1)
    return response


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
        after_report(response, call, case, already_queued=call.outcome == CallOutcome.CALLBACK)
    return response


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
