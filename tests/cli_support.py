"""Shared helpers for the command-line tests (plain functions, no fixtures)."""

from __future__ import annotations

import re

from sqlalchemy import text

from ivr.store.models import Base


def invoke(runner, *args, input=None):
    """Run `flask --app wsgi ARGS…`, stdout and stderr apart (`input`: what is typed)."""
    return runner.invoke(args=[str(a) for a in args], input=input)


def ok(runner, *args, input=None) -> list[str]:
    """Run a command that must succeed with nothing on stderr; its stdout lines."""
    result = invoke(runner, *args, input=input)
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stderr == "", result.stderr
    return result.stdout.splitlines()


def warned(runner, *args) -> tuple[list[str], list[str]]:
    """Run a command that must succeed with warnings; (stdout lines, warning texts)."""
    result = invoke(runner, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    warnings = result.stderr.splitlines()
    assert warnings and all(line.startswith("warning: ") for line in warnings), result.stderr
    return result.stdout.splitlines(), [line.removeprefix("warning: ") for line in warnings]


def refused(runner, *args, input=None) -> str:
    """Run a command that must fail with exactly one `error:` line on stderr, exit 1 and no
    traceback; the error's text."""
    result = invoke(runner, *args, input=input)
    assert result.exit_code == 1, (result.output, result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and re.match(r"error: \S", lines[0]), result.stderr
    return lines[0].removeprefix("error: ")


def row_counts(app) -> dict[str, int]:
    """Rows in every table, read on a fresh connection."""
    with app.extensions["ivr"].engine.connect() as conn:
        return {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in Base.metadata.tables}


def table(app, sql: str, **params) -> list[tuple]:
    """The rows of a query, read on a fresh connection."""
    with app.extensions["ivr"].engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params)]
