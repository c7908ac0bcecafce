"""Fixtures: the app on SQLite and PostgreSQL, signed Twilio requests, a movable clock."""

from __future__ import annotations

import os
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.domain.business_hours import CARACAS
from ivr.services.directory import seed_business_hours
from ivr.store.engine import make_engine
from ivr.store.models import Base
from ivr.store.schema import init_db
from ivr.store.tx import transaction
from tests.browser_support import browser, server  # noqa: F401 - Chromium and a served app
from tests.dovecot import dovecot, dovecot_server  # noqa: F401 - a real IMAP server
from tests.twilio_fake import twilio_api  # noqa: F401 - the fake of Twilio's REST API

# A far time zone for the process: the application must use Caracas time whatever the server's.
os.environ["TZ"] = "Pacific/Kiritimati"
time.tzset()

TOKEN = "test-auth-token-0123456789abcdef"
ADMIN_PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"


def _pg_admin_engine():
    """An autocommit engine on the admin database, or None when PostgreSQL is not there."""
    from ivr.config import normalise_database_url

    engine = create_engine(normalise_database_url(ADMIN_PG_URL), isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        engine.dispose()
        if REQUIRE_POSTGRES:
            pytest.fail(f"REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {error}")
        return None
    return engine


@pytest.fixture(scope="session")
def pg_server():
    """Admin access to the PostgreSQL server, or a skip (a failure under REQUIRE_POSTGRES)."""
    engine = _pg_admin_engine()
    if engine is None:
        pytest.skip("PostgreSQL not reachable (set REQUIRE_POSTGRES=1 to make this a failure)")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def make_pg_database(pg_server):
    """Create throwaway PostgreSQL databases; all dropped at the end of the session."""
    created = []

    def make() -> str:
        """A new empty database's URL."""
        name = f"ivr_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with pg_server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        parts = urlsplit(ADMIN_PG_URL)
        return parts._replace(path=f"/{name}").geturl()

    yield make
    with pg_server.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """One database per backend for the session, created from schema.sql."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'ivr.sqlite3'}"
    else:
        url = request.getfixturevalue("make_pg_database")()
    engine = make_engine(_driver(url))
    init_db(engine)
    engine.dispose()
    return url


def _driver(url: str) -> str:
    """The URL with the driver the app would use."""
    from ivr.config import normalise_database_url

    return normalise_database_url(url)


def _empty_tables(engine) -> None:
    """Delete every row, keeping the schema (fast between tests)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def app(database_url, tmp_path):
    """The application on an empty database of the current backend."""
    application = create_app({
        "IVR_ENV": "testing",
        "DATABASE_URL": database_url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "SECRET_KEY": "test-secret",
        "PUBLIC_BASE_URL": "",
        "SPOOL_DIR": str(tmp_path / "spool"),
    })
    application.instance_path = str(tmp_path)
    state = application.extensions["ivr"]
    state.schedules.path = str(tmp_path / "schedule-cache.json")
    _empty_tables(state.engine)
    with transaction(state.engine) as tx:
        seed_business_hours(tx)
    yield application
    state.engine.dispose()


@pytest.fixture
def db(app):
    """A transaction on the application's engine, for setting the test up through the services
    (and the test's own statements). Commit it before a webhook or a command runs: on SQLite
    it holds the writer's lock while open. What is left is committed at teardown."""
    with transaction(app.extensions["ivr"].engine) as tx:
        yield tx


def orm_session(app) -> Session:
    """An ORM session on the application's engine, for a test's own reads of the tables."""
    return Session(app.extensions["ivr"].engine, expire_on_commit=False)


@pytest.fixture
def session(app, database_url):
    """A session for the test's own reads (and writes of rows no service makes).

    On SQLite it uses pysqlite's default transactions, where a SELECT takes no lock and sees
    the latest commit: the test can look at rows between webhooks without blocking the app.
    """
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url)
        sessions = sessionmaker(engine, expire_on_commit=False)
    else:
        engine, sessions = None, sessionmaker(app.extensions["ivr"].engine,
                                              expire_on_commit=False)
    s = sessions()
    yield s
    s.close()
    if engine is not None:
        engine.dispose()


@pytest.fixture
def runner(app):
    """The Flask CLI runner."""
    return app.test_cli_runner()


class Twilio:
    """Posts webhooks the way Twilio does: form-encoded, signed for the exact URL."""

    def __init__(self, app, base="http://localhost"):
        """Bind to an application."""
        self.app = app
        self.client = app.test_client()
        self.base = base
        self.validator = RequestValidator(TOKEN)
        self.counter = 0

    def new_sid(self, prefix="CA") -> str:
        """A fresh CallSid-like id."""
        self.counter += 1
        return f"{prefix}{uuid.uuid4().hex[:26]}{self.counter:06d}"

    def sign(self, url: str, params: dict) -> str:
        """The X-Twilio-Signature for a URL and parameters."""
        return self.validator.compute_signature(url, params)

    def post(self, path: str, params: dict | None = None, *, signature: str | None = None,
             headers: dict | None = None, base: str | None = None):
        """POST a signed webhook to a path (with its query string)."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        url = (base or self.base) + path
        sig = self.sign(url, params) if signature is None else signature
        all_headers = {"X-Twilio-Signature": sig, **(headers or {})}
        return self.client.post(path, data=params, headers=all_headers,
                                base_url=base or self.base)


@pytest.fixture
def twilio(app):
    """A signed-webhook poster for the app."""
    return Twilio(app)


def call_params(sid: str, caller: str = "+584125550123", **extra) -> dict:
    """The parameters Twilio sends with every request of an inbound call."""
    params = {
        "CallSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": caller,
        "Caller": caller,
        "To": "+15005550006",
        "Called": "+15005550006",
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


def twiml(response) -> ET.Element:
    """Parse a TwiML answer, checking that it is 200 text/xml."""
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


def spoken(root: ET.Element) -> str:
    """All the words said in a TwiML document, in order."""
    return " ".join((e.text or "") for e in root.iter("Say"))


def caracas(text_: str) -> float:
    """A Caracas wall-clock time ('2027-02-08 09:00') as an epoch, for time-machine."""
    local = datetime.fromisoformat(text_).replace(tzinfo=CARACAS)
    return local.timestamp()


@pytest.fixture
def clock():
    """Move the clock: clock('2027-02-08 09:00') freezes it there (Caracas time)."""
    travellers = []

    def travel(when: str):
        """Freeze time at a Caracas wall-clock time."""
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(caracas(when), tick=False)
        traveller.start()
        travellers.append(traveller)

    yield travel
    for traveller in travellers:
        traveller.stop()


class NoBackgroundReplay:
    """A spool replayer that never starts on its own: for tests that replay the spool
    themselves and count what it applied (a background replay could take it first)."""

    def poke(self, app) -> None:
        """Nothing: no background replay."""
