"""Fuzz the operator's command line (issues 13 and 14): whatever is typed, never a traceback.

Each example runs one command with arguments drawn from plausible values (names, phones,
dates, amounts, case numbers that exist) and awkward ones (NUL and other control characters,
lone surrogates, 9999-12-31, huge and negative numbers, long text, right-to-left marks). The
command must end with exit status 0, 1 with one `error:` line (or click's "Aborted!" when a
prompt gets no answer), or 2 with click's usage message; never an exception.

CLI_FUZZ_EXAMPLES sets the examples per database (default 120).
"""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli_support import invoke, ok
from tests.routing_support import make_case

EXAMPLES = int(os.environ.get("CLI_FUZZ_EXAMPLES", "120"))
CASE = "1042937"

PLAUSIBLE = [
    "Ana", "Ana Pérez", "Empresa Uno", "empresa", "Filippo", "1", "2", "3", "0", "-1",
    "04125550123", "+584140143913", "(0414) 014.39.13", "rosa@elavila", "rosa@elavila.com",
    "a@", "2026-12-09", "2026-12-09 10:00", "9999-12-31", "9999-12-31 23:00",
    "0001-01-01 10:00", "2026-02-30", "14:00", "25:00", "45,00", "45.00", "1.234,56", "NaN",
    CASE, "99999999999999999999", "available", "resolved", "spoke", "no-answer", "", " ",
    "432187", "²²²²²²", "Farmacia El Ávila, C.A.",
]
AWKWARD = ["\x00", "\x0c", "\ud800", "\udcff", "\u202e", "\ufffe", "e\u0301", "😀", "A" * 300,
           "%", "_", "'", '"', "\\", "--", "-x", "\n", "١٢٣"]
TEXT = st.one_of(
    st.sampled_from(PLAUSIBLE),
    st.sampled_from(AWKWARD),
    st.lists(st.one_of(st.sampled_from(AWKWARD + PLAUSIBLE), st.characters()),
             max_size=6).map("".join),
)
NUMBER = st.one_of(st.integers(-5, 10), st.sampled_from([0, 721, 2**31, 10**30, -(10**30)]))

X, N = object(), object()  # an argument drawn as text, as a number
COMMANDS = [
    ["analysts", "add", X, X, "--no-pin"],
    ["analysts", "add", X, X, "--pin-stdin"],
    ["analysts", "set-status", X, X],
    ["analysts", "show", X],
    ["analysts", "edit", X, "--name", X, "--phone", X],
    ["analysts", "set-pin", X, "--pin-stdin"],
    ["analysts", "deactivate", X],
    ["analysts", "activate", X],
    ["analysts", "remove", X],
    ["emergency", "add", X, X, "--position", N],
    ["emergency", "show", X],
    ["emergency", "edit", X, "--name", X, "--phone", X],
    ["emergency", "move", X, "--to", N],
    ["emergency", "reorder", X, X],
    ["emergency", "deactivate", X],
    ["emergency", "remove", X],
    ["companies", "add", X, "--contract-hours", N],
    ["companies", "show", X],
    ["companies", "edit", X, "--name", X, "--contract-hours", N],
    ["companies", "remove", X],
    ["companies", "alias", "add", X, X],
    ["companies", "alias", "remove", X, X],
    ["contacts", "add", X, X, X, "--position", X, "--email", X],
    ["contacts", "list", "--company", X],
    ["contacts", "show", X],
    ["contacts", "edit", X, "--email", X, "--company", X],
    ["contacts", "remove", X],
    ["closures", "add", X, "--reason", X],
    ["closures", "add", X, "--from", X, "--to", X, "--reason", X],
    ["closures", "show", X],
    ["closures", "edit", X, "--day", X, "--from", X, "--to", X],
    ["closures", "remove", X],
    ["cases", "list", "--status", X, "--company", X, "--since", X, "--until", X],
    ["cases", "show", X],
    ["cases", "visit", X, "--at", X, "--cost", X, "--status", X],
    ["cases", "set-status", X, X],
    ["cases", "link", X, "--company", X, "--contact", X],
    ["cases", "note", X, X],
    ["callbacks", "done", X, "--outcome", X, "--note", X],
    ["callbacks", "list", "--limit", N],
    ["recordings", "get", X, "--dir", X],
]


@st.composite
def command_lines(draw) -> tuple[list[str], str]:
    """A command with drawn arguments, and what is typed at its prompt."""
    template = draw(st.sampled_from(COMMANDS))
    args = []
    for part in template:
        if part is X:
            args.append(draw(TEXT))
        elif part is N:
            args.append(str(draw(NUMBER)))
        else:
            args.append(part)
    return args, draw(TEXT) + "\n"


@pytest.fixture
def seeded(app, runner, db):
    """Something for the commands to find: a company with a contact, an analyst, an emergency
    phone, a closure, a case."""
    make_case(db, CASE, created="2026-12-07 09:00")
    db.commit()
    ok(runner, "companies", "add", "Empresa Uno", "--contract-hours", "4")
    ok(runner, "contacts", "add", "Empresa Uno", "Rosa", "04265550127")
    ok(runner, "analysts", "add", "Ana Pérez", "04125550123", "--no-pin")
    ok(runner, "emergency", "add", "Filippo", "04140143913")
    ok(runner, "closures", "add", "2026-12-09", "--reason", "inventario")
    return runner


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(line=command_lines())
def test_no_traceback_whatever_is_typed(seeded, tmp_path, line):
    """Exit 0; 1 with one `error:` line; or 2 with usage: never an exception."""
    args, typed = line
    if args[0] == "recordings":
        args[-1] = str(tmp_path / re.sub(r"[^A-Za-z0-9]", "_", args[-1])[:40])
    # What a terminal sends is bytes: a lone surrogate stands for an undecodable byte.
    result = invoke(seeded, *args, input=typed.encode("utf-8", "surrogatepass"))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args, result.output, result.exc_info)
    assert "Traceback" not in result.output, (args, result.output)
    if result.exit_code == 1:
        last = result.stderr.splitlines()[-1] if result.stderr else ""
        assert last.startswith("error: ") or last == "Aborted!", (args, result.stderr)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) <= 1, (args, result.stderr)
    elif result.exit_code == 2:
        assert "Usage:" in result.stderr, (args, result.stderr)
    else:
        assert result.exit_code == 0, (args, result.exit_code, result.output)
