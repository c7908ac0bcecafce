"""The hold queue under concurrency: real gunicorn with several worker processes on
PostgreSQL, two outbox workers making offer rounds at the same time, callers over HTTP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ivr.config import normalise_database_url
from ivr.domain.clock import utcnow
from ivr.domain.statuses import HoldState
from ivr.services import hold as holding
from ivr.services import routing
from ivr.services.cases import open_case
from ivr.sim.simulator import HttpTransport
from ivr.sim.walker import Answer, Exchange, Observer, Question, Result, Walker
from ivr.state import load_schedule
from ivr.store import calls as call_rows
from ivr.store.directory import insert_business_hours
from ivr.store.engine import make_engine
from ivr.store.schema import init_db
from ivr.store.tx import Q, Rec, transaction
from tests.conftest import TOKEN
from tests.routing_support import add_analysts
from tests.test_gunicorn_claims import GUNICORN_CONFIG, ROOT, free_port, wait_until_up
from tests.twilio_fake import ACCOUNT_SID

SERVERS = 3  # gunicorn worker processes
OUTBOX_WORKERS = 2
ANALYSTS = 3
CALLERS = 20
PATIENCE = 0.3  # real seconds a waiting caller lets pass between wait documents
TALK = 5  # simulated seconds of each conversation
ON_THE_PHONE = 0.3  # real seconds an analyst's phone stays answered (more than a round's wait)
BUDGET = 120  # real seconds for the whole test
JOINING = timedelta(seconds=30)  # the line must stay open while the callers join the wait
MOVED = (HoldState.LEFT, HoldState.TIMED_OUT)  # out of the wait, into the callback queue


class Caller:
    """Plays one caller: 0 at the menu (a person), 1 to wait, silence at each wait cycle; and
    the analyst's phone, which accepts every call rung (a short talk)."""

    def next(self, question: Question) -> Answer | None:
        """The answer to a question, by where it posts."""
        if question.kind == "dial":
            return Answer("dial", "accept", seconds=TALK)
        action = urlsplit(question.action).path
        if action == "/voice/menu":
            return Answer("keys", "0")
        if action == "/voice/hold/choice":
            return Answer("keys", "1")
        return Answer("silence")

    def refused(self, answer: Answer, reason: str) -> None:
        """A planned answer that does not fit: a mistake in the test."""
        raise AssertionError(reason)


class LineCaller(Walker):
    """The walker of one call, whose analyst's phone, once answered, stays busy for a moment of
    real time (ON_THE_PHONE): the workers make rounds while an analyst is on a call, so an
    analyst freed too early would be offered another caller meanwhile (the talk itself is
    simulated time)."""

    def leg_event(self, leg, event: str, status: str, doc) -> None:
        """The leg's status callback; after `answered`, the moment on the phone."""
        super().leg_event(leg, event, status, doc)
        if event == "answered":
            time.sleep(ON_THE_PHONE)


@dataclass
class Legs(Observer):
    """When each analyst's phone was busy for a caller, seen from the calls' side (real time):
    from the first request about a leg to the moment its final status callback was sent (the
    analyst is released in that request, never before)."""

    spans: dict[str, list[float]] = field(default_factory=dict)  # leg sid: [first, last]
    phones: dict[str, str] = field(default_factory=dict)  # leg sid: phone rung
    paths: list[str] = field(default_factory=list)  # every request, for a failure's message

    def exchanged(self, exchange: Exchange) -> None:
        """Note the requests about callee legs."""
        self.paths.append(f"{exchange.path} {exchange.reply.status}")
        if not exchange.leg:
            return
        sid = exchange.params["CallSid"]
        self.phones[sid] = exchange.params["To"]
        span = self.spans.setdefault(sid, [exchange.at, exchange.at])
        if exchange.kind == "callback" and exchange.params.get("CallStatus") in (
                "completed", "no-answer", "busy", "failed", "canceled"):
            span[1] = exchange.at


def prepare_database(url: str):
    """Schema, the line open all day every day (the server's clock cannot be frozen), and the
    analysts, available but each on another call for the next hour; the engine and the
    analysts' ids."""
    engine = make_engine(normalise_database_url(url))
    init_db(engine)
    with transaction(engine) as tx:
        for day in range(7):
            insert_business_hours(tx, day, "00:00", "23:59")
        ids = add_analysts(tx, ANALYSTS)
    with transaction(engine) as tx:
        for analyst_id in ids:
            tx.update("analysts", analyst_id, lease_call_sid=other_call(analyst_id),
                      lease_until=utcnow() + timedelta(hours=1))
    return engine, ids


def wait_until_open(engine) -> None:
    """The callers choose to wait only in hours (nobody free → wait or callback): the real
    clock must be in a window for a while. The hours are 00:00-23:59 every day, so the minute
    23:59 (Caracas) is waited out; on a public holiday the line stays closed: skipped."""
    with transaction(engine) as tx:
        schedule, _data = load_schedule(tx)
    deadline = time.monotonic() + 90
    while True:
        now = datetime.now(UTC)
        status = schedule.status(now)
        if status.is_open and status.closes_at - now >= JOINING:
            return
        if status.is_open or (status.reopens_at is not None
                              and status.reopens_at - now < timedelta(seconds=80)):
            assert time.monotonic() < deadline
            time.sleep(1)
            continue
        pytest.skip(f"the line is closed now ({status.reason} {status.detail or ''}): the "
                    "callers could not choose to wait")


def other_call(analyst_id: int) -> str:
    """The call an analyst is on when the test starts."""
    return f"CAother{analyst_id:04d}"


def rows(engine, sql: str, **params) -> list[Rec]:
    """Rows read by the test itself."""
    with transaction(engine) as tx:
        return tx.rows(Q(sql), **params)


def stop(process: subprocess.Popen) -> int:
    """SIGTERM, then a kill if it does not end; its exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(timeout=5)


@dataclass
class HoldLine:
    """The served line: its base URL, the test's engine, the analysts, the outbox workers."""

    base: str
    engine: object
    analysts: list[int]
    server_log: Path
    workers: list[tuple[subprocess.Popen, Path]]

    def stop_workers(self) -> list[tuple[int, str]]:
        """SIGTERM to each outbox worker: (exit status, output) of each."""
        return [(stop(process), log.read_text()) for process, log in self.workers]


@pytest.fixture
def hold_line(make_pg_database, tmp_path, twilio_api):
    """gunicorn -w 3 and two `outbox work` processes on a fresh PostgreSQL database, with
    Twilio's REST API played by the fake."""
    url = make_pg_database()
    engine, ids = prepare_database(url)
    wait_until_open(engine)
    twilio_api.auth_token = TOKEN
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = tmp_path / "gunicorn_conf.py"
    config.write_text(GUNICORN_CONFIG)
    (tmp_path / "ready").mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TZ": os.environ.get("TZ", "UTC"),
        "DATABASE_URL": url,
        "IVR_ENV": "testing",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_API_URL": twilio_api.url,
        "PUBLIC_BASE_URL": base,
        "SECRET_KEY": "x",
        "SPOOL_DIR": str(tmp_path / "spool"),
        "WRAP_UP_SECONDS": "0",
        "HOLD_MAX_WAIT_MINUTES": "30",
        "SKILL_WAIT_SECONDS": "0",
        "TEST_SCHEDULE_CACHE": str(tmp_path / "schedule-cache.json"),
        "TEST_READY_DIR": str(tmp_path / "ready"),
    }
    server_log = tmp_path / "gunicorn.log"
    processes = []
    with open(server_log, "wb") as out:
        server = subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", "gunicorn", "-w", str(SERVERS), "-b", f"127.0.0.1:{port}",
             "-c", str(config), "ivr:create_app()"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    processes.append(server)
    try:
        wait_until_up(base, server, tmp_path / "ready", server_log, workers=SERVERS)
        workers = []
        for n in range(OUTBOX_WORKERS):
            log = tmp_path / f"outbox-{n}.log"
            with open(log, "wb") as out:
                worker = subprocess.Popen(  # noqa: S603 - fixed arguments
                    [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work",
                     "--interval", "0.2"],
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            processes.append(worker)
            workers.append((worker, log))
        yield HoldLine(base, engine, ids, server_log, workers)
    finally:
        for process in reversed(processes):
            stop(process)
        engine.dispose()


def worker_ready(line: HoldLine) -> None:
    """Both outbox workers are running their rounds (or the test fails with their output)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for process, log in line.workers:
            if process.poll() is not None:
                pytest.fail(f"outbox worker exited {process.returncode}:\n{log.read_text()}")
        if all("outbox worker started" in log.read_text() for _p, log in line.workers):
            return
        time.sleep(0.1)
    pytest.fail("the outbox workers did not start in 30 s")


@pytest.mark.slow
def test_hold_queue_under_concurrent_servers_and_workers(hold_line, twilio_api):
    """20 callers over HTTP against 3 gunicorn processes, 3 analysts all busy: every caller
    chooses to wait on the line. The analysts are then released from this process
    (routing.release, which writes the 'hold_offer' outbox row), and two `outbox work`
    processes, each running offer rounds every 0.2 s besides the rows they deliver, redirect
    the waiting callers through the fake of Twilio's REST API. Every analyst accepts, talks,
    hangs up and (wrap-up 0) is free again at once, so the three are offered caller after
    caller until all 20 are served. An answered analyst's phone stays busy for 0.3 s of real
    time (the talk itself is simulated): the workers make rounds while analysts are on calls.

    What it proves, with several server processes and two workers racing on PostgreSQL:
    - every caller reaches the wait and ends bridged (or moved to the callback queue), each
      with exactly one accepted leg: nobody is put through twice, nobody is lost;
    - every bridged caller's call is redirected exactly once (the fake counts the REST
      updates): no two workers, and no two rounds, offer the same caller;
    - no analyst is offered two callers at once: each leg recorded in the database is
      matched (by the callee leg's CallSid) with the real-time span in which the calls saw
      that analyst's phone busy, from the leg's first request to its final status callback;
      per analyst these spans never overlap, so a leg never rang while the analyst was still
      on the previous one;
    - every analyst ends with no lease, the outbox has no failed row, no webhook failed, and
      neither gunicorn nor the workers logged an error.

    Why not the legs' [started_at, ended_at] in the database: those stamps may overlap by a
    few tens of milliseconds without any double offer, and the test saw it happen. ended_at is
    written by the Dial action, but the leg's own status callback (`completed`), which Twilio
    may send first, already releases the analyst (routing.leg_ended); and started_at is the
    `now` the worker's round read before its claim. The count of such legs is printed.
    """
    line = hold_line
    started = time.monotonic()
    deadline = started + BUDGET
    worker_ready(line)
    observers = [Legs() for _ in range(CALLERS)]
    walkers = [twilio_api.attach(LineCaller(
        # Landlines: no written confirmation (SMS) is due when their calls end.
        HttpTransport(line.base), Caller(), token=TOKEN, caller=f"+58212555{n + 100:04d}",
        max_steps=5000, hold_patience=PATIENCE, observer=observers[n]))
        for n in range(CALLERS)]
    pool = ThreadPoolExecutor(CALLERS)
    futures = [pool.submit(walker.run) for walker in walkers]
    try:
        # Every caller waits before anyone frees up.
        while len(rows(line.engine, "SELECT id FROM holds WHERE state = 'waiting'")) < CALLERS:
            assert time.monotonic() < deadline, "the callers did not all reach the wait"
            ended = [(f.exception() or f.result(), observers[n].paths)
                     for n, f in enumerate(futures) if f.done()]
            assert not ended, ended[0]
            time.sleep(0.1)
        with transaction(line.engine) as tx:
            for analyst_id in line.analysts:
                assert routing.release(tx, analyst_id, other_call(analyst_id), utcnow())
        done, pending = wait_for(futures, timeout=max(deadline - time.monotonic(), 0))
        assert not pending, f"{len(pending)} callers still on the line after {BUDGET} s"
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    elapsed = time.monotonic() - started
    results: list[Result] = [future.result() for future in futures]
    outputs = line.stop_workers()

    # The callers: every call ended with the line's goodbye, no webhook failed.
    assert [r.failures for r in results] == [0] * CALLERS
    assert {r.code for r in results} == {"hangup"}, Counter(r.code for r in results)

    sids = [walker.call_sid for walker in walkers]
    holds = {row.call_sid: row for row in rows(line.engine, "SELECT * FROM holds")}
    assert set(holds) == set(sids)  # every caller waited
    states = Counter(hold.state for hold in holds.values())
    assert set(states) <= {HoldState.BRIDGED, *MOVED}, states
    bridged = [sid for sid in sids if holds[sid].state == HoldState.BRIDGED]

    # Bridged exactly once: one accepted leg per call, the one of the hold's last offer.
    accepted = Counter(row.call_sid for row in rows(
        line.engine, "SELECT call_sid FROM dial_attempts WHERE outcome = 'accepted'"))
    assert {sid: accepted[sid] for sid in sids} == {
        sid: 1 if sid in bridged else 0 for sid in sids}
    legs = rows(line.engine, "SELECT * FROM dial_attempts ORDER BY id")
    assert all(leg.ended_at is not None for leg in legs)
    for sid in bridged:
        [leg] = [leg for leg in legs if leg.call_sid == sid and leg.outcome == "accepted"]
        assert (leg.id, leg.analyst_id) == (holds[sid].attempt_id, holds[sid].analyst_id)

    # Offered once: every analyst accepts, so each bridged caller was redirected once.
    redirects = Counter(sid for sid, _url in twilio_api.redirects)
    assert {sid: redirects[sid] for sid in sids} == {
        sid: 1 if sid in bridged else 0 for sid in sids}, redirects
    assert all(holds[sid].offers == 1 for sid in bridged)

    # No analyst offered two callers at once. Each leg in the database (its analyst, and the
    # callee leg's CallSid the whisper recorded) is matched with when that phone was busy as
    # the calls saw it; per analyst, a leg is first requested only after the previous leg's
    # final status was sent (that request releases the analyst).
    phones = {a.id: a.phone for a in rows(line.engine, "SELECT id, phone FROM analysts")}
    spans = {sid: (observer.phones[sid], span)
             for observer in observers for sid, span in observer.spans.items()}
    assert {leg.dial_call_sid for leg in legs} == set(spans)
    stamped_early = 0  # legs whose started_at precedes the previous leg's ended_at
    for analyst_id in line.analysts:
        mine = sorted((leg for leg in legs if leg.analyst_id == analyst_id),
                      key=lambda leg: spans[leg.dial_call_sid][1][0])
        assert mine, analyst_id  # every analyst took callers
        for leg in mine:
            assert spans[leg.dial_call_sid][0] == phones[analyst_id]
        for before, after in zip(mine, mine[1:], strict=False):
            overlap = spans[before.dial_call_sid][1][1] - spans[after.dial_call_sid][1][0]
            assert overlap < 0, (
                f"analyst {analyst_id} rung for {after.call_sid} (leg {after.id}) {overlap:.3f} s "
                f"before the leg {before.id} for {before.call_sid} had ended")
            stamped_early += after.started_at < before.ended_at

    # Everyone free again; nothing failed in the outbox, the server or the workers.
    leases = rows(line.engine, "SELECT id, lease_call_sid, lease_until FROM analysts")
    assert [(a.lease_call_sid, a.lease_until) for a in leases] == [(None, None)] * ANALYSTS
    outbox = Counter(row.status for row in rows(
        line.engine, "SELECT status FROM outbox WHERE kind = 'hold_offer'"))
    assert not rows(line.engine, "SELECT id FROM outbox WHERE status IN ('failed', 'expired')")
    assert outbox["sent"] >= 1, outbox
    served = line.server_log.read_text()
    assert "Traceback" not in served, served[-4000:]
    assert not re.search(r"^access \S+ 5\d\d ", served, re.MULTILINE), served[-4000:]
    for status, output in outputs:
        assert status == 0, output
        assert "outbox worker stopped" in output, output
        assert "Traceback" not in output and "ERROR" not in output, output
        assert not re.search(r"\b[1-9]\d* failed", output), output

    offers = sum(hold.offers for hold in holds.values())
    moved = sum(states[state] for state in MOVED)
    print(f"\n[hold queue] {CALLERS} callers, {ANALYSTS} analysts, {SERVERS} gunicorn "
          f"processes, {OUTBOX_WORKERS} outbox workers: {len(bridged)} bridged, {moved} moved "
          f"to callback, {offers} offers ({len(twilio_api.redirects)} redirects, max "
          f"{max(redirects.values(), default=0)} per caller), {stamped_early} legs stamped "
          f"before the previous leg's Dial action, {elapsed:.1f}s")


def test_two_offer_rounds_at_once_never_wait_on_each_other(make_pg_database):
    """Two workers' offer rounds at the same moment, each locking different waiting callers
    (callers joined while the first round ran), two free analysts: each round claims the
    analyst it can and skips the one the other is claiming, instead of waiting for it — two
    rounds waiting for each other's rows would deadlock, and PostgreSQL would abort one."""
    engine = make_engine(normalise_database_url(make_pg_database()))
    try:
        init_db(engine)
        config = holding.HoldConfig(timedelta(minutes=30), timedelta(0), timedelta(0), 20)
        with transaction(engine) as tx:
            add_analysts(tx, 2)

        def caller(n: int) -> None:
            sid = f"CA{n:032d}"
            with transaction(engine) as tx:
                call_rows.touch(tx, call_sid=sid, direction="inbound",
                                from_number="+582125550100", from_raw=None,
                                to_number="+582125550000", forwarded_from=None,
                                status="in-progress", now=utcnow())
                holding.join(tx, sid, open_case(tx, sid, 1, "+582125550100", None, False,
                                                utcnow()), utcnow())

        caller(1)
        caller(2)
        claimed = {"A": threading.Event(), "B": threading.Event()}
        real, counts, results = routing.claim_analyst, Counter(), {}

        def claim_then_wait_for_the_other(tx, call_sid, *args, **kwargs):
            me = threading.current_thread().name
            counts[me] += 1
            row = real(tx, call_sid, *args, **kwargs)
            if counts[me] == 1:  # both rounds hold a caller and an analyst: then go on
                claimed[me].set()
                claimed["B" if me == "A" else "A"].wait(10)
            return row

        def offer_round(me: str) -> None:
            try:
                with transaction(engine) as tx:
                    results[me] = holding.claim_offers(tx, utcnow(), config)
            except Exception as error:  # noqa: BLE001 - kept for the assertion
                results[me] = error

        routing.claim_analyst = claim_then_wait_for_the_other
        try:
            first = threading.Thread(target=offer_round, args=("A",), name="A")
            first.start()
            assert claimed["A"].wait(10)
            caller(3)
            caller(4)  # they join while the first round runs: the second round locks them
            second = threading.Thread(target=offer_round, args=("B",), name="B")
            second.start()
            first.join(30)
            second.join(30)
        finally:
            routing.claim_analyst = real
        assert all(isinstance(offers, list) for offers in results.values()), results
        offered = [offer for offers in results.values() for offer in offers]
        assert sorted(o.analyst_id for o in offered) == [1, 2]
        assert len({o.call_sid for o in offered}) == 2
    finally:
        engine.dispose()
