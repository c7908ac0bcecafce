"""What every command shares: the application's state and the command's transaction."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import current_app

from ivr.services.directory import DirectoryError
from ivr.state import AppState
from ivr.store.tx import Tx, transaction


def state() -> AppState:
    """The application's state."""
    return current_app.extensions["ivr"]


@contextmanager
def command_transaction() -> Iterator[Tx]:
    """The command's transaction, committed when the block ends; a DirectoryError (or
    CaseError) rolls it back, prints one 'error:' line and exits 1."""
    try:
        with transaction(state().engine) as tx:
            yield tx
    except DirectoryError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    state().schedules.invalidate()  # hours or closures may have changed
