"""Per-request access to the application's state, database session and clock."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, g, request

from ivr.domain.clock import utcnow
from ivr.state import AppState
from ivr.store.tx import Tx
from ivr.voice.twiml import Speaker


def app_state() -> AppState:
    """The state built by create_app."""
    return current_app.extensions["ivr"]


def db() -> Tx:
    """The request's transaction (plain SQL, ivr/sql.py); connects on first use."""
    tx = g.get("db")
    if tx is None:
        tx = g.db = Tx(app_state().engine)
    return tx


def speaker():
    """The prompt speaker for this application (built once)."""
    state = app_state()
    if state.speaker is None:
        state.speaker = Speaker(state.catalogue, state.settings)
    return state.speaker


def now() -> datetime:
    """The request's time, read once so that every step of a webhook agrees."""
    value = g.get("now")
    if value is None:
        value = g.now = utcnow()
    return value


def call_sid() -> str:
    """The CallSid of the request (trimmed)."""
    return (request.form.get("CallSid") or "")[:64]
