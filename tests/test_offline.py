"""The database goes away: callers are still routed, what they give is spooled and replayed."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from ivr import create_app
from ivr.services.directory import seed_business_hours
from ivr.services.replay import offline_case_number
from ivr.store.engine import make_engine
from ivr.store.models import Call, Case, Recording
from ivr.store.schema import init_db
from ivr.store.spool import Spool
from ivr.store.tx import transaction
from ivr.voice.offline import replay_spool
from tests.conftest import TOKEN, NoBackgroundReplay, Twilio, call_params, spoken, twiml

FALLBACK = "+584140143913"


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on a SQLite file in a directory of its own (so the directory can vanish)."""
    db_dir = tmp_path / "data"
    url = f"sqlite:///{db_dir / 'ivr.sqlite3'}"
    engine = make_engine(url)
    init_db(engine)
    with transaction(engine) as tx:
        seed_business_hours(tx)
    engine.dispose()
    app = create_app({"IVR_ENV": "testing", "DATABASE_URL": url, "TWILIO_AUTH_TOKEN": TOKEN,
                      "SECRET_KEY": "x", "PUBLIC_BASE_URL": "",
                      "SPOOL_DIR": str(tmp_path / "spool")})
    app.extensions["ivr"].schedules.path = str(tmp_path / "schedule.json")
    app.extensions["ivr"].replayer = NoBackgroundReplay()  # the tests replay, and count
    app.db_dir = db_dir
    app.db_url = url
    yield app
    app.extensions["ivr"].engine.dispose()


def rows(app, model):
    """All rows of a model, read with a plain connection."""
    engine = create_engine(app.db_url)
    with Session(engine) as session:
        found = list(session.scalars(select(model)))
    engine.dispose()
    return found


@pytest.fixture
def locked(sqlite_app):
    """Hold the database under an exclusive lock while the test runs the webhook."""
    holder = sqlite3.connect(str(sqlite_app.db_dir / "ivr.sqlite3"), timeout=0)
    holder.isolation_level = None

    def lock():
        """Take the exclusive lock."""
        holder.execute("BEGIN EXCLUSIVE")

    def unlock():
        """Release it."""
        holder.execute("ROLLBACK")

    yield lock, unlock
    holder.close()


def timed_post(poster, path, params):
    """Post and return (parsed TwiML or response, seconds taken)."""
    started = time.perf_counter()
    response = poster.post(path, params)
    return response, time.perf_counter() - started


def test_locked_database_in_hours_dials_fallback_within_a_second(sqlite_app, locked, clock):
    """Locked database, open hours: 200 TwiML within a second dialling the fallback phones."""
    lock, unlock = locked
    clock("2026-12-07 09:00")
    poster = Twilio(sqlite_app)
    twiml(poster.post("/voice/incoming", call_params(poster.new_sid())))  # schedule cached
    sid = poster.new_sid()
    lock()
    response, seconds = timed_post(poster, "/voice/incoming", call_params(sid))
    unlock()
    root = twiml(response)
    assert seconds < 1.0
    dial = root.find("Dial")
    assert dial.find("Number").text == FALLBACK
    assert dial.find("Number").get("url") == "/voice/fallback/whisper"
    assert sqlite_app.extensions["ivr"].degraded == 1
    assert sqlite_app.extensions["ivr"].apologies == 0
    assert replay_spool(sqlite_app) == 1
    assert [c.call_sid for c in rows(sqlite_app, Call) if c.call_sid == sid] == [sid]


def test_closed_and_offline_message_becomes_a_case(sqlite_app, clock):
    """Directory gone at night: the caller leaves a message, hears a number, the case appears."""
    clock("2026-12-07 21:00")
    poster = Twilio(sqlite_app)
    twiml(poster.post("/voice/incoming", call_params(poster.new_sid())))
    hidden = sqlite_app.db_dir.with_name("hidden")
    os.rename(sqlite_app.db_dir, hidden)
    sid = poster.new_sid()
    root = twiml(poster.post("/voice/incoming", call_params(sid, ForwardedFrom="+582124713239")))
    # The apology promises nobody now: it is closed, and the choice says what there is.
    assert "el centro está cerrado" in spoken(root)
    assert "Le comunicamos" not in spoken(root)
    gather = root.find("Gather")
    assert gather.get("action") == "/voice/offline/choice"
    assert root.find("Record").get("action") == "/voice/offline/recorded"  # silence: a message
    root = twiml(poster.post(gather.get("action"), call_params(sid, Digits="2")))
    record = root.find("Record")
    root = twiml(poster.post(record.get("action"), call_params(
        sid, RecordingSid="REoff1", RecordingUrl="https://x/REoff1", RecordingDuration="25",
        Digits="#")))
    number = offline_case_number(sid)
    assert ", ".join(number) in spoken(root)
    assert poster.post("/voice/offline/recording-status", call_params(
        sid, RecordingSid="REoff1", RecordingStatus="completed")).status_code == 204
    assert poster.post("/voice/status", call_params(
        sid, CallStatus="completed", CallDuration="70")).status_code == 204
    os.rename(hidden, sqlite_app.db_dir)
    assert replay_spool(sqlite_app) >= 5
    assert not Spool(sqlite_app.extensions["ivr"].settings.spool_dir).pending()
    case = next(c for c in rows(sqlite_app, Case) if c.origin_call_sid == sid)
    assert case.number == number and case.status == "received"
    assert case.callback_state == "pending" and case.due_at is not None
    assert case.caller_number == "+584125550123" and "2" in case.notes
    recording = next(r for r in rows(sqlite_app, Recording) if r.recording_sid == "REoff1")
    assert recording.case_id == case.id and recording.status == "completed"
    call = next(c for c in rows(sqlite_app, Call) if c.call_sid == sid)
    assert call.status == "completed" and call.forwarded_from == "+582124713239"
    assert replay_spool(sqlite_app) == 0  # nothing twice


def test_report_interrupted_midway_is_completed_by_replay(sqlite_app, locked, clock):
    """The database locks during a report: the later steps are spooled and replayed in order."""
    lock, unlock = locked
    clock("2026-12-07 21:00")
    poster = Twilio(sqlite_app)
    sid = poster.new_sid()
    twiml(poster.post("/voice/report?r=1", call_params(sid)))
    case = rows(sqlite_app, Case)[0]
    lock()
    root = twiml(poster.post(f"/voice/report/severity?c={case.id}&t=1",
                             call_params(sid, Digits="1")))
    assert root.find("Record") is not None or root.find("Gather") is not None
    twiml(poster.post(f"/voice/report/recorded?c={case.id}", call_params(
        sid, RecordingSid="REmid", RecordingUrl="https://x/REmid", RecordingDuration="9",
        Digits="hangup", CallStatus="completed")))
    unlock()
    replay_spool(sqlite_app)
    case = rows(sqlite_app, Case)[0]
    assert case.severity == 1 and case.status == "received"
    assert [r.recording_sid for r in rows(sqlite_app, Recording)] == ["REmid"]


@pytest.mark.parametrize("extra", [{}, {"ErrorCode": "11205", "ErrorUrl": "https://x/voice"}])
def test_fallback_url_without_database(sqlite_app, extra):
    """The Fallback URL never touches the database."""
    os.rename(sqlite_app.db_dir, sqlite_app.db_dir.with_name("gone"))
    poster = Twilio(sqlite_app)
    root = twiml(poster.post("/voice/fallback", call_params(poster.new_sid(), **extra)))
    assert root.find("Dial/Number").text == FALLBACK


def test_satisfaction_given_while_the_database_is_locked_is_replayed(sqlite_app, locked,
                                                                    clock):
    """The score is spooled (the caller only hears goodbye) and kept with the call once the
    database answers again; the words of the report's fault are replayed the same way."""
    lock, unlock = locked
    clock("2026-12-07 21:00")
    poster = Twilio(sqlite_app)
    sid = poster.new_sid()
    twiml(poster.post("/voice/report?r=1", call_params(sid)))
    case = rows(sqlite_app, Case)[0]
    lock()
    twiml(poster.post(f"/voice/report/severity?c={case.id}&t=1", call_params(
        sid, SpeechResult="no hay internet en la oficina, todo parado")))
    root = twiml(poster.post("/voice/satisfaction", call_params(sid, Digits="5")))
    assert root[-1].tag == "Hangup" and "Hasta luego" in spoken(root)
    unlock()
    replay_spool(sqlite_app)
    case = rows(sqlite_app, Case)[0]
    assert (case.severity, case.area) == (1, "network")
    assert next(c for c in rows(sqlite_app, Call) if c.call_sid == sid).satisfaction == 5
