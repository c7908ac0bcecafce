"""Putting the caller through: analysts one at a time, whispers, the emergency phones."""

from __future__ import annotations

from flask import request

from ivr.domain.case_numbers import spoken_digits
from ivr.services import routing
from ivr.services.callbacks import first_due_time, schedule_callback
from ivr.services.cases import complete_report, open_case
from ivr.services.directory import find_contact
from ivr.store.tx import Q, Rec
from ivr.voice import bp
from ivr.voice.common import begin_call, case_arg, hung_up, int_arg, is_open, schedule, too_long
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.report import goodbye, promise_callback, say_case_number, store_recording
from ivr.voice.twiml import VoiceResponse, no_content, twiml
from ivr.voice.urls import url_for

STILL_SEARCHING_TIMEOUT = 3
_ATTEMPT_BY_SEQ = Q("SELECT * FROM dial_attempts WHERE call_sid = :sid AND seq = :seq")
_LEASED_PHONE = Q("SELECT phone FROM analysts WHERE id = :id AND lease_call_sid = :sid")


def case_for_call(call: Rec) -> tuple[Rec, bool]:
    """The case this call is about (rule 9: nobody is put through without one); new or not."""
    case = case_arg()
    if case is None and call.case_id is not None and int_arg("r") is None:
        case = db().get("cases", call.case_id)
    if case is not None:
        call.case_id = case.id
        return case, False
    contact = find_contact(db(), call.from_number)
    seq = int_arg("r") or 1
    case = open_case(db(), call.call_sid, seq, call.from_number, contact, not is_open(), now(),
                     due_at=first_due_time(schedule(), contact, now()))
    call.case_id = case.id
    if case.due_at is None:
        schedule_callback(db(), schedule(), case, now())
    return case, True


def elapsed_ring_seconds(call: Rec) -> int:
    """Seconds since the hunt began."""
    if call.hunt_started_at is None:
        return 0
    return int((now() - call.hunt_started_at).total_seconds())


@bp.post("/connect")
def connect_start():
    """Start looking for a free analyst for the caller's case."""
    return start_hunt("connecting", dial_next_analyst)


def start_hunt(prompt: str, dial_next):
    """Give the call its case (and its number, when new), then ring the first phone."""
    call = begin_call()
    ended = too_long(call)
    if ended:
        return twiml(ended)
    case, new = case_for_call(call)
    response = VoiceResponse()
    if new:
        speaker().say(response, "emergency_ask_case")
        say_case_number(response, case)
    if call.hunt_started_at is None:
        call.hunt_started_at = now()
    speaker().say(response, prompt)
    dial_next(response, call, case)
    db().commit()
    return twiml(response)


def ringing_attempt(call: Rec, callee: str) -> Rec | None:
    """The call's latest leg if it is still ringing (a retried webhook answers the same Dial)."""
    if not call.attempts:
        return None
    attempt = db().row(_ATTEMPT_BY_SEQ, "dial_attempts", sid=call.call_sid, seq=call.attempts)
    if attempt is None or attempt.ended_at is not None or getattr(attempt, callee) is None:
        return None
    return attempt


def dial_next_analyst(response: VoiceResponse, call: Rec, case: Rec) -> None:
    """Ring the next free analyst, or give up to the callback queue."""
    settings = app_state().settings
    ringing = ringing_attempt(call, "analyst_id")
    if ringing is not None:
        phone = db().value(_LEASED_PHONE, id=ringing.analyst_id, sid=call.call_sid)
        if phone is not None:
            dial_leg(response, ringing, phone, "voice.connect_result")
            return
        routing.finish_attempt(ringing, "canceled", now())  # its lease is gone
    if call.attempts >= settings.hunt_max_attempts or \
            elapsed_ring_seconds(call) >= settings.hunt_max_seconds:
        send_to_callback(response, call, case)
        return
    claimed = routing.claim_analyst(db(), call.call_sid, now(), settings.dial_timeout,
                                    prefer=case.assigned_analyst_id)
    if claimed is None:
        send_to_callback(response, call, case)
        return
    attempt = routing.start_attempt(db(), call, case, now(), analyst_id=claimed.analyst_id)
    dial_leg(response, attempt, claimed.phone, "voice.connect_result")


def dial_leg(response: VoiceResponse, attempt: Rec, phone: str, action: str) -> None:
    """One <Dial> with the whispered <Number> of an analyst or emergency phone."""
    settings = app_state().settings
    dial = response.dial(
        action=url_for(action, a=attempt.id), method="POST", timeout=settings.dial_timeout,
        time_limit=settings.dial_time_limit, answer_on_bridge=True,
    )
    dial.number(
        phone, url=url_for("voice.whisper", a=attempt.id), method="POST",
        status_callback=url_for("voice.leg_status", a=attempt.id),
        status_callback_event="initiated ringing answered completed",
        status_callback_method="POST",
    )


def send_to_callback(response: VoiceResponse, call: Rec, case: Rec) -> None:
    """Nobody could take the call: the case waits in the callback queue (rule 4)."""
    call.outcome = call.outcome if call.outcome == "answered" else "callback"
    if case.due_at is None or case.callback_state != "pending":
        schedule_callback(db(), schedule(), case, now())
    speaker().say(response, "nobody_free")
    if case.status == "incomplete":
        # We know nothing of the fault yet: take the report, so the callback is useful.
        response.redirect(url_for("voice.report_start", r=case.origin_seq)
                          if case.origin_call_sid == call.call_sid
                          else url_for("voice.case_option", c=case.id, t=1), method="POST")
        return
    promise_callback(response, case)
    say_case_number(response, case)
    goodbye(response)


def attempt_arg() -> Rec | None:
    """The dial attempt named by the `a` URL argument."""
    return db().get("dial_attempts", int_arg("a"))


@bp.post("/connect/result")
def connect_result():
    """The analyst Dial's action: taken, or release and try the next one."""
    return dial_result("answered", lambda a: f"analyst:{a.analyst_id}",
                       lambda response, call, case: ask_keep_waiting(response, case))


def dial_result(answered: str, answered_by, not_taken):
    """After a whispered Dial: record who took the call, or carry on with `not_taken`."""
    call = begin_call()
    attempt = attempt_arg()
    if attempt is None:
        return twiml(apologise_and_end())
    case = db().get("cases", attempt.case_id)
    outcome = close_leg(call, attempt)
    response = VoiceResponse()
    if outcome == "accepted":
        call.outcome = answered
        call.answered_by = answered_by(attempt)
        goodbye(response)
    elif hung_up():
        call.outcome = call.outcome or "abandoned"
    elif case is None:
        response.hangup()
    else:
        not_taken(response, call, case)
    db().commit()
    return twiml(response)


def close_leg(call: Rec, attempt: Rec) -> str:
    """Record how a leg ended, release its analyst, count misses; idempotent."""
    form = request.form
    outcome = routing.leg_outcome(attempt, (form.get("DialCallStatus") or "")[:16],
                                  (form.get("DialBridged") or "").lower()[:8])
    if outcome in routing.MISSED_OUTCOMES and hung_up():
        outcome = "canceled"  # the caller left before anyone could take it: nobody missed it
    if routing.finish_attempt(attempt, outcome, now()):
        call.ring_seconds += int((now() - attempt.started_at).total_seconds()) \
            if outcome != "accepted" else 0
        if attempt.analyst_id is not None:
            routing.release(db(), attempt.analyst_id, call.call_sid, now())
            if outcome in routing.MISSED_OUTCOMES:
                routing.count_miss(db(), attempt.analyst_id,
                                   app_state().settings.missed_calls_to_away)
    return attempt.outcome


def ask_keep_waiting(response: VoiceResponse, case: Rec) -> None:
    """'Seguimos buscando…': 1 for a callback instead; silence keeps looking."""
    gather = response.gather(input="dtmf", num_digits=1, timeout=STILL_SEARCHING_TIMEOUT,
                             action=url_for("voice.connect_choice", c=case.id), method="POST")
    speaker().say(gather, "still_searching")
    response.redirect(url_for("voice.connect_next", c=case.id), method="POST")


@bp.post("/connect/choice")
def connect_choice():
    """While searching: 1 asks for a callback, anything else keeps looking."""
    call = begin_call()
    case = case_arg()
    if case is None:
        return twiml(apologise_and_end())
    response = VoiceResponse()
    if (request.form.get("Digits") or "")[:1] == "1":
        send_to_callback(response, call, case)
    else:
        dial_next_analyst(response, call, case)
    db().commit()
    return twiml(response)


@bp.post("/connect/next")
def connect_next():
    """Keep looking for an analyst."""
    call = begin_call()
    ended = too_long(call)
    case = case_arg()
    if ended or case is None:
        return twiml(ended or apologise_and_end())
    response = VoiceResponse()
    dial_next_analyst(response, call, case)
    db().commit()
    return twiml(response)


def apologise_and_end() -> VoiceResponse:
    """A step without its record (a URL we never made): end politely."""
    response = VoiceResponse()
    goodbye(response)
    return response


SEVERITY_PROMPTS = {1: "severity_1", 2: "severity_2", 3: "severity_3"}


@bp.post("/whisper")
def whisper():
    """On the callee's leg: who is calling and about what; 1 accepts, silence hangs up."""
    attempt = attempt_arg()
    response = VoiceResponse()
    if attempt is None or attempt.ended_at is not None:
        response.hangup()
        return twiml(response)
    attempt.dial_call_sid = attempt.dial_call_sid or (request.form.get("CallSid") or "")[:64]
    case = db().get("cases", attempt.case_id)
    gather = response.gather(input="dtmf", num_digits=1, timeout=8,
                             action=url_for("voice.whisper_answer", a=attempt.id),
                             method="POST")
    s = speaker()
    if case is None:
        s.say(gather, "whisper_no_case")
    else:
        severity = s.text(SEVERITY_PROMPTS.get(case.severity, "severity_none"))
        company = case.company_name or "un cliente sin identificar"
        s.say(gather, "whisper", company=company, digits=spoken_digits(case.number),
              severity=severity)
    # A voicemail never presses 1: the Gather times out and this hangs up instead of bridging.
    response.hangup()
    db().commit()
    return twiml(response)


@bp.post("/whisper/answer")
def whisper_answer():
    """1: accept (an empty document bridges the call); anything else declines."""
    attempt = attempt_arg()
    response = VoiceResponse()
    if attempt is None or attempt.ended_at is not None:
        response.hangup()
        return twiml(response)
    leg_sid = (request.form.get("CallSid") or "")[:64]
    if (request.form.get("Digits") or "")[:1] == "1":
        routing.accept(attempt, leg_sid, now())
        if attempt.analyst_id is not None:
            routing.extend_lease(db(), attempt.analyst_id, attempt.call_sid, now(),
                                 app_state().settings.dial_time_limit)
        take_case(attempt)
    else:
        routing.decline(attempt, leg_sid)
        response.hangup()
    db().commit()
    return twiml(response)


def take_case(attempt: Rec) -> None:
    """The analyst (or emergency contact) who accepts is now working the case."""
    case = db().get("cases", attempt.case_id)
    if case is None:
        return
    if attempt.analyst_id is not None and case.assigned_analyst_id is None:
        case.assigned_analyst_id = attempt.analyst_id
    if case.status in ("incomplete", "received"):
        case.status = "in_progress"
    case.callback_state = "done"
    case.updated_at = now()


@bp.post("/leg-status")
def leg_status():
    """A leg's status callback: when it ends, its analyst is free again (lost Dial actions)."""
    attempt = attempt_arg()
    status = (request.form.get("CallStatus") or "")[:16]
    if attempt is not None and status in ("completed", "busy", "no-answer", "failed",
                                          "canceled"):
        if attempt.analyst_id is not None:
            routing.release(db(), attempt.analyst_id, attempt.call_sid, now())
        db().commit()
    return no_content()


# --- out of hours: the emergency phones, in order -------------------------------------------


@bp.post("/emergency")
def emergency_start():
    """A confirmed emergency out of hours: ring the emergency phones in their order."""
    return start_hunt("emergency_connecting", dial_next_emergency)


def dial_next_emergency(response: VoiceResponse, call: Rec, case: Rec) -> None:
    """Ring the next emergency phone, or take an urgent message."""
    ringing = ringing_attempt(call, "emergency_contact_id")
    if ringing is not None:
        contact = db().get("emergency_contacts", ringing.emergency_contact_id)
        dial_leg(response, ringing, contact.phone, "voice.emergency_result")
        return
    contact = routing.next_emergency_contact(db(), call.call_sid)
    if contact is None:
        call.outcome = "emergency-message"
        speaker().say(response, "emergency_nobody")
        ask_emergency_message(response, case)
        return
    attempt = routing.start_attempt(db(), call, case, now(), emergency_contact_id=contact.id)
    dial_leg(response, attempt, contact.phone, "voice.emergency_result")


def ask_emergency_message(response: VoiceResponse, case: Rec) -> None:
    """Record the emergency on the case."""
    speaker().say(response, "emergency_record")
    action = url_for("voice.emergency_recorded", c=case.id)
    response.record(
        action=action, method="POST", max_length=app_state().settings.record_max_seconds,
        timeout=6, finish_on_key="#", play_beep=True, trim="trim-silence",
        recording_status_callback=url_for("voice.recording_status", c=case.id, k="emergency"),
        recording_status_callback_method="POST",
    )
    response.redirect(action, method="POST")


@bp.post("/emergency/result")
def emergency_result():
    """The emergency Dial's action: answered, or the next phone in the list."""
    return dial_result("emergency-answered", lambda a: f"emergency:{a.emergency_contact_id}",
                       dial_next_emergency)


@bp.post("/emergency/recorded")
def emergency_recorded():
    """The urgent message: stored on the case, which goes first in the callback queue."""
    begin_call()
    case = case_arg()
    if case is None:
        return twiml(apologise_and_end())
    store_recording(case, "emergency")
    case.urgent = True
    complete_report(db(), case, now())
    schedule_callback(db(), schedule(), case, now())
    response = VoiceResponse()
    if not hung_up():
        speaker().say(response, "emergency_recorded", digits=spoken_digits(case.number))
        promise_callback(response, case)
        goodbye(response)
    db().commit()
    return twiml(response)
