"""Claims through HTTP: real gunicorn with two workers on PostgreSQL, many callers at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from twilio.request_validator import RequestValidator

from ivr.config import normalise_database_url
from ivr.domain.clock import utcnow
from ivr.store.directory import insert_business_hours
from ivr.store.engine import make_engine
from ivr.store.models import Analyst, DialAttempt
from ivr.store.schema import init_db
from ivr.store.tx import transaction
from tests.conftest import TOKEN, call_params
from tests.routing_support import add_analysts, analyst_phone

ROOT = Path(__file__).resolve().parent.parent
K = 5
CALLERS = 30
WORKERS = 2
NOBODY_FREE = "todos nuestros especialistas están ocupados"

# Keeps the server's offline schedule copy out of the shared instance/ folder, and says when
# each worker has loaded the application (so that both take calls from the start).
GUNICORN_CONFIG = '''
import os
from pathlib import Path

accesslog = "-"
access_log_format = "access %(p)s %(s)s %(U)s"


def post_worker_init(worker):
    """Point this worker's schedule cache at the test's folder; mark the worker ready."""
    worker.wsgi.extensions["ivr"].schedules.path = os.environ["TEST_SCHEDULE_CACHE"]
    (Path(os.environ["TEST_READY_DIR"]) / str(os.getpid())).touch()
'''


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(url: str):
    """Schema, always-open hours instead of the procedure's, K available analysts; the engine
    and ORM sessions for the test's own reads."""
    engine = make_engine(normalise_database_url(url))
    init_db(engine)
    with transaction(engine) as tx:
        # The server's clock cannot be frozen: open every day, all day.
        for day in range(7):
            insert_business_hours(tx, day, "00:00", "23:59")
        add_analysts(tx, K)
    return engine, sessionmaker(engine, expire_on_commit=False)


def answers(base: str) -> bool:
    """Whether the server answers HTTP at all (an unsigned GET gets 403 or 405)."""
    try:
        urllib.request.urlopen(base + "/voice/incoming", timeout=2)  # noqa: S310
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def wait_until_up(base: str, process: subprocess.Popen, ready: Path, log: Path,
                  seconds: float = 30, workers: int = WORKERS) -> None:
    """Poll until every worker has loaded the app and the server answers, or fail with its log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited {process.returncode}:\n{log.read_text()}")
        if len(list(ready.iterdir())) == workers and answers(base):
            return
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer in {seconds} s:\n{log.read_text()}")


@pytest.fixture
def server(make_pg_database, tmp_path):
    """gunicorn -w 2 serving ivr:create_app() on a fresh PostgreSQL database."""
    url = make_pg_database()
    engine, sessions = prepare_database(url)
    port = free_port()
    config = tmp_path / "gunicorn_conf.py"
    config.write_text(GUNICORN_CONFIG)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TZ": os.environ.get("TZ", "UTC"),
        "DATABASE_URL": url,
        "IVR_ENV": "testing",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "SECRET_KEY": "x",
        "SPOOL_DIR": str(tmp_path / "spool"),
        "TEST_SCHEDULE_CACHE": str(tmp_path / "schedule-cache.json"),
        "TEST_READY_DIR": str(tmp_path / "ready"),
    }
    (tmp_path / "ready").mkdir()
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
             "-c", str(config), "ivr:create_app()"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, tmp_path / "ready", log)
        yield base, sessions, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        engine.dispose()


def signed_post(url: str, params: dict) -> tuple[int, bytes]:
    """POST form parameters signed for the exact URL, as Twilio does; (status, body)."""
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    request = urllib.request.Request(  # noqa: S310 - a local test server
        url, data=urlencode(params).encode(), method="POST",
        headers={"X-Twilio-Signature": signature,
                 "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, response.read()


@pytest.mark.slow
def test_parallel_calls_through_gunicorn_claim_each_analyst_once(server):
    """30 callers at once against 5 free analysts: 5 rung, all different; 25 told to wait."""
    base, sessions, log = server
    url = base + "/voice/connect?r=1"
    sids = [f"CA{n:032d}" for n in range(CALLERS)]
    barrier = threading.Barrier(CALLERS, timeout=30)

    def call(n: int):
        """One caller's first hunting step, released with the others."""
        barrier.wait()
        return signed_post(url, call_params(sids[n], f"+58412555{n + 100:04d}"))

    started = time.perf_counter()
    with ThreadPoolExecutor(CALLERS) as pool:
        answers = list(pool.map(call, range(CALLERS)))
    elapsed = time.perf_counter() - started
    rung = {}
    told_to_wait = 0
    for sid, (status, body) in zip(sids, answers, strict=True):
        assert status == 200, body
        root = ET.fromstring(body)
        said = " ".join(e.text or "" for e in root.iter("Say"))
        numbers = [n.text for n in root.iter("Number")]
        if numbers:
            [rung[sid]] = numbers
            assert NOBODY_FREE not in said
        else:
            assert NOBODY_FREE in said, body
            told_to_wait += 1
    analysts = {analyst_phone(i) for i in range(1, K + 1)}
    assert len(rung) == K and set(rung.values()) == analysts
    assert told_to_wait == CALLERS - K
    with sessions() as session:
        leases = session.execute(select(Analyst.phone, Analyst.lease_call_sid)
                                 .where(Analyst.lease_until > utcnow())).all()
        attempts = session.execute(select(DialAttempt.call_sid, DialAttempt.analyst_id)).all()
    assert {sid: phone for phone, sid in leases} == rung
    assert len(attempts) == K and {sid for sid, _a in attempts} == set(rung)
    served = log.read_text()
    assert "Traceback" not in served
    pids = {line.split()[1] for line in served.splitlines()
            if line.startswith("access ") and line.endswith(" /voice/connect")}
    assert len(pids) == WORKERS  # both workers took calls
    print(f"\n[gunicorn] {WORKERS} workers, {CALLERS} parallel calls, K={K}: "
          f"{len(rung)} rung, {told_to_wait} told to wait, {elapsed:.2f}s")
