"""The voice surface: Twilio webhooks, signed, answering TwiML that never fails the caller.

The views (one module per flow) and the hooks that check, log and guard every webhook register
themselves on the blueprint when imported here.
"""

from ivr.voice import (  # noqa: F401
    alert,
    analyst,
    callback,
    connect,
    hold,
    hooks,
    lookup,
    menu,
    offline,
    report,
)
from ivr.voice.blueprint import audio_bp, bp
from ivr.voice.hooks import CALLBACK_ENDPOINTS

__all__ = ["CALLBACK_ENDPOINTS", "audio_bp", "bp"]
