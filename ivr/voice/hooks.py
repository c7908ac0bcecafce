"""The voice surface's hooks: signature first, one log line each, never a 500 to Twilio."""

from __future__ import annotations

import logging
import time

from flask import abort, current_app, g, request, send_from_directory
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ivr.domain.phones import mask_phone
from ivr.logs import scrubbed_traceback
from ivr.prompts import PROMPTS_DIR
from ivr.store.engine import database_unavailable
from ivr.voice.blueprint import audio_bp, bp
from ivr.voice.context import app_state, speaker
from ivr.voice.fallback import fallback_answer
from ivr.voice.forms import REFUSED_MIMETYPES, may_hold_nul, read_form
from ivr.voice.offline import WAIT_ENDPOINTS, degraded_answer
from ivr.voice.twiml import VoiceResponse, no_content, twiml

log = logging.getLogger("ivr.webhook")


# Callbacks answer 204: Twilio plays nothing from them.
CALLBACK_ENDPOINTS = frozenset({"voice.status", "voice.recording_status", "voice.leg_status",
                                "voice.callback_status", "voice.alert_status"})
WAIT_RETRY_SECONDS = 10  # a wait document that failed: a pause, then the wait URL again
# Requests refused before their body was parsed: their log line reads no form.
UNSUPPORTED, TOO_LARGE = "unsupported-media-type", "too-large"
UNREAD_OUTCOMES = frozenset({UNSUPPORTED, TOO_LARGE})
_NO_FORM = ImmutableMultiDict()




def signed_url(req, state) -> str:
    """The URL Twilio signed: the public base URL when set, else the (proxied) request URL."""
    # Twilio signs the URL exactly as it requested it, so the query string is taken raw:
    # request.url would decode its %-escapes ("%2B58…" became "+58…" and failed to validate).
    base = state.settings.public_base_url or f"{req.scheme}://{req.host}"
    root = req.script_root
    if root and base.endswith(root):
        root = ""  # the prefix is in PUBLIC_BASE_URL and in SCRIPT_NAME: count it once
    query = req.query_string.decode("latin-1")
    return base + root + req.path + (f"?{query}" if query else "")


@bp.before_request
def require_twilio_signature():
    """Refuse any request that Twilio did not sign for this exact URL and these parameters."""
    g.started = time.perf_counter()
    req, state = request._get_current_object(), app_state()  # one proxy lookup each
    if req.mimetype in REFUSED_MIMETYPES:
        # Never parsed: a multipart body could be files, and Twilio sends none.
        g.outcome = UNSUPPORTED
        abort(415)
    signature = req.headers.get("X-Twilio-Signature", "")
    try:
        params = read_form(req) if req.method == "POST" else {}
    except RequestEntityTooLarge:
        # Over MAX_CONTENT_LENGTH: refused before reading it (or as it passed the cap).
        g.outcome = TOO_LARGE
        raise
    try:
        valid = state.signatures.valid(signed_url(req, state), params, signature)
    except ValueError:
        # A Host header with a port that is not a number ("localhost:x") cannot be the URL
        # Twilio signed: refused like any forgery, not answered by the error handler.
        valid = False
    if not valid:
        g.outcome = "forbidden"
        abort(403)
    strip_nul_characters()


def strip_nul_characters() -> None:
    """Drop NUL characters from the checked parameters: PostgreSQL text cannot hold them."""
    if not may_hold_nul(request):
        return
    for name in ("form", "args"):
        data = getattr(request, name)
        if any("\x00" in key or "\x00" in value for key, value in data.items(multi=True)):
            setattr(request, name, ImmutableMultiDict(
                (key.replace("\x00", ""), value.replace("\x00", ""))
                for key, value in data.items(multi=True)))


@bp.teardown_request
def close_session(_exc=None):
    """Give the request's database connection back to the pool."""
    tx = g.pop("db", None)
    if tx is not None:
        try:
            tx.close()
        except Exception:  # noqa: BLE001 - the answer is sent; a dead connection is the pool's
            log.warning("closing the session failed")


@bp.errorhandler(Exception)
def never_fail_the_caller(error):
    """Roll back and answer TwiML that still routes the caller to a person."""
    if isinstance(error, HTTPException):
        return error
    tx = g.get("db")
    if tx is not None:
        try:
            tx.rollback()
        except Exception:  # noqa: BLE001 - the connection itself may be gone
            log.warning("rollback failed after an error")
    if database_unavailable(error):
        app_state().degraded += 1
        g.outcome = "database-unavailable"
        log.warning("database unavailable in %s: %s", request.endpoint, type(error).__name__)
        return degraded_answer()
    app_state().apologies += 1
    g.outcome = "apology"
    log.error("webhook failed: %s\n%s", request.endpoint, scrubbed_traceback(error))
    if request.endpoint in CALLBACK_ENDPOINTS:
        return no_content()
    if request.endpoint in WAIT_ENDPOINTS:
        # A caller on hold hears a pause instead (no <Dial> may be answered there); the wait
        # URL is asked again when it ends.
        response = VoiceResponse()
        response.pause(length=WAIT_RETRY_SECONDS)
        return twiml(response)
    return fallback_answer(speaker(), app_state().settings.fallback_numbers)


@bp.after_request
def log_webhook(response):
    """One structured line per webhook: call, step, outcome, duration; numbers masked."""
    req, request_globals = request._get_current_object(), g._get_current_object()
    started = request_globals.get("started")
    elapsed = (time.perf_counter() - started) * 1000 if started else 0.0
    outcome = request_globals.get("outcome", "ok")
    form = _NO_FORM if outcome in UNREAD_OUTCOMES else req.form
    log.info(
        "webhook",
        extra={
            "call": (form.get("CallSid") or "")[:64],
            "step": req.endpoint,
            "outcome": outcome,
            "status": response.status_code,
            "from": mask_phone(form.get("From")),
            "ms": round(elapsed, 1),
        },
    )
    app = current_app._get_current_object()
    app.extensions["ivr"].replayer.poke(app)
    return response


@audio_bp.get("/<path:name>")
def prompt(name: str):
    """Serve a recorded prompt to Twilio's <Play>."""
    return send_from_directory(PROMPTS_DIR / "audio", name, max_age=3600)

