"""Operators' commands for putting callers through: `callbacks list`, `callbacks done`, `reap`."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from ivr.domain.clock import utcnow
from ivr.services import routing
from ivr.store.models import Case
from tests.routing_support import add_analysts, analyst_rows, caracas_utc, make_case

NOW = "2026-12-07 10:00"


@pytest.fixture
def queue(db, clock):
    """Four pending callbacks and one done, at NOW."""
    clock(NOW)
    make_case(db, "1000001", created="2026-12-07 09:30", severity=3, due="2026-12-08 09:30")
    make_case(db, "1000002", created="2026-12-03 09:00", severity=2, due="2026-12-03 13:00")
    make_case(db, "1000003", created="2026-12-07 09:50", severity=1, urgent=True,
              due="2026-12-07 10:50")
    make_case(db, "1000004", created="2026-12-07 09:40", severity=3,
              company="Seguros La Previsora", contract_hours=4, due="2026-12-07 14:10")
    make_case(db, "1000005", created="2026-12-07 08:40", severity=1, state="done",
              due="2026-12-07 10:40")
    db.commit()


def cases_state(session) -> dict[str, tuple]:
    """(callback state, updated at) of every case, freshly read."""
    session.expire_all()
    return {c.number: (c.callback_state, c.updated_at) for c in session.scalars(select(Case))}


def test_callbacks_list_in_queue_order_with_due_times(runner, queue):
    """Queue order, due times in Caracas time, severity and flags; done callbacks left out."""
    result = runner.invoke(args=["callbacks", "list"])
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["1000003", "1000002", "1000004", "1000001"]
    fields = [line.split() for line in lines]
    assert [f[2:4] for f in fields] == [["2026-12-07", "10:50"], ["2026-12-03", "13:00"],
                                        ["2026-12-07", "14:10"], ["2026-12-08", "09:30"]]
    assert [f[5] for f in fields] == ["1", "2", "3", "3"]
    assert [f[-1] for f in fields] == ["URGENT", "OVERDUE", "contract", "-"]
    assert "Seguros La Previsora" in lines[2]


def test_callbacks_list_limit(runner, queue):
    """--limit cuts the listing after the first cases of the queue."""
    result = runner.invoke(args=["callbacks", "list", "--limit", "2"])
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["1000003", "1000002"]


def test_callbacks_done_takes_a_case_off_the_queue(runner, session, queue):
    """done marks the callback made; the case leaves the listing."""
    result = runner.invoke(args=["callbacks", "done", "1000002"])
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == "callback for case 1000002 done\n"
    assert cases_state(session)["1000002"] == ("done", utcnow())
    listed = runner.invoke(args=["callbacks", "list"]).stdout.splitlines()
    assert [line.split()[0] for line in listed] == ["1000003", "1000004", "1000001"]


@pytest.mark.parametrize(("number", "message"), [
    ("9999999", "error: no case '9999999'"),
    ("100000", "error: no case '100000'"),
    ("abc", "error: no case 'abc'"),
    ("1000005", "error: case 1000005 has no pending callback"),
])
def test_callbacks_done_bad_number(runner, session, queue, number, message):
    """An unknown number or a callback already made: exit 1, one 'error:' line, nothing written."""
    before = cases_state(session)
    result = runner.invoke(args=["callbacks", "done", number])
    assert result.exit_code == 1
    assert result.stdout == "" and result.stderr == message + "\n"
    assert cases_state(session) == before


def test_reap_releases_expired_leases_and_logs_them(runner, db, session, clock, caplog):
    """reap frees expired leases, says how many and logs each; live leases stay."""
    clock("2026-12-07 09:00:00")
    ids = add_analysts(db, 3)
    routing.claim_analyst(db, "CA-old-1", utcnow(), 20)
    routing.claim_analyst(db, "CA-old-2", utcnow(), 20)
    db.commit()
    clock("2026-12-07 09:00:30")
    routing.claim_analyst(db, "CA-live", utcnow(), 20)
    db.commit()
    clock("2026-12-07 09:01:00")
    with caplog.at_level(logging.WARNING, logger="ivr.reap"):
        result = runner.invoke(args=["reap"])
    assert result.exit_code == 0 and result.stdout == "2 expired lease(s) released\n"
    logged = sorted(r.getMessage() for r in caplog.records if r.name == "ivr.reap")
    assert logged == [f"lease expired: analyst {ids[0]}, call CA-old-1",
                      f"lease expired: analyst {ids[1]}, call CA-old-2"]
    rows = analyst_rows(session)
    assert [rows[i].lease_call_sid for i in ids] == [None, None, "CA-live"]
    assert rows[ids[0]].idle_since == caracas_utc("2026-12-07 09:01")
    assert runner.invoke(args=["reap"]).stdout == "0 expired lease(s) released\n"


def test_callbacks_done_with_an_outcome_counts_attempts(runner, session, queue, app):
    """Issue 14: no answer, a voicemail or a wrong number are recorded and counted, the case
    stays in the queue; only 'spoke' takes it off. Notes are kept with each attempt."""
    for outcome, attempts in (("no-answer", 1), ("voicemail", 2)):
        result = runner.invoke(args=["callbacks", "done", "1000002", "--outcome", outcome,
                                     "--note", "buzón lleno"])
        assert result.exit_code == 0 and result.stderr == ""
        assert result.stdout == (f"case 1000002: {outcome} recorded, callback still pending "
                                 f"({attempts} attempt(s))\n")
        assert cases_state(session)["1000002"][0] == "pending"
    listed = runner.invoke(args=["callbacks", "list"]).stdout.splitlines()
    line = next(line for line in listed if line.startswith("1000002"))
    assert "tried 2" in line
    result = runner.invoke(args=["callbacks", "done", "1000002", "--outcome", "spoke",
                                 "--note", "resuelto por teléfono"])
    assert result.stdout == "callback for case 1000002 done\n"
    assert cases_state(session)["1000002"][0] == "done"
    with app.extensions["ivr"].engine.connect() as conn:
        attempts = conn.execute(text(
            "SELECT outcome, note FROM callback_attempts ORDER BY id")).all()
    assert [tuple(a) for a in attempts] == [("no-answer", "buzón lleno"),
                                            ("voicemail", "buzón lleno"),
                                            ("spoke", "resuelto por teléfono")]
    shown = runner.invoke(args=["cases", "show", "1000002"]).stdout
    assert "callback attempts:      3" in shown and "no-answer  buzón lleno" in shown


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--outcome", "maybe"], 2, "Invalid value for '--outcome'"),
    (["--note", "a\x00b"], 1, "error: --note: character U+0000"),
])
def test_callbacks_done_refuses_odd_input(runner, session, queue, args, code, message):
    """An unknown outcome is a usage error; a NUL in the note one error line; nothing written."""
    before = cases_state(session)
    result = runner.invoke(args=["callbacks", "done", "1000002", *args])
    assert result.exit_code == code and message in result.stderr
    assert cases_state(session) == before
