"""Steps shared by the voice views: the call's row, the schedule, bounded calls, URL args."""

from __future__ import annotations

from flask import request

from ivr.services.calls import MAX_WEBHOOKS_PER_CALL, CallParams, touch_call
from ivr.store.tx import Rec
from ivr.voice.context import app_state, db, now, speaker
from ivr.voice.twiml import VoiceResponse


def begin_call() -> Rec:
    """Record this webhook on the call's row; return the row."""
    return touch_call(db(), CallParams.from_form(request.form), now())


def schedule():
    """The opening schedule (cached)."""
    return app_state().schedules.get(db())


def is_open() -> bool:
    """Whether the centre is open now."""
    return schedule().is_open(now())


def too_long(call: Rec) -> VoiceResponse | None:
    """End a call that has gone round too many webhooks without getting anywhere."""
    if call.webhooks <= MAX_WEBHOOKS_PER_CALL:
        return None
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
    return db().get("cases", int_arg("c"))


def hung_up() -> bool:
    """Whether this request only reports a hangup (its TwiML will be ignored)."""
    return request.form.get("Digits") == "hangup" or request.form.get("CallStatus") in (
        "completed", "canceled", "failed", "busy", "no-answer")


def call_arg_case_id() -> dict:
    """The case (`c`) or report number (`r`) arguments to pass on to the next step."""
    out = {}
    for name in ("c", "r"):
        value = int_arg(name)
        if value is not None:
            out[name] = value
    return out
