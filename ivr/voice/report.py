"""Menu 2, a new fault (rules 2, 3, 5): the case exists from the first step, nothing is lost."""

from __future__ import annotations

import re

from flask import request

from ivr.domain import speech_intents
from ivr.domain.case_numbers import spoken_digits
from ivr.domain.phones import parse_keyed_phone
from ivr.domain.spanish_dates import describe_deadline
from ivr.services.callbacks import first_due_time, schedule_callback
from ivr.services.cases import (
    complete_report,
    next_report_seq,
    open_case,
    parse_duration,
    save_recording,
    set_company,
    update_case,
)
from ivr.services.directory import find_contact
from ivr.store.tx import Rec
from ivr.voice import bp
from ivr.voice.common import begin_call, case_arg, hung_up, int_arg, is_open, schedule, too_long
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.twiml import MAX_TRIES, VoiceResponse, attempt_number, heard, no_content, twiml
from ivr.voice.urls import url_for

# The identification questions, in order: (field, prompt, column).
FIELDS = (("company", "report_company_ask", "company_name"),
          ("name", "report_name_ask", "caller_name"),
          ("position", "report_position_ask", "caller_position"))
FIELD_INDEX = {name: i for i, (name, _p, _c) in enumerate(FIELDS)}
SPEECH_TRIES_BEFORE_RECORDING = 2
_EMAIL = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$")
_EMAIL_WORDS = ((" arroba ", "@"), (" punto ", "."), (" guion bajo ", "_"), (" guion ", "-"),
                (" guión bajo ", "_"), (" guión ", "-"))


def start_case(call: Rec, seq: int | None) -> Rec:
    """Open (or find again, on a replay) the case of this report."""
    session = db()
    seq = seq or next_report_seq(session, call.call_sid)
    contact = find_contact(session, call.from_number)
    case = open_case(session, call.call_sid, seq, call.from_number, contact,
                     not is_open(), now(), due_at=first_due_time(schedule(), contact, now()))
    call.case_id = case.id
    if case.due_at is None:
        schedule_callback(session, schedule(), case, now())
    return case


def say_case_number(response, case: Rec, prompt: str = "report_case_number") -> None:
    """Read the case number digit by digit."""
    speaker().say(response, prompt, digits=spoken_digits(case.number))


@bp.post("/report")
def report_start():
    """First step: the case and its number, then who is calling."""
    call = begin_call()
    ended = too_long(call)
    if ended:
        return twiml(ended)
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
    db().commit()
    return twiml(response)


def ask_field(response: VoiceResponse, case: Rec, index: int, attempt: int, before=()) -> None:
    """Ask one identification question by voice."""
    field, prompt, _column = FIELDS[index]
    speaker().ask(response, "voice.report_field", [*before, prompt], attempt, num_digits=None,
                  speech=True, f=field, c=case.id)


def record_field(response: VoiceResponse, case: Rec, index: int) -> None:
    """Speech failed twice: a short recording keeps the answer for the analyst."""
    field = FIELDS[index][0]
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
    if index + 1 < len(FIELDS):
        ask_field(response, case, index + 1, 1)
    else:
        ask_email(response, case)


@bp.post("/report/field")
def report_field():
    """Company, name or cargo, by speech; a short recording when speech fails twice."""
    call = begin_call()
    ended = too_long(call)
    case = case_arg()
    field = request.args.get("f", "")
    if ended or case is None or field not in FIELD_INDEX:
        return twiml(ended or lost_report())
    index = FIELD_INDEX[field]
    attempt = attempt_number()
    _digits, speech = heard(request)
    response = VoiceResponse()
    if speech:
        column = FIELDS[index][2]
        if column == "company_name":
            set_company(db(), case.id, speech, now())
        else:
            update_case(db(), case.id, now(), **{column: speech[:120]})
        after_field(response, case, index)
    elif hung_up():
        pass
    elif attempt >= SPEECH_TRIES_BEFORE_RECORDING:
        record_field(response, case, index)
    else:
        ask_field(response, case, index, attempt + 1, before=["not_understood"])
    db().commit()
    return twiml(response)


@bp.post("/report/field-recorded")
def report_field_recorded():
    """The recorded answer to an identification question: keep it, go on."""
    begin_call()
    case = case_arg()
    field = request.args.get("f", "")
    if case is None or field not in FIELD_INDEX:
        return twiml(lost_report())
    store_recording(case, field)
    response = VoiceResponse()
    if not hung_up():
        after_field(response, case, FIELD_INDEX[field])
    db().commit()
    return twiml(response)


def store_recording(case: Rec, kind: str) -> bool:
    """Save the recording a Record action reports, if there is one."""
    form = request.form
    sid = (form.get("RecordingSid") or "")[:64]
    if not sid:
        return False
    save_recording(db(), sid, (form.get("CallSid") or "")[:64], now(), case_id=case.id,
                   kind=kind, url=(form.get("RecordingUrl") or "")[:500] or None,
                   duration=parse_duration(form.get("RecordingDuration")))
    return True


def ask_email(response: VoiceResponse, case: Rec) -> None:
    """The optional e-mail: said, or skipped with # or silence."""
    if case.email:
        ask_callback(response, case, 1)
        return
    speaker().ask(response, "voice.report_email", ["report_email_ask"], 1, num_digits=None,
                  finish_on_key="#", c=case.id)


def spoken_email(text: str) -> str | None:
    """An e-mail address from speech ("ana punto perez arroba gmail punto com")."""
    lowered = f" {text.lower().strip().rstrip('.')} "
    for words, symbol in _EMAIL_WORDS:
        lowered = lowered.replace(words, symbol)
    candidate = "".join(lowered.split())
    return candidate if _EMAIL.match(candidate) and len(candidate) <= 200 else None


@bp.post("/report/email")
def report_email():
    """Store the e-mail when it sounds like one; never insist (it is optional)."""
    begin_call()
    case = case_arg()
    if case is None:
        return twiml(lost_report())
    _digits, speech = heard(request)
    email = spoken_email(speech) if speech else None
    if email:
        update_case(db(), case.id, now(), email=email)
    response = VoiceResponse()
    if not hung_up():
        ask_callback(response, case, 1)
    db().commit()
    return twiml(response)


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
def report_callback():
    """1: call back on the caller ID; 2: key another number."""
    begin_call()
    case = case_arg()
    if case is None:
        return twiml(lost_report())
    attempt = attempt_number()
    digits, speech = heard(request)
    answer = {"1": True, "2": False}.get(digits[:1]) if digits else speech_intents.yes_no(speech)
    if answer is None and "otro" in speech.lower():
        answer = False  # "a otro número"
    response = VoiceResponse()
    if hung_up():
        pass
    elif answer is True:
        update_case(db(), case.id, now(), callback_number=case.caller_number)
        ask_severity(response, case, 1)
    elif answer is False:
        ask_callback_number(response, case, 1)
    elif attempt >= MAX_TRIES:
        # Not understood three times: the caller ID is the best number we have.
        update_case(db(), case.id, now(), callback_number=case.caller_number)
        ask_severity(response, case, 1)
    else:
        ask_callback(response, case, attempt + 1,
                     ["not_understood" if (digits or speech) else "no_input"])
    db().commit()
    return twiml(response)


@bp.post("/report/callback-number")
def report_callback_number():
    """A keyed phone number, validated; then an optional extension."""
    begin_call()
    case = case_arg()
    if case is None:
        return twiml(lost_report())
    attempt = attempt_number()
    digits, _speech = heard(request)
    number = parse_keyed_phone(digits)
    response = VoiceResponse()
    if hung_up():
        pass
    elif number:
        update_case(db(), case.id, now(), callback_number=number)
        speaker().ask(response, "voice.report_extension", ["report_extension_ask"], 1,
                      num_digits=None, speech=False, finish_on_key="#", timeout=5, c=case.id)
    elif attempt >= MAX_TRIES:
        ask_severity(response, case, 1, before=["too_many_tries"])
    else:
        ask_callback_number(response, case, attempt + 1,
                            ["report_callback_invalid" if digits else "no_input"])
    db().commit()
    return twiml(response)


@bp.post("/report/extension")
def report_extension():
    """The optional extension (digits, # or silence to skip)."""
    begin_call()
    case = case_arg()
    if case is None:
        return twiml(lost_report())
    digits, _speech = heard(request)
    if digits.isascii() and digits.isdigit() and len(digits) <= 10:
        update_case(db(), case.id, now(), callback_extension=digits)
    response = VoiceResponse()
    if not hung_up():
        ask_severity(response, case, 1)
    db().commit()
    return twiml(response)


def ask_severity(response: VoiceResponse, case: Rec, attempt: int, before=()) -> None:
    """How bad is it: 1 stopped, 2 partly affected, 3 a question."""
    speaker().ask(response, "voice.report_severity", [*before, "report_severity_ask"], attempt,
                  hints="severity", c=case.id)


@bp.post("/report/severity")
def report_severity():
    """Store the severity, then record the description."""
    begin_call()
    case = case_arg()
    if case is None:
        return twiml(lost_report())
    attempt = attempt_number()
    digits, speech = heard(request)
    if digits:
        severity = int(digits[:1]) if digits[:1] in ("1", "2", "3") else None
    else:
        severity = speech_intents.severity(speech)
    response = VoiceResponse()
    if hung_up():
        pass
    elif severity is not None or attempt >= MAX_TRIES:
        if severity is not None:
            case.severity = severity
            schedule_callback(db(), schedule(), case, now())
        ask_description(response, case)
    else:
        ask_severity(response, case, attempt + 1,
                     ["not_understood" if (digits or speech) else "no_input"])
    db().commit()
    return twiml(response)


def ask_description(response: VoiceResponse, case: Rec) -> None:
    """Record the fault: equipment, program and what they were doing (rule 3)."""
    speaker().say(response, "report_description_ask")
    action = url_for("voice.report_recorded", c=case.id)
    response.record(
        action=action, method="POST", max_length=app_state().settings.record_max_seconds,
        timeout=6, finish_on_key="#", play_beep=True, trim="trim-silence",
        recording_status_callback=url_for("voice.recording_status", c=case.id, k="description"),
        recording_status_callback_method="POST",
    )
    # No recording at all (silence): Twilio goes on to the next verb.
    response.redirect(action, method="POST")


@bp.post("/report/recorded")
def report_recorded():
    """The description's Record action (also after a hangup): the report is complete."""
    call = begin_call()
    case = case_arg()
    if case is None:
        return twiml(lost_report())
    got_recording = store_recording(case, "description")
    complete_report(db(), case, now())
    schedule_callback(db(), schedule(), case, now())
    response = VoiceResponse()
    if not hung_up():
        if not got_recording:
            speaker().say(response, "report_no_recording")
        say_case_number(response, case, "report_done")
        after_report(response, case, already_queued=call.outcome == "callback")
    db().commit()
    return twiml(response)


def after_report(response: VoiceResponse, case: Rec, already_queued: bool = False) -> None:
    """In hours: put the caller through (rule 4). Closed, or nobody free: the callback promise."""
    if is_open() and not already_queued:
        response.redirect(url_for("voice.connect_start", c=case.id), method="POST")
        return
    promise_callback(response, case)
    speaker().ask(response, "voice.report_after", ["report_repeat_number"], 1, c=case.id)


def promise_callback(response: VoiceResponse, case: Rec) -> None:
    """Tell the caller when a specialist will call back."""
    if case.due_at is not None:
        speaker().say(response, "callback_promise_due", when=describe_deadline(case.due_at, now()))
    else:
        speaker().say(response, "callback_promise")


@bp.post("/report/after")
def report_after():
    """After the report: hear the number again, or back to the menu, or goodbye."""
    begin_call()
    case = case_arg()
    if case is None:
        return twiml(lost_report())
    attempt = attempt_number()
    digits, speech = heard(request)
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
    else:
        goodbye(response)
    db().commit()
    return twiml(response)


def after_choice(speech: str) -> str | None:
    """A spoken answer after the report: "menú" means the menu (2), as the prompt says."""
    if "menu" in speech.lower().replace("ú", "u"):
        return "2"
    return speech_intents.menu_choice(speech)


def goodbye(response: VoiceResponse) -> None:
    """End the call politely."""
    speaker().say(response, "goodbye")
    response.hangup()


def lost_report() -> VoiceResponse:
    """A report step without its case (a URL we never made): back to the menu."""
    response = VoiceResponse()
    speaker().say(response, "not_understood")
    response.redirect(url_for("voice.menu", t=1, again=1), method="POST")
    return response


@bp.post("/recording-status")
def recording_status():
    """recordingStatusCallback: completed, failed or absent; any order, any number of times."""
    form = request.form
    sid = (form.get("RecordingSid") or "")[:64]
    status = (form.get("RecordingStatus") or "")[:12]
    if sid and status:
        case = case_arg()
        save_recording(
            db(), sid, (form.get("CallSid") or "")[:64], now(),
            case_id=case.id if case else None,
            kind=(request.args.get("k") or "")[:16] or None,
            url=(form.get("RecordingUrl") or "")[:500] or None,
            duration=parse_duration(form.get("RecordingDuration")),
            status=status if status in ("completed", "failed", "absent") else "in-progress",
        )
        db().commit()
    return no_content()
