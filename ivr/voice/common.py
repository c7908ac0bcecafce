"""Steps shared by the voice views: the call's row, the schedule, bounded calls, URL args."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import request

from ivr.domain.case_numbers import spoken_digits
from ivr.domain.spanish_dates import describe_deadline, describe_within
from ivr.services import confirmations, reports
from ivr.services.calls import MAX_WEBHOOKS_PER_CALL, CallParams, touch_call
from ivr.services.cases import get_case, next_report_seq
from ivr.services.outbox import note_call_sid
from ivr.store.tx import Rec
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.twiml import VoiceResponse, no_content, twiml
from ivr.voice.urls import url_for


def webhook(view=None, *, call: bool = True, bounded: bool = True):
    """A voice webhook: the call's row recorded (`call`), a call gone round too many webhooks
    ended (`bounded`), the view run, the transaction committed and the TwiML sent.

    The view gets the call's row (when `call`) and returns a VoiceResponse, or None for an
    empty 204 answer (status callbacks)."""
    def wrap(view):
        @wraps(view)
        def handle(**kwargs):
            args = ()
            note_outbox_call()
            if call:
                row = begin_call()
                if bounded and row.webhooks > MAX_WEBHOOKS_PER_CALL:
                    return twiml(call_too_long())
                args = (row,)
            response = view(*args, **kwargs)
            db().commit()
            return no_content() if response is None else twiml(response)
        return handle
    return wrap if view is None else wrap(view)


def note_outbox_call() -> None:
    """A call the outbox placed names its row (`outbox` in the URL): the call's sid is kept on
    it, so a worker that died before marking it never places it again."""
    message_id = int_arg("outbox")
    if message_id is not None:
        note_call_sid(db(), message_id, (request.form.get("CallSid") or "")[:64], now())


def begin_call() -> Rec:
    """Record this webhook on the call's row; return the row."""
    return touch_call(db(), CallParams.from_form(request.form), now(),
                      app_state().settings.published_numbers)


def schedule():
    """The opening schedule (cached)."""
    return app_state().schedules.get(db())


def is_open() -> bool:
    """Whether the centre is open now."""
    return schedule().is_open(now())


def call_too_long() -> VoiceResponse:
    """End a call that has gone round too many webhooks without getting anywhere."""
    response = VoiceResponse()
    speaker().say(response, "line_busy_end")
    response.hangup()
    return response


def int_arg(name: str, default: int | None = None) -> int | None:
    """A small integer carried in the URL (ours, signed by Twilio), or the default."""
    raw = request.args.get(name, "")
    # ASCII digits only: "³".isdigit() is True, and int("³") raises.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else default


def case_arg() -> Rec | None:
    """The case named by the `c` URL argument, if it exists."""
    return get_case(db(), int_arg("c"))


def hung_up() -> bool:
    """Whether this request only reports a hangup (its TwiML will be ignored)."""
    return reports.hung_up(request.form)


def call_arg_case_id() -> dict:
    """The case (`c`) or report number (`r`) arguments to pass on to the next step."""
    out = {}
    for name in ("c", "r"):
        value = int_arg(name)
        if value is not None:
            out[name] = value
    return out


# --- steps several flows share ---------------------------------------------------------------


def say_case_number(response, case: Rec, prompt: str = "report_case_number") -> None:
    """Read the case number digit by digit."""
    speaker().say(response, prompt, digits=spoken_digits(case.number))


def promise_callback(response: VoiceResponse, case: Rec) -> None:
    """Tell the caller when a specialist will call back (an urgent case: within the urgent
    time, at any hour, never "el lunes")."""
    urgent_minutes = app_state().settings.urgent_callback_minutes
    if case.urgent and case.due_at is not None and \
            case.due_at <= now() + timedelta(minutes=urgent_minutes):
        speaker().say(response, "callback_promise_urgent",
                      within=describe_within(urgent_minutes))
    elif case.due_at is not None:
        speaker().say(response, "callback_promise_due", when=describe_deadline(case.due_at, now()))
    else:
        speaker().say(response, "callback_promise")


def goodbye(response: VoiceResponse) -> None:
    """End the call politely."""
    speaker().say(response, "goodbye")
    response.hangup()


def goodbye_response() -> VoiceResponse:
    """A polite end."""
    response = VoiceResponse()
    goodbye(response)
    return response


def ask_recording(response: VoiceResponse, prompt: str, endpoint: str, case: Rec,
                  kind: str) -> None:
    """Say `prompt`, then record for the case after the beep (# or silence ends it); the
    recording's status callback names its kind. The Record action `endpoint` also runs after
    a hangup, and after silence (Twilio goes on to the Redirect)."""
    speaker().say(response, prompt)
    action = url_for(endpoint, c=case.id)
    response.record(
        action=action, method="POST", max_length=app_state().settings.record_max_seconds,
        timeout=6, finish_on_key="#", play_beep=True, trim="trim-silence",
        recording_status_callback=url_for("voice.recording_status", c=case.id, k=kind),
        recording_status_callback_method="POST",
    )
    response.redirect(action, method="POST")


def store_recording(case: Rec, kind: str) -> bool:
    """Save the recording a Record action reports, if there is one."""
    return reports.store_recording(db(), request.form, case.id, kind, now())


def go_person(response: VoiceResponse, is_open: bool, case_id: int | None = None) -> None:
    """Option 0: an analyst while open; out of hours, the emergency question first."""
    args = {"c": case_id} if case_id else {
        "r": next_report_seq(db(), request.form.get("CallSid", "")[:64])}
    if is_open:
        response.redirect(url_for("voice.connect_start", **args), method="POST")
    else:
        speaker().ask(response, "voice.emergency_confirm", ["emergency_confirm"], 1,
                      hints="yes_no", **args)


# The analysts' key: not announced in the menu (ivr.voice.analyst answers the PIN).
ANALYST_KEY = "9"


def ask_pin(response: VoiceResponse, attempt: int, before=()) -> None:
    """The PIN prompt: the same words for every caller (nothing says whose phone this is)."""
    speaker().ask(response, "voice.analyst_pin", [*before, "analyst_pin_ask"], attempt,
                  num_digits=None, speech=False, finish_on_key="#", timeout=6,
                  on_silence=url_for("voice.menu", t=1, again=1))


# --- written confirmations: the offer to refuse SMS ------------------------------------------


def sms_offer(case: Rec) -> list[str]:
    """The prompt that offers to refuse SMS (9), when the caller's number may get them."""
    return ["sms_opt_out_offer"] if confirmations.may_text(db(), case) else []


def refused_sms(response: VoiceResponse, case: Rec) -> bool:
    """The caller pressed 9 after the offer: no SMS to this number any more (said)."""
    if not confirmations.refuse_sms(db(), case, now()):
        return False
    speaker().say(response, "sms_opted_out")
    return True

