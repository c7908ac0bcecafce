"""The database dies mid-load: every caller is still answered, and no case is lost.

Concurrent callers (threads, each a whole call walked verb by verb: a fault report with
speech answers, a recording and the put-through to an analyst, or a case lookup) run while
the database is taken away: a PostgreSQL cluster that this test starts itself is stopped
with `pg_ctl stop -m immediate` and started again, and a SQLite file is held under an
exclusive lock. Every answer must be 200 TwiML (204 for callbacks) within a second; callers
who meet the outage get the degraded TwiML (the fallback phones, then a recorded message).
Then the application recovers without a restart, the spool is replayed, and every
RecordingSid a caller posted is stored on a case and every case number a caller heard exists.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from ivr import create_app
from ivr.services.directory import seed_business_hours
from ivr.store.engine import make_engine
from ivr.store.models import Case, Recording
from ivr.store.schema import init_db
from ivr.store.spool import Spool
from ivr.store.tx import transaction
from tests.call_walker import HANGUP, Caller, CallWalk
from tests.conftest import TOKEN, Twilio
from tests.routing_support import add_analysts

PG_BIN = Path("/usr/lib/postgresql/15/bin")
OPEN = "2026-12-07 09:00"  # a Monday morning in Caracas: open
ANSWER_LIMIT_SECONDS = 1.0
# A status callback (204) plays nothing to anyone: Twilio waits 15 s for it, and a caller never
# hears it, so it may wait on the lock longer than a TwiML answer the caller is waiting for.
CALLBACK_LIMIT_SECONDS = 5.0


# --- the callers ----------------------------------------------------------------------------


class Reporter(Caller):
    """Menu 2, company/name/cargo by speech, skips the e-mail, same number, severity 1, a
    recording, then takes the put-through; offline, lets the fallback phones ring out."""

    SPEECH = {"company": "Empresa Demo", "name": "María Pérez", "position": "Gerente"}

    def gather(self, path, args, gather):
        """The answers a reporting caller gives."""
        answers = {
            "/voice/menu": {"Digits": "2"},
            "/voice/report/field": {"SpeechResult": self.SPEECH.get(args.get("f"), "Demo"),
                                    "Confidence": "0.91"},
            "/voice/report/email": None,  # skipped: silence
            "/voice/report/callback": {"Digits": "1"},
            "/voice/report/severity": {"Digits": "1"},
            "/voice/report/after": {"Digits": "9"},
            "/voice/connect/choice": {"Digits": "1"},
            "/voice/offline/choice": {"Digits": "2"},
            "/voice/case/option": HANGUP,
        }
        return answers.get(path, {"Digits": "1"})

    def dial(self, number):
        """Analysts accept at the whisper; the fallback phones ring out."""
        return "no-answer" if number.get("url", "").startswith("/voice/fallback") else "accept"


class Lookup(Reporter):
    """Menu 1 with a case number another caller was given (then hangs up at the options)."""

    def __init__(self, known: list[str]):
        """Numbers heard by earlier callers."""
        self.known = known

    def gather(self, path, args, gather):
        """Key a known case number (a report instead when the line says no more lookups)."""
        if path == "/voice/menu":
            said = " ".join(say.text or "" for say in gather.iter("Say"))
            return {"Digits": "2" if "No podemos buscar" in said else "1"}
        if path == "/voice/case/number":
            return {"Digits": self.known[-1] if self.known else "1234567"}
        if path == "/voice/case/confirm":
            return {"Digits": "2"}
        return super().gather(path, args, gather)


# --- load -----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    """Every call walked during a load, and what the application counted."""

    walks: list[CallWalk]
    degraded: int
    apologies: int
    started: float = 0.0
    events: tuple = ()

    @property
    def answers(self):
        """Every request of every call."""
        return [a for w in self.walks for a in w.answers]

    @property
    def non_200(self) -> int:
        """Answers that were not 200 TwiML (or an empty 204 for a callback)."""
        return sum(1 for a in self.answers if not a.ok)

    @property
    def slowest(self) -> float:
        """The slowest answer, in seconds."""
        return max(a.seconds for a in self.answers)


def run_load(app, workers: int, timeline: list[tuple[float, object]], until: float
             ) -> LoadResult:
    """Callers in threads for `until` seconds; timeline actions run at their offsets."""
    walks: list[CallWalk] = []
    known: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        """Place calls one after another until told to stop."""
        poster = Twilio(app)
        n = 0
        try:
            while not stop.is_set():
                n += 1
                caller = Lookup(known) if n % 4 == 0 else Reporter()
                walk = CallWalk(poster.post, caller, caller_id=f"+58414{index:03d}{n % 10000:04d}")
                walk.run()
                with lock:
                    walks.append(walk)
                    if isinstance(caller, Reporter) and not isinstance(caller, Lookup):
                        known.extend(walk.case_numbers)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    # One call first: the first requests of a process load prompts, phone metadata and
    # holidays, and open the pool; that is start-up, not what this load measures.
    CallWalk(Twilio(app).post, Reporter(), caller_id="+584140000000").run()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    started = time.perf_counter()
    events = []
    for thread in threads:
        thread.start()
    try:
        for offset, action in timeline:
            time.sleep(max(0.0, started + offset - time.perf_counter()))
            begun = time.perf_counter() - started
            action()
            events.append((getattr(action, "__name__", "action"), round(begun, 2),
                           round(time.perf_counter() - started, 2)))
        time.sleep(max(0.0, started + until - time.perf_counter()))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    state = app.extensions["ivr"]
    return LoadResult(walks, state.degraded, state.apologies, started, tuple(events))


def drain_spool(app, seconds: float = 30.0) -> None:
    """Replay the spool (the background replayer's way, so never twice at once) until empty."""
    state = app.extensions["ivr"]
    store = Spool(state.settings.spool_dir)
    deadline = time.perf_counter() + seconds
    while store.pending() and time.perf_counter() < deadline:
        if not state.replayer.run(app):  # a background replay is running: let it finish
            time.sleep(0.1)


def nothing_lost(url: str, result: LoadResult) -> dict:
    """Check every RecordingSid and every case number heard against the database; counts."""
    engine = create_engine(_driver(url))
    with Session(engine) as session:
        recordings = {r.recording_sid: r for r in session.scalars(select(Recording))}
        cases = {c.number: c for c in session.scalars(select(Case))}
    engine.dispose()
    lost_recordings = [sid for w in result.walks for sid in w.recordings
                       if sid not in recordings or recordings[sid].case_id is None]
    lost_numbers = [n for w in result.walks for n in w.case_numbers if n not in cases]
    # A reporter's own case numbers belong to its own call (an offline number is never
    # silently swapped for another case's).
    foreign = [(w.sid, n) for w in result.walks if not isinstance(w.caller, Lookup)
               for n in w.case_numbers if n in cases and cases[n].origin_call_sid != w.sid]
    counts = {
        "calls": len(result.walks),
        "calls_answered": sum(1 for w in result.walks if not w.failures),
        "webhooks": len(result.answers),
        "non_200": result.non_200,
        "degraded_answers": result.degraded,
        "apologies": result.apologies,
        "calls_through_outage": sum(1 for w in result.walks
                                    if any("/voice/offline" in p for p in w.path_log)),
        "recordings_posted": sum(len(w.recordings) for w in result.walks),
        "case_numbers_heard": sum(len(w.case_numbers) for w in result.walks),
        "cases_lost": len(lost_recordings) + len(lost_numbers) + len(foreign),
        "slowest_answer_s": round(result.slowest, 3),
    }
    assert not lost_recordings, lost_recordings
    assert not lost_numbers, lost_numbers
    assert not foreign, foreign
    return counts


def assert_every_answer_good(result: LoadResult) -> None:
    """200 TwiML or 204 for every request, each TwiML answer within a second (a status
    callback within CALLBACK_LIMIT_SECONDS), and no bug answers."""
    bad = [(w.sid, a) for w in result.walks for a in w.failures]
    assert not bad, bad[:5]
    slow = sorted(((round(a.seconds, 2), round(a.at - result.started, 2), a.path)
                   for a in result.answers if a.seconds >= (
                       CALLBACK_LIMIT_SECONDS if a.kind == "callback" else ANSWER_LIMIT_SECONDS)),
                  reverse=True)
    assert not slow, (slow[:10], result.events)
    assert result.apologies == 0
    assert all(w.ended in ("hangup", "caller-hung-up") for w in result.walks), \
        {w.ended for w in result.walks}


# --- SQLite: the file held under an exclusive lock mid-load ---------------------------------


@pytest.mark.slow
def test_sqlite_locked_mid_load_loses_no_case(clock, tmp_path, record_property):
    """An exclusive lock held for seconds under concurrent calls: 0 non-200, 0 cases lost."""
    clock(OPEN)
    path = tmp_path / "data" / "ivr.sqlite3"
    url = f"sqlite:///{path}"
    app = make_app(url, tmp_path)
    holder = sqlite3.connect(str(path), timeout=5, isolation_level=None)
    try:
        result = run_load(app, workers=4, until=4.5, timeline=[
            (1.0, lambda: holder.execute("BEGIN EXCLUSIVE")),
            (2.5, lambda: holder.execute("ROLLBACK")),
        ])
        assert_every_answer_good(result)
        assert result.degraded > 0
        assert recovers(app)
        drain_spool(app)
        assert not Spool(app.extensions["ivr"].settings.spool_dir).pending()
        counts = nothing_lost(url, result)
    finally:
        holder.close()
        app.extensions["ivr"].engine.dispose()
    for name, value in counts.items():
        record_property(name, value)
    print(f"\nDB lock (SQLite): {counts}")


# --- PostgreSQL: a cluster of the test's own, killed mid-load -------------------------------


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A throwaway PostgreSQL cluster run as the postgres user (initdb refuses root)."""

    def __init__(self):
        """initdb into a fresh temporary directory that the postgres user owns."""
        self.directory = Path(tempfile.mkdtemp(prefix="ivr-pg-kill-"))
        owner = pwd.getpwnam("postgres")
        os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        os.chmod(self.directory, 0o700)
        self.data = self.directory / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.as_postgres(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                         "--no-sync", "-E", "UTF8")

    def as_postgres(self, *argv) -> None:
        """Run a PostgreSQL program as the postgres user."""
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, argv)], check=True,  # noqa: S603, S607
                       capture_output=True, timeout=60)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        # fsync off: a killed server keeps what the OS has (only a machine crash loses it).
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off")
        self.as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-o", options,
                         "-l", self.directory / "server.log", "-w", "start")

    def kill(self) -> None:
        """Stop it the hard way: no checkpoint, connections cut."""
        self.as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        """Stop (if running) and delete everything."""
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def cluster():
    """A PostgreSQL cluster of this test's own, removed afterwards whatever happens."""
    if os.geteuid() != 0 or shutil.which("runuser") is None or \
            not (PG_BIN / "initdb").exists():
        pytest.skip("needs root, runuser and PostgreSQL 15 binaries to run a private cluster")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres user")
    made = None
    try:
        made = Cluster()
        made.start()
        yield made
    finally:
        if made is not None:
            made.remove()


def make_app(url: str, tmp_path: Path):
    """The application on a database of the test's own, schema and hours and analysts in."""
    engine = make_engine(_driver(url))
    init_db(engine)
    with transaction(engine) as tx:
        seed_business_hours(tx)
        add_analysts(tx, 3)
    engine.dispose()
    app = create_app({"IVR_ENV": "testing", "DATABASE_URL": url, "TWILIO_AUTH_TOKEN": TOKEN,
                      "SECRET_KEY": "x", "PUBLIC_BASE_URL": "",
                      "SPOOL_DIR": str(tmp_path / "spool")})
    app.extensions["ivr"].schedules.path = str(tmp_path / "schedule.json")
    return app


def _driver(url: str) -> str:
    """The URL with the driver the application uses."""
    from ivr.config import normalise_database_url

    return normalise_database_url(url)


def recovers(app, seconds: float = 10.0) -> bool:
    """Whether a new call is answered from the database again (no restart, no degraded)."""
    state = app.extensions["ivr"]
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        before = state.degraded
        walk = CallWalk(Twilio(app).post, Reporter())
        root = walk.webhook("/voice/incoming")
        if root is not None and state.degraded == before:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_postgres_killed_mid_load_loses_no_case(cluster, clock, tmp_path, record_property):
    """pg_ctl stop -m immediate under concurrent calls, then start: 0 non-200, 0 cases lost."""
    clock(OPEN)
    app = make_app(cluster.url, tmp_path)
    try:
        result = run_load(app, workers=6, until=8.0, timeline=[
            (2.0, cluster.kill),
            (4.5, cluster.start),
        ])
        assert_every_answer_good(result)
        assert result.degraded > 0  # the outage was met mid-call
        assert recovers(app)
        drain_spool(app)
        assert not Spool(app.extensions["ivr"].settings.spool_dir).pending()
        counts = nothing_lost(cluster.url, result)
    finally:
        app.extensions["ivr"].engine.dispose()
    assert counts["calls_through_outage"] > 0
    for name, value in counts.items():
        record_property(name, value)
    print(f"\nDB kill (PostgreSQL): {counts}")
