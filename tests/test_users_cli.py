"""`flask --app wsgi users …` and the password policy behind it."""

from __future__ import annotations

import dataclasses

import pytest

from ivr.domain.clock import utcnow
from ivr.domain.passwords import COMMON, MIN_LENGTH, password_problem
from ivr.domain.statuses import UserRole
from ivr.services import directory
from ivr.services import users as user_service
from ivr.store.tx import transaction
from tests.console_support import PASSWORD, engine

GOOD = "tres tristes tigres"


@pytest.mark.parametrize(("password", "problem"), [
    ("short", "at least"), ("x" * 129, "at most"), ("Password1234", "common"),
    (" qwerty123456 ", "common"), ("ana@example.com", "e-mail"), ("abababababab", "too few"),
    (GOOD, None)])
def test_password_policy(password, problem):
    """Twelve characters at least, none of the common ones, not the e-mail."""
    found = password_problem(password, "ana@example.com")
    assert (found is None) if problem is None else (problem in found)


def test_common_list_is_lower_case_and_long():
    """The list is compared case-folded; a short entry would be refused by length anyway."""
    assert all(p == p.casefold() and len(p) >= MIN_LENGTH for p in COMMON)


def add(runner, *args, password=GOOD, confirm=None):
    """Run users add with the password typed twice."""
    return runner.invoke(args=["users", "add", *args],
                         input=f"{password}\n{confirm or password}\n")


def test_add_list_disable(app, runner):
    """An analyst user linked to an analyst; a coordinator; listed; disabled."""
    with transaction(engine(app)) as tx:
        analyst = directory.add_analyst(tx, "Ana", "+15005550101", None, utcnow())
    result = add(runner, "Ana Analista", "Ana@Example.com", "--role", "analyst",
                 "--analyst", str(analyst.id))
    assert result.exit_code == 0, result.output
    assert GOOD not in result.output and "ana@example.com" in result.output
    assert add(runner, "Coord", "coord@example.com", "--role", "coordinator").exit_code == 0
    listing = runner.invoke(args=["users", "list"]).output
    assert "ana@example.com" in listing and f"analyst {analyst.id}" in listing
    assert "coordinator" in listing and GOOD not in listing
    assert runner.invoke(args=["users", "disable", "coord@example.com"]).exit_code == 0
    assert "disabled" in runner.invoke(args=["users", "list"]).output
    with transaction(engine(app)) as tx:
        stored = user_service.find_user(tx, "ana@example.com")
    assert stored.role == UserRole.ANALYST and stored.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(("args", "kw", "message"), [
    (["--role", "analyst"], {}, "needs --analyst"),
    (["--role", "coordinator"], {"password": "short"}, "at least 12"),
    (["--role", "coordinator"], {"password": "password1234"}, "common passwords"),
    (["--role", "boss"], {}, "Invalid value"),
])
def test_add_refused(app, runner, args, kw, message):
    """Refusals say why and store nothing."""
    result = add(runner, "X", "x@example.com", *args, **kw)
    assert result.exit_code != 0 and message in result.output
    with transaction(engine(app)) as tx:
        assert user_service.all_users(tx) == []


def test_confirmation_must_match(runner):
    """The password is asked twice; a mismatch asks again."""
    result = add(runner, "X", "x@example.com", "--role", "coordinator", confirm="different one")
    assert "do not match" in result.output.lower() or result.exit_code != 0


def test_duplicate_email_refused(app, runner):
    """One user per e-mail, whatever its case."""
    assert add(runner, "A", "a@example.com", "--role", "coordinator").exit_code == 0
    result = add(runner, "B", "A@example.com", "--role", "coordinator", password=PASSWORD)
    assert result.exit_code == 1 and "already" in result.output


def test_demo_data_prints_a_working_demo_login(app, runner, monkeypatch):
    """In development, demo-data prints the demo analyst's e-mail and a password that works."""
    state = app.extensions["ivr"]
    monkeypatch.setattr(state, "settings", dataclasses.replace(state.settings, env="development"))
    output = runner.invoke(args=["demo-data"]).output
    line = next(x for x in output.splitlines() if x.startswith("console:"))
    email, password = line.split()[-2:]
    with transaction(engine(app)) as tx:
        login = user_service.log_in(tx, app.extensions["passwords"], email, password, None,
                                    utcnow())
    assert login.user is not None and login.user.analyst_id is not None
