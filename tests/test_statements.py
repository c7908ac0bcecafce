"""Statements per webhook: few, and as many with a thousand cases as with none (no N+1).

A caller reports a fault and is put through to an analyst, another looks the case up by its
number; every SQL statement the webhooks send (ivr/sql.py) is counted per endpoint. The
bounds are the counts the benchmark's profile is built on (bench/OPTIMISATIONS.md); more
cases, contacts and calls in the database must not add a single statement.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

import pytest
from flask import has_request_context, request
from sqlalchemy import insert

from ivr.domain.clock import utcnow
from ivr.store import tx as sql
from ivr.store.models import Case
from tests.call_walker import CallWalk
from tests.hold_support import HoldCaller, Line
from tests.test_db_kill import Lookup, Reporter
from tests.test_replays import seed

# Most statements one webhook of these flows may send (BEGIN and COMMIT not counted; the
# opening hours and the company names, read again every 30 s by whichever webhook comes then,
# neither). Setting a
# due time costs one more when the caller's company has a contract (its hours are read). A case
# number lookup reads the caller's misses first (one statement for the call's and the day's):
# guessing is bounded. The greeting reads the coordinator's notices (one indexed statement).
# Where a step answers the next one itself instead of a <Redirect> (the menu starts the report,
# the fault's severity and the recorded description put the caller through), its bound is the
# sum of the two webhooks' less the call row's touch it saves: menu 2 + report_start 4 - 1 +
# "is anyone free" 1; severity 4 + connect_start 5 - 1 - 1 (the case is not read again);
# recorded 5 + 5 - 1; a case's option "a person" 3 + connect_start 5 (not walked here).
# Freeing an analyst (a leg's end) looks for callers on hold (one indexed statement: an offer
# is written to the outbox when some wait); so does a call's final status (its hold, if any).
BOUNDS = {
    "voice.incoming": 3, "voice.menu": 6, "voice.case_start": 2, "voice.case_number": 4,
    "voice.case_option": 8, "voice.report_start": 5, "voice.report_field": 4,
    "voice.report_email": 3, "voice.report_callback": 3, "voice.report_severity": 7,
    "voice.report_recorded": 9, "voice.recording_status": 2, "voice.connect_start": 5,
    "voice.whisper": 3, "voice.whisper_answer": 5, "voice.connect_result": 6,
    "voice.leg_status": 3, "voice.status": 3, "voice.report_after": 3,
}


@pytest.fixture
def counted(monkeypatch):
    """Statements sent per request, by endpoint: {endpoint: [count per request]}."""
    per_request: dict[int, Counter] = {}
    execute = sql.Tx._execute
    requests = itertools.count()

    def counting(self, q, params):
        if not has_request_context():  # the test's own setup, not a webhook
            return execute(self, q, params)
        key = request.environ.setdefault("test.request", next(requests))
        # Lists a process keeps for 30 s (opening hours, closures, company names): read by
        # whichever webhook comes when they are stale, so not counted against it.
        schedule = any(f" {name} " in f" {q.sql} "
                       for name in ("business_hours", "closures", "company_aliases"))
        per_request.setdefault(key, Counter())[
            (request.endpoint, "schedule" if schedule else "other")] += 1
        return execute(self, q, params)

    monkeypatch.setattr(sql.Tx, "_execute", counting)

    def result() -> dict[str, list[int]]:
        out: dict[str, list[int]] = defaultdict(list)
        for counts in per_request.values():
            for (endpoint, kind), n in counts.items():
                if kind == "other":
                    out[endpoint].append(n)
        per_request.clear()
        return out

    return result


def walk_both_flows(app, twilio, clock) -> None:
    """A report put through, then a lookup of its number; the walks' own checks must pass."""
    clock("2026-12-07 10:00")
    report = CallWalk(twilio.post, Reporter(), caller_id="+584125550777").run()
    assert report.case_numbers and not report.ended.startswith("failed"), report.path_log
    lookup = CallWalk(twilio.post, Lookup(report.case_numbers),
                      caller_id="+584125550888").run()
    # Found: the caller hears the status and hangs up at the options.
    assert lookup.path_log[-1].startswith("/voice/case/number"), lookup.path_log
    assert lookup.ended == "caller-hung-up", lookup.ended


def test_few_statements_per_webhook(app, twilio, clock, counted):
    """Every webhook of both flows stays within its bound."""
    seed(app)
    walk_both_flows(app, twilio, clock)
    seen = counted()
    assert {"voice.menu", "voice.report_severity", "voice.case_number"} <= set(seen)
    for endpoint, counts in seen.items():
        assert max(counts) <= BOUNDS.get(endpoint, 6), (endpoint, counts)


def test_no_more_statements_with_more_data(app, twilio, clock, counted, session):
    """A thousand more cases (twenty of them, most open, of the caller who looks a case up)
    change no webhook's statement count."""
    seed(app)
    walk_both_flows(app, twilio, clock)
    small = counted()
    now = utcnow()
    session.execute(insert(Case), [
        {"number": f"{9_000_000 + i}", "status": "received" if i % 3 else "resolved",
         "origin_call_sid": f"CAbulk{i:028d}", "origin_seq": 1, "out_of_hours": False,
         "urgent": False, "callback_state": "pending", "caller_number": "+584125550888"
         if i % 50 == 0 else f"+58412{i:07d}", "created_at": now, "updated_at": now}
        for i in range(1000)])
    session.commit()
    walk_both_flows(app, twilio, clock)
    large = counted()
    assert {e: sorted(c) for e, c in large.items()} == {e: sorted(c) for e, c in small.items()}


# The hold queue's webhooks: a wait cycle (every 30 to 45 seconds per waiting caller) reads
# the hold, the analysts on duty, the place and the latest conversations for the estimate.
# Menu 0 with nobody free answers the choice to wait in its own document: the claim that
# found nobody, then the analysts on duty and whether the call waited already (+2).
HOLD_BOUNDS = {"voice.menu": 8, "voice.hold_choice": 6, "voice.hold_wait": 5, "voice.hold_left": 4,
               "voice.hold_offer": 5, "voice.hold_result": 9,
               # The analyst's 1 for a caller from the hold queue also ends their wait (+2).
               "voice.whisper_answer": 7}


def test_few_statements_per_hold_webhook(app, twilio_api, counted):
    """A caller waits two cycles, is offered to the analyst who frees up and talks: every hold
    webhook stays within its bound."""
    line = Line(app, twilio_api)
    try:
        first, = line.analysts(1)

        def on_wait(n: int):
            if n == 2:
                line.free(first)
                line.work()
            return None

        walker, _heard = line.call(HoldCaller(on_wait, dials=["accept"]))
        seen = counted()
    finally:
        line.stop()
    assert line.hold(walker.call_sid).state == "bridged"
    assert set(HOLD_BOUNDS) - {"voice.hold_left"} <= set(seen), seen
    for endpoint, counts in seen.items():
        assert max(counts) <= HOLD_BOUNDS.get(endpoint, BOUNDS.get(endpoint, 6)), \
            (endpoint, counts)
