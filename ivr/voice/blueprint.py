"""The voice blueprints: Twilio's webhooks under /voice, recorded prompts under /audio."""

from flask import Blueprint

bp = Blueprint("voice", __name__, url_prefix="/voice")
audio_bp = Blueprint("audio", __name__, url_prefix="/audio")
