"""No database at all: every route still answers at once, the Fallback URL included.

Two ways for the database to be gone: PostgreSQL at a port where nothing listens, and a
SQLite file whose directory has vanished. Every POST route of the URL map is requested the
way Twilio would, open and closed, with and without ErrorCode/ErrorUrl: each answers 200
TwiML (204 for callbacks) within a second, routes the caller to the fallback phones or to a
recorded message, and never reaches the apology handler. (test_offline.py has the SQLite
lock and the replay of a message; test_db_kill.py kills a server under load.)
"""

from __future__ import annotations

import os
import socket
import time
import xml.etree.ElementTree as ET

import pytest

from ivr import create_app
from ivr.domain.case_numbers import CURRENT_LENGTH, CaseNumberCheck, check_case_number
from ivr.services.directory import seed_business_hours
from ivr.services.replay import offline_case_number
from ivr.store.engine import make_engine
from ivr.store.schema import init_db
from ivr.store.tx import transaction
from ivr.voice import CALLBACK_ENDPOINTS
from ivr.voice.offline import CALLBACK_CALL_ENDPOINTS, SILENT_ENDPOINTS, replay_spool
from tests.conftest import TOKEN, NoBackgroundReplay, Twilio, call_params, spoken, twiml

FALLBACK = ("+584140143913", "+584140320151")
OPEN, CLOSED = "2026-12-07 09:00", "2026-12-07 21:00"
DB_FREE = {"voice.fallback", "voice.fallback_next", "voice.fallback_whisper",
           "voice.fallback_accept"}


def closed_port() -> int:
    """A local port where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=["postgresql-closed-port", "sqlite-directory-gone"])
def gone(request, tmp_path):
    """An application whose database cannot be reached; (app, bring_back or None)."""
    settings = {"IVR_ENV": "testing", "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "x",
                "PUBLIC_BASE_URL": "", "SPOOL_DIR": str(tmp_path / "spool")}
    restore = None
    data = tmp_path / "data"
    if request.param.startswith("postgresql"):
        url = f"postgresql://postgres@127.0.0.1:{closed_port()}/ivr"
    else:
        url = f"sqlite:///{data / 'ivr.sqlite3'}"
        engine = make_engine(url)
        init_db(engine)
        with transaction(engine) as tx:
            seed_business_hours(tx)
        engine.dispose()
    app = create_app({**settings, "DATABASE_URL": url})
    app.extensions["ivr"].schedules.path = str(tmp_path / "schedule.json")
    if data.exists():
        hidden = tmp_path / "hidden"
        os.rename(data, hidden)

        def restore():
            """The directory comes back."""
            os.rename(hidden, data)

    yield app, restore
    app.extensions["ivr"].engine.dispose()


def voice_routes(app) -> list[tuple[str, str]]:
    """(path, endpoint) of every POST route under /voice."""
    return sorted((rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/voice") and "POST" in rule.methods)


def where_it_goes(root: ET.Element) -> str:
    """What the document does with the caller: dial, record, ask, hang up or bridge."""
    tags = [child.tag for child in root]
    for tag in ("Dial", "Record", "Gather", "Hangup"):
        if tag in tags:
            return tag
    return "bridge" if not tags else "+".join(tags)


@pytest.mark.parametrize("when", [OPEN, CLOSED])
@pytest.mark.parametrize("error", [{}, {"ErrorCode": "11205",
                                        "ErrorUrl": "https://ivr.example.com/voice/incoming"}],
                         ids=["plain", "error-code"])
def test_every_route_answers_without_the_database(gone, clock, when, error):
    """Each route: 200 TwiML (or 204) within a second that still routes the caller."""
    app, _restore = gone
    clock(when)
    poster = Twilio(app)
    state = app.extensions["ivr"]
    for path, endpoint in voice_routes(app):
        params = call_params(poster.new_sid(), Digits="1", **error)
        started = time.perf_counter()
        response = poster.post(path + "?t=1&c=1&a=1&f=company&i=0&cb=1", params)
        seconds = time.perf_counter() - started
        assert seconds < 1.0, (path, seconds)
        if endpoint in CALLBACK_ENDPOINTS | SILENT_ENDPOINTS:
            assert response.status_code == 204 and response.data == b"", path
            continue
        root = twiml(response)
        goes = where_it_goes(root)
        if endpoint in ("voice.whisper", "voice.fallback_whisper"):
            assert goes == "Gather" and [c.tag for c in root] == ["Gather", "Hangup"], path
        elif endpoint in ("voice.whisper_answer", "voice.fallback_accept"):
            assert goes == "bridge", path  # 1 pressed on the callee's leg: bridged
        elif endpoint in ("voice.connect_result", "voice.emergency_result",
                          "voice.fallback_next"):
            assert goes in ("Dial", "Record", "Gather", "Hangup"), path
        elif endpoint in CALLBACK_CALL_ENDPOINTS:
            assert goes == "Hangup", path  # a call back on the analyst's phone: nobody dialled
        elif endpoint == "voice.callback_greeting":
            assert [c.tag for c in root] == ["Say"], path  # greeted, then bridged
        elif endpoint in ("voice.offline_recorded", "voice.satisfaction"):
            # A message left, or the score after a conversation: only goodbye is left to say.
            assert goes == "Hangup", path
        elif endpoint in ("voice.alert_call", "voice.alert_answer"):
            # An alert call to an emergency phone: it ends (the next round rings again);
            # dialling the fallback phones from it would only ring them back.
            assert [c.tag for c in root] == ["Say", "Hangup"], path
        elif endpoint in ("voice.hold_wait", "voice.hold_key"):
            # A caller on hold leaves the queue (only wait verbs may be answered there); the
            # Enqueue's action, offline too, dials the fallback phones.
            assert [c.tag for c in root] == ["Leave"], path
        elif endpoint == "voice.offline_choice":
            assert goes == "Record", path  # 1 is not 0 (the emergency phones): a message
        elif when == OPEN or endpoint in DB_FREE:
            assert goes == "Dial", (path, ET.tostring(root))
            assert root.find("Dial/Number").text == FALLBACK[0]
        else:
            # Closed: 0 for the emergency (fallback) phones, else silence records a message.
            assert root.find("Gather") is not None and root.find("Record") is not None, path
    assert state.apologies == 0
    assert state.degraded > 0


def test_fallback_url_first_thing_without_the_database(gone, clock):
    """Twilio's Fallback URL, the very first request of the process, database gone."""
    app, _restore = gone
    clock(OPEN)
    poster = Twilio(app)
    root = twiml(poster.post("/voice/fallback", call_params(
        poster.new_sid(), ErrorCode="11200", ErrorUrl="https://ivr.example.com/voice/menu?t=1")))
    assert "inconveniente técnico" in spoken(root)
    assert root.find("Dial/Number").text == FALLBACK[0]
    assert root.find("Dial").get("action") == "/voice/fallback/next?i=0"
    assert app.extensions["ivr"].apologies == 0


@pytest.mark.parametrize("gone", ["sqlite-directory-gone"], indirect=True)
def test_the_number_given_offline_is_found_once_replayed(gone, clock):
    """The offline case number is longer than online ones (never taken) and is found later."""
    app, restore = gone
    # This test replays the spool itself: no background replay may take it first.
    app.extensions["ivr"].replayer = NoBackgroundReplay()
    clock(CLOSED)
    poster = Twilio(app)
    sid = poster.new_sid()
    root = twiml(poster.post("/voice/offline/recorded", call_params(
        sid, RecordingSid="RE-gone", RecordingUrl="https://x/RE-gone", Digits="#")))
    number = offline_case_number(sid)
    assert len(number) == CURRENT_LENGTH + 1 and check_case_number(number) is CaseNumberCheck.OK
    assert ", ".join(number) in spoken(root)
    restore()
    assert replay_spool(app) == 1
    root = twiml(poster.post("/voice/case/number?t=1", call_params(poster.new_sid(),
                                                                   Digits=number)))
    assert f"Caso {', '.join(number)}" in spoken(root)
