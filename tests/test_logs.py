"""One structured JSON line per webhook; caller numbers masked; no token, no signature.

A whole fault report is walked, plus a forged request, requests answered while the database
is gone, and a handler failing with the caller's number in its exception. The output of the
application's JSON handler is captured (and pytest's caplog records too): every webhook has
exactly one line with call, step, outcome, status and ms; the caller's number appears in no
form anywhere (only masked); the auth token and the X-Twilio-Signature values never do.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from ivr.domain.phones import mask_phone
from tests.call_walker import CallWalk, database_gone
from tests.conftest import TOKEN, call_params
from tests.test_db_kill import Reporter

CALLER = "+584127654321"
# The caller's number in the shapes it could leak in: raw, national, the digits alone.
CALLER_FORMS = (CALLER, "04127654321", "4127654321", "7654321")


@pytest.fixture
def json_lines():
    """What the application's JSON log handler writes during the test, as a list of lines."""
    handler = next(h for h in logging.getLogger("ivr").handlers if getattr(h, "ivr_json", False))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield lambda: buffer.getvalue().splitlines()
    handler.setStream(previous)


class SigningSpy:
    """Wraps the Twilio poster: keeps every signature sent."""

    def __init__(self, twilio):
        """Spy on this poster."""
        self.twilio = twilio
        self.signatures: list[str] = []
        self.posted = 0

    def post(self, path, params=None, **kwargs):
        """Sign, remember the signature, post."""
        signature = self.twilio.sign(self.twilio.base + path, {
            k: v for k, v in (params or {}).items() if v is not None})
        self.signatures.append(signature)
        self.posted += 1
        return self.twilio.post(path, params, signature=signature, **kwargs)


def test_one_masked_json_line_per_webhook(app, twilio, clock, caplog, json_lines, monkeypatch):
    """Every webhook logs once, structured; no number, token or signature anywhere."""
    clock("2026-12-07 09:00")
    spy = SigningSpy(twilio)
    caplog.set_level(logging.INFO, logger="ivr")
    # A whole report, put through (nobody free: the callback queue).
    walk = CallWalk(spy.post, Reporter(), caller_id=CALLER).run()
    assert not walk.failures and walk.case_numbers
    # A forged request: refused, still logged once.
    forged = twilio.client.post("/voice/incoming", data=call_params("CAforged", CALLER),
                                headers={"X-Twilio-Signature": "Zm9yZ2Vk"})
    assert forged.status_code == 403
    # The database gone: degraded answers.
    with database_gone(app):
        assert spy.post("/voice/menu?t=1", call_params(walk.sid, CALLER, Digits="2")
                        ).status_code == 200
        assert spy.post("/voice/status", call_params(walk.sid, CALLER, CallStatus="completed")
                        ).status_code == 204

    # A bug whose exception carries the caller's number: the apology, and a scrubbed log.
    def failing(phone, *_args, **_kwargs):
        """Fail the way a bug would, naming the caller (in two forms)."""
        national = "0" + phone[3:]
        raise ValueError(f"no contact for {phone} (national {national})")

    import ivr.voice.menu as menu

    monkeypatch.setattr(menu, "find_contact", lambda _session, phone: failing(phone))
    assert spy.post("/voice/incoming", call_params("CAbug" + "0" * 29, CALLER)
                    ).status_code == 200
    state = app.extensions["ivr"]
    assert state.apologies == 1 and state.degraded == 2

    lines = json_lines()
    records = [json.loads(line) for line in lines]  # every line is JSON
    webhooks = [r for r in records if r["msg"] == "webhook"]
    assert len(webhooks) == spy.posted + 1  # + the forged one
    for record in webhooks:
        assert {"call", "step", "outcome", "status", "from", "ms"} <= set(record), record
        assert isinstance(record["ms"], int | float) and record["ms"] >= 0
        assert record["step"] and record["step"].startswith("voice.")
        assert record["from"] in (mask_phone(CALLER), mask_phone("+15005550006")), record
    outcomes = [r["outcome"] for r in webhooks]
    assert outcomes.count("forbidden") == 1 and outcomes.count("apology") == 1
    assert outcomes.count("database-unavailable") == 2
    assert {r["call"] for r in webhooks} >= {walk.sid, "CAforged"}
    steps = [r["step"] for r in webhooks if r["call"] == walk.sid]
    assert steps[0] == "voice.incoming" and "voice.report_recorded" in steps
    # The one bug's traceback (other error lines say plainly that nobody could be rung).
    [bug] = [r for r in records if r["level"] == "error" and "Traceback" in r["msg"]]
    assert "Traceback" in bug["msg"] and "ValueError: no contact for" in bug["msg"]

    captured = "\n".join(lines) + "\n".join(
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for form in CALLER_FORMS:
        assert form not in captured, form
    assert TOKEN not in captured
    assert spy.signatures and not [s for s in spy.signatures if s in captured]
    assert "Zm9yZ2Vk" not in captured


# Run as a fresh process, so that configure_logging runs for the first time there.
_GLOBALS_SCRIPT = """
import logging, sys
import gunicorn.glogging

before = dict(vars(logging))
root_handlers, root_level = list(logging.root.handlers), logging.root.level
from ivr.logs import configure_logging
configure_logging()
configure_logging()
after = dict(vars(logging))
changed = sorted(name for name in before.keys() | after.keys()
                 if before.get(name, before) is not after.get(name, after))
assert not changed, changed
assert logging.root.handlers == root_handlers and logging.root.level == root_level
print("unchanged", len(before))
"""


def test_logging_module_left_alone():
    """configure_logging rebinds none of the logging module's globals (its switches, the
    logger and record classes) and leaves the root logger as it was."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _GLOBALS_SCRIPT], cwd=root, check=False,
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("unchanged")


def test_other_formats_still_work():
    """After configure_logging (as create_app calls it), gunicorn's `[%(process)d]` lines and
    formats naming the thread, the process or the source line come out whole."""
    import os
    import threading

    import gunicorn.glogging

    from ivr.logs import configure_logging

    configure_logging()
    assert logging.logProcesses and logging.logThreads and logging.logMultiprocessing
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter(
        gunicorn.glogging.Logger.error_fmt + " %(thread)d %(processName)s "
        "%(module)s:%(funcName)s:%(lineno)d", gunicorn.glogging.Logger.datefmt))
    logger = logging.getLogger("gunicorn.error.test")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.info("Booting worker")
    finally:
        logger.removeHandler(handler)
    line = buffer.getvalue()
    assert "--- Logging error ---" not in line
    assert f"[{os.getpid()}] [INFO] Booting worker {threading.get_ident()} " in line, line
    assert "test_logs:test_other_formats_still_work:" in line, line
