"""What every command shares: the application's state, the command's transaction, and one
`error:` line (exit 1) for whatever an operator can get wrong.

Every command registered by ivr.cli.commands goes through `guarded`: before it runs, the
database is checked (present, reachable, initialised, up to date: never created, except by
`init-db`); while it runs, bad input (InputError and its kinds), an unreachable database and
the like become one `error:` line on stderr and exit status 1, with nothing written (the
command's transaction rolls back). A bug still shows its traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import ScriptInfo
from sqlalchemy.exc import SQLAlchemyError

from ivr.config import ConfigError
from ivr.domain.errors import InputError
from ivr.services.health import DatabaseNotReady, describe_database_error, require_database
from ivr.services.recordings import RecordingFetchError
from ivr.state import AppState
from ivr.store.schema import UpgradeRefused
from ivr.store.tx import Tx, transaction

# Failures an operator can act on: one line each, never a traceback.
OPERATOR_ERRORS = (InputError, DatabaseNotReady, RecordingFetchError, UpgradeRefused,
                   ConfigError)


def state() -> AppState:
    """The application's state."""
    return current_app.extensions["ivr"]


def fail(message: str) -> None:
    """One `error:` line on stderr (the message's lines joined), exit status 1."""
    text = "; ".join(line.strip() for line in str(message).splitlines() if line.strip())
    click.echo(f"error: {text}", err=True)
    sys.exit(1)


def warn(message: str) -> None:
    """A `warning:` line on stderr: done, but the operator should know this."""
    click.echo(f"warning: {message}", err=True)


@contextmanager
def command_transaction() -> Iterator[Tx]:
    """The command's transaction, committed when the block ends and rolled back when it
    raises (the guard then prints the one `error:` line)."""
    with transaction(state().engine) as tx:
        yield tx
    state().schedules.invalidate()  # hours or closures may have changed


def _app_context() -> None:
    """Push the application's context if the command runs without one (as with_appcontext)."""
    if not current_app:
        ctx = click.get_current_context()
        app = ctx.ensure_object(ScriptInfo).load_app()
        ctx.with_resource(app.app_context())


def guarded(command: click.Command, needs_database: bool = True) -> click.Command:
    """The command (each command of a group) with operator errors as one `error:` line, and,
    when it needs the database, the database checked first."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            guarded(sub, needs_database)
        return command
    callback = command.callback
    if callback is None or getattr(callback, "ivr_guarded", False):
        return command

    @functools.wraps(callback)
    def run(*args, **kwargs):
        _app_context()
        try:
            if needs_database:
                require_database(state().engine, state().settings.database_url)
            return callback(*args, **kwargs)
        except OPERATOR_ERRORS as error:
            fail(str(error))
        except SQLAlchemyError as error:
            fail(describe_database_error(error, state().settings.database_url))

    run.ivr_guarded = True
    command.callback = run
    return command
