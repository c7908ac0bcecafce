"""A new fault's questions, shared by the flows that start a report or pick one up again.

Not a view: it registers no route. With an analyst free in hours the report is *short*: the
company (unless the caller ID gave it) and one question for what the fault is and how bad,
then the caller is put through and the analyst takes the rest live. Otherwise — closed,
nobody free, or nobody answered — the *full* intake asks, in order, what the case does not
hold yet, so a report cut short picks up where it stopped.
"""

from __future__ import annotations

from ivr.domain.statuses import RecordingKind
from ivr.services import reports, routing
from ivr.services.callbacks import first_due_time, schedule_callback
from ivr.services.calls import change_call
from ivr.services.cases import next_report_seq, open_case
from ivr.services.casework import note_forwarding
from ivr.services.company_match import company_names
from ivr.services.directory import find_contact
from ivr.store.tx import Rec
from ivr.voice.common import (
    ask_recording,
    is_open,
    promise_callback,
    say_case_number,
    schedule,
    sms_offer,
)
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.hunt import put_through
from ivr.voice.twiml import VoiceResponse
from ivr.voice.urls import url_for

COMPANY, NAME, POSITION = RecordingKind.COMPANY, RecordingKind.NAME, RecordingKind.POSITION
TRIAGE, EMAIL, CALLBACK, DESCRIPTION = "triage", "email", "callback_number", "description"
FULL = (COMPANY, NAME, POSITION, EMAIL, CALLBACK, TRIAGE, DESCRIPTION)
SHORT = (COMPANY, TRIAGE)  # then put through: the analyst asks the rest live


def start_case(call: Rec, seq: int | None) -> Rec:
    """Open (or find again, on a replay) the case of this report."""
    tx = db()
    seq = seq or next_report_seq(tx, call.call_sid)
    contact = find_contact(tx, call.from_number)
    case = open_case(tx, call.call_sid, seq, call.from_number, contact,
                     not is_open(), now(), due_at=first_due_time(schedule(), contact, now()))
    if call.case_id != case.id:
        change_call(tx, call, case_id=case.id)
        if call.forwarded_from:
            note_forwarding(tx, case, call.forwarded_from,
                            app_state().settings.published_numbers, now())
    if case.due_at is None:
        case = schedule_callback(tx, schedule(), case, now())
    return case


def begin_report(response: VoiceResponse, call: Rec, seq: int | None) -> None:
    """A new fault: short when an analyst is free in hours, else the full intake with the
    case number first (the caller may hang up at any question)."""
    case = start_case(call, seq)
    short = is_open() and routing.anyone_free(db(), now())
    if not short:
        speaker().say(response, "report_intro")
        say_case_number(response, case)
        if case.contact_id is not None:
            speaker().say(response, "report_known_contact", name=case.caller_name or "",
                          company=case.company_name or "")
    continue_intake(response, call, case, None, short)


def resume_report(response: VoiceResponse, call: Rec, case: Rec) -> None:
    """Nobody took the call (or the caller chose a callback): the number, then the rest."""
    say_case_number(response, case)
    continue_intake(response, call, case, None, False)


def filled(case: Rec, step: str) -> bool:
    """Whether the case holds the answer to a step already."""
    return {
        COMPANY: bool(case.company_name or case.company_id),
        NAME: bool(case.caller_name),
        POSITION: bool(case.caller_position),
        EMAIL: bool(case.email),
        CALLBACK: bool(case.callback_number),
        TRIAGE: reports.triage_given(case),
    }.get(step, False)


def continue_intake(response: VoiceResponse, call: Rec, case: Rec, after: str | None,
                    short: bool, before=()) -> None:
    """Ask the next question the case has no answer to (after `after`); a short report whose
    questions are done puts the caller through."""
    order = SHORT if short else FULL
    start = order.index(after) + 1 if after in order else 0
    for step in order[start:]:
        if not filled(case, step):
            ASK[step](response, case, short, before)
            return
    if short:
        if before:
            for prompt in before:
                speaker().say(response, prompt)
        put_through(response, call, case)


def url_args(case: Rec, short: bool, **args) -> dict:
    """The arguments a question's URL carries: the case, and `s` on a short report."""
    return {**args, "c": case.id, **({"s": 1} if short else {})}


def ask_field(response: VoiceResponse, case: Rec, field: str, short: bool, attempt: int = 1,
              before=()) -> None:
    """Ask one identification question by voice."""
    prompt = reports.FIELDS[reports.FIELD_INDEX[field]][1]
    # The company question hears the registered names better with them as hints.
    hints = company_names(db()).hints if field == COMPANY else None
    speaker().ask(response, "voice.report_field", [*before, prompt], attempt, num_digits=None,
                  speech=True, hint_words=hints or None, **url_args(case, short, f=field))


def record_field(response: VoiceResponse, case: Rec, field: str, short: bool) -> None:
    """Speech failed twice: a short recording keeps the answer for the analyst."""
    speaker().say(response, "report_record_fallback")
    action = url_for("voice.report_field_recorded", **url_args(case, short, f=field))
    response.record(action=action, method="POST", max_length=10, timeout=4, finish_on_key="#",
                    play_beep=True, trim="trim-silence",
                    recording_status_callback=url_for("voice.recording_status", c=case.id,
                                                      k=field),
                    recording_status_callback_method="POST")
    response.redirect(action, method="POST")


def ask_email(response: VoiceResponse, case: Rec, short: bool = False, before=()) -> None:
    """The optional e-mail: said, or skipped with # or silence."""
    speaker().ask(response, "voice.report_email", [*before, "report_email_ask"], 1,
                  num_digits=None, finish_on_key="#", c=case.id)


def ask_callback(response: VoiceResponse, case: Rec, short: bool = False, before=(),
                 attempt: int = 1) -> None:
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


def ask_triage(response: VoiceResponse, case: Rec, short: bool, before=(),
               attempt: int = 1) -> None:
    """One question for what the fault is about and how bad it is: words, or 1, 2, 3."""
    speaker().ask(response, "voice.report_severity", [*before, "report_triage_ask"], attempt,
                  num_digits=1, hints="severity", **url_args(case, short))


def ask_description(response: VoiceResponse, case: Rec, short: bool = False,
                    before=()) -> None:
    """Record the fault: equipment, program and what they were doing (rule 3)."""
    for prompt in before:
        speaker().say(response, prompt)
    ask_recording(response, "report_description_ask", "voice.report_recorded", case,
                  RecordingKind.DESCRIPTION)


ASK = {
    COMPANY: lambda response, case, short, before: ask_field(response, case, COMPANY, short,
                                                             before=before),
    NAME: lambda response, case, short, before: ask_field(response, case, NAME, short,
                                                          before=before),
    POSITION: lambda response, case, short, before: ask_field(response, case, POSITION, short,
                                                              before=before),
    EMAIL: ask_email,
    CALLBACK: ask_callback,
    TRIAGE: ask_triage,
    DESCRIPTION: ask_description,
}


def after_report(response: VoiceResponse, call: Rec, case: Rec,
                 already_queued: bool = False) -> None:
    """In hours: put the caller through at once (rule 4). Closed, or nobody answered: the
    callback promise."""
    if is_open() and not already_queued:
        put_through(response, call, case)
        return
    promise_callback(response, case)
    speaker().ask(response, "voice.report_after", ["report_repeat_number", *sms_offer(case)], 1,
                  c=case.id)
