"""The fallback phones: used when the application cannot help, never touching the database."""

from __future__ import annotations

from flask import request

from ivr.domain.statuses import CallStatus
from ivr.voice.twiml import VoiceResponse, twiml
from ivr.voice.urls import url_for


def dial_fallback(speaker, numbers: tuple[str, ...], response: VoiceResponse, index: int) -> None:
    """Ring fallback phone `index`, with a whisper so that voicemail never takes the call."""
    if index >= len(numbers):
        speaker.say(response, "fallback_unreachable")
        record_offline_message(speaker, response)
        return
    dial = response.dial(
        action=url_for("voice.fallback_next", i=index),
        method="POST",
        timeout=20,
        answer_on_bridge=True,
    )
    dial.number(numbers[index], url=url_for("voice.fallback_whisper"), method="POST")


def record_offline_message(speaker, response: VoiceResponse) -> None:
    """Take the caller's message into the local spool (no database needed)."""
    speaker.say(response, "offline_record")
    action = url_for("voice.offline_recorded")
    response.record(action=action, method="POST", max_length=180, timeout=6, finish_on_key="#",
                    play_beep=True, trim="trim-silence",
                    recording_status_callback=url_for("voice.offline_recording_status"),
                    recording_status_callback_method="POST")
    response.redirect(action, method="POST")


def fallback_answer(speaker, numbers: tuple[str, ...], prompt_id: str = "apology"):
    """An apology that still routes the caller: the fallback phones one after another."""
    response = VoiceResponse()
    speaker.say(response, prompt_id)
    dial_fallback(speaker, numbers, response, 0)
    return twiml(response)


def someone_took_it(form) -> bool:
    """Whether a Dial ended in a conversation (DialBridged, or completed without it)."""
    bridged = (form.get("DialBridged") or "").lower()
    if bridged:
        return bridged == "true"
    return form.get("DialCallStatus") == CallStatus.COMPLETED


def fallback_next(speaker, numbers: tuple[str, ...]):
    """After a fallback Dial: done when bridged, else ring the next phone."""
    response = VoiceResponse()
    raw = request.args.get("i", "0")
    index = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 3 else 0
    if someone_took_it(request.form):
        response.hangup()
        return twiml(response)
    dial_fallback(speaker, numbers, response, index + 1)
    return twiml(response)


def fallback_whisper(speaker):
    """On the fallback phone's leg: press 1 to take the call; silence hangs up."""
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf", num_digits=1, timeout=8, action=url_for("voice.fallback_accept"),
        method="POST",
    )
    speaker.say(gather, "fallback_whisper")
    response.hangup()
    return twiml(response)


def fallback_accept():
    """Bridge on 1; anything else declines."""
    response = VoiceResponse()
    if (request.form.get("Digits") or "")[:1] != "1":
        response.hangup()
    return twiml(response)
