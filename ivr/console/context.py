"""What every console view shares: the application's state, a transaction, the user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g

from ivr.state import AppState
from ivr.store.tx import Rec, Tx, transaction


def app_state() -> AppState:
    """The application's state."""
    return current_app.extensions["ivr"]


@contextmanager
def db() -> Iterator[Tx]:
    """A transaction for a view's work, committed when the block ends."""
    with transaction(app_state().engine) as tx:
        yield tx


def current_user() -> Rec:
    """The logged-in user of this request (the blueprint lets no one else in)."""
    return g.console_user
