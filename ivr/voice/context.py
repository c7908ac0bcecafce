"""Per-request access to the application's state, database session and clock."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, g, request
from sqlalchemy.orm import Session

from ivr.clock import utcnow
from ivr.state import AppState


def app_state() -> AppState:
    """The state built by create_app."""
    return current_app.extensions["ivr"]


def db() -> Session:
    """The request's database session, opened on first use."""
    session = g.get("db")
    if session is None:
        session = g.db = app_state().sessions()
    return session


def speaker():
    """The prompt speaker for this application (built once)."""
    state = app_state()
    if state.speaker is None:
        from ivr.voice.twiml import Speaker

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
