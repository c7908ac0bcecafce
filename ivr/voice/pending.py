"""Menu options whose flows are not built yet: an honest message, then the fallback phones."""

from __future__ import annotations

from ivr.voice import bp
from ivr.voice.context import app_state, speaker
from ivr.voice.fallback import fallback_answer


def _honest_fallback():
    """Say that we put the caller through, and ring the fallback phones."""
    return fallback_answer(speaker(), app_state().settings.fallback_numbers,
                           "fallback_connecting")


for _path, _name in (("/connect", "connect_start"), ("/emergency", "emergency_start")):
    bp.add_url_rule(_path, _name, _honest_fallback, methods=["POST"])
