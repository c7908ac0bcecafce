"""Fuzz every Twilio route, signed for real: odd input still gets TwiML, never an apology.

Each example posts one webhook to a route taken from the application's own URL map, with
Twilio's parameter names present, missing, random, oversized (10,000 characters) or odd
Unicode (NUL, surrogates written as text, right-to-left marks, emoji, combining marks), plus
random extra names and random query arguments. The request is signed for the exact URL and
parameters, so it passes the signature check and reaches the handler. Every answer must be 200
with parseable TwiML (204 with an empty body for the callbacks), and well-formed but odd
input must never reach the apology handler (a bug): `apologies` stays 0.

The normal suite runs a few hundred examples (FUZZ_EXAMPLES per database, default 100). The
dedicated run, documented in the README, is

    FUZZ_EXAMPLES=10000 .venv/bin/pytest -q tests/test_fuzz.py

(10,000 examples on each database; add `-k sqlite` or `-k postgresql` for one of them).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from ivr.domain.clock import utcnow
from ivr.services.directory import add_company, add_contact, add_emergency
from ivr.store.models import Case, DialAttempt
from ivr.voice import CALLBACK_ENDPOINTS
from ivr.voice.forms import MAX_CONTENT_LENGTH
from ivr.voice.offline import SILENT_ENDPOINTS
from tests.conftest import call_params
from tests.routing_support import PIN, add_analysts, analyst_phone

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
CONTACT = "+584145550123"
SIDS = [f"CAfuzz{i:026d}" for i in range(4)]

TWILIO_NAMES = (
    "CallSid", "AccountSid", "From", "To", "Caller", "Called", "CallStatus", "Direction",
    "ApiVersion", "ForwardedFrom", "Digits", "SpeechResult", "Confidence", "RecordingSid",
    "RecordingUrl", "RecordingDuration", "RecordingStatus", "DialCallStatus", "DialCallSid",
    "DialCallDuration", "DialBridged", "CallDuration", "SequenceNumber", "ParentCallSid",
    "ErrorCode", "ErrorUrl", "FromCountry", "CallerName", "Timestamp", "StirVerstat",
)
QUERY_NAMES = ("t", "c", "r", "a", "f", "k", "i", "again")

# Plausible values per name: they take the handlers down their real paths.
PLAUSIBLE = {
    "CallSid": SIDS,
    "From": ["+584125550123", CONTACT, analyst_phone(1), "anonymous", "+266696687",
             "04141234567", "unknown", ""],
    "To": ["+15005550006", "+582124713239"],
    "CallStatus": ["ringing", "in-progress", "completed", "busy", "no-answer", "canceled",
                   "failed", "queued", "initiated"],
    "Direction": ["inbound", "outbound-dial"],
    "Digits": ["1", "2", "0", "3", "9", "*", "#", "hangup", "123", "04141234567",
               "584141234567", "12", "1234567", "4321", "9" * 40],
    "SpeechResult": ["reportar una falla", "tengo un número de caso", "hablar con una persona",
                     "es una emergencia", "sí", "no", "uno dos tres cuatro cinco seis siete",
                     "Empresa Demo", "ana punto perez arroba example punto com", "menú",
                     "agregar información", "doce treinta y cuatro"],
    "Confidence": ["0.9", "0", "1", "-3", "NaN", "abc"],
    "RecordingSid": ["REfuzz1", "REfuzz2", ""],
    "RecordingUrl": ["https://api.twilio.com/2010-04-01/Recordings/REfuzz1"],
    "RecordingDuration": ["0", "12", "-1", "99999999999", "1.5"],
    "RecordingStatus": ["completed", "failed", "absent", "in-progress", "processing"],
    "DialCallStatus": ["completed", "busy", "no-answer", "failed", "canceled", "answered"],
    "DialBridged": ["true", "false", "TRUE", "maybe"],
    "CallDuration": ["0", "42", "-5", "1e9"],
    "SequenceNumber": ["0", "1", "2", "3", "-1", "999999999999"],
    "ErrorCode": ["11200", "11205", "12100"],
    "ErrorUrl": ["https://ivr.example.com/voice/incoming"],
}

ODD = [
    "\x00", "a\x00b", "+58412\x005550123", "\\ud800", "\\udfff\\ud83d", "\u202eevil\u202c",
    "\u200f\u05e9\u05dc\u05d5\u05dd", "\U0001f600\U0001f4de", "e\u0301\u0301\u0301",
    "\ufeff1", "\u200b2\u200b", "１２", "٣", "\r\n", "\t", " ", "%00", "%ED%A0%80",
    "<Say>hola</Say>", "]]>&amp;", "'; DROP TABLE cases; --", "\x7f\x1b[31m",
    "\U0010fffd", "\ufffe",
]
# Any code point a form can carry (surrogates cannot be encoded as UTF-8 at all), mostly
# from a pool of awkward ones.
AWKWARD = "\x00\x01\x7f\t\n\r \"'<>&%+=#*0123456789aZñé\u0301\u202e\u200f\ufeff\ufffd\U0001f600"
ANY_TEXT = st.text(st.one_of(st.sampled_from(AWKWARD), st.characters(exclude_categories=("Cs",))),
                   max_size=24)
OVERSIZED = st.builds(lambda char, size: char * size,
                      st.sampled_from(["9", "a", "\x00", "ñ", "\U0001f600", "e\u0301", " "]),
                      st.integers(min_value=300, max_value=10_000))


# A few calls that keep coming back (their cases and legs accumulate), and fresh ones (a call
# past MAX_WEBHOOKS_PER_CALL is only told goodbye, which would hide the handlers).
CALL_SIDS = st.one_of(st.sampled_from(SIDS),
                      st.integers(0, 10**9).map(lambda n: f"CAfuzznew{n:025d}"))


def plausible(name: str):
    """The plausible values of a Twilio parameter."""
    return CALL_SIDS if name == "CallSid" else st.sampled_from(PLAUSIBLE[name])


def value_for(name: str):
    """Values for one parameter: plausible, random, odd or oversized."""
    choices = [ANY_TEXT, st.sampled_from(ODD), OVERSIZED]
    if name in PLAUSIBLE:
        choices = [plausible(name)] * 3 + choices
    return st.one_of(*choices)


@st.composite
def twilio_params(draw) -> dict:
    """Every Twilio name present, missing or odd, plus some names Twilio may add one day."""
    params = {}
    for name in TWILIO_NAMES:
        presence = draw(st.sampled_from(["usual", "usual", "missing", "drawn"]))
        if presence == "missing":
            continue
        if presence == "usual" and name == "CallSid":
            params[name] = draw(CALL_SIDS)
        elif presence == "usual" and name in call_params("x"):
            params[name] = call_params("x")[name]
        elif presence != "usual" or name in PLAUSIBLE:
            params[name] = draw(value_for(name))
    extra = draw(st.dictionaries(
        st.text(st.sampled_from(AWKWARD + "AbcXyz_-."), min_size=1, max_size=12)
        .filter(lambda n: n not in TWILIO_NAMES),
        st.one_of(ANY_TEXT, st.sampled_from(ODD)), max_size=3))
    params.update(extra)
    return params


@st.composite
def query_args(draw, ids: dict) -> dict:
    """Our own URL arguments (t, c, r, a, f, k, i), real or not."""
    args = {}
    for name in QUERY_NAMES:
        if draw(st.booleans()):
            continue
        real = {"c": ids["cases"], "a": ids["attempts"], "t": ["1", "2", "3"], "r": ["1", "2"],
                "f": ["company", "name", "position"], "k": ["description", "company"],
                "i": ["0", "1", "2"], "again": ["1"]}[name]
        args[name] = draw(st.one_of(
            st.sampled_from(real), st.sampled_from(["0", "-1", "99", "9" * 30, "", "1.0"]),
            st.sampled_from(ODD), ANY_TEXT))
    return args


def voice_routes(app) -> list[tuple[str, str]]:
    """(path, endpoint) of every POST route under /voice, from the URL map itself."""
    routes = sorted((rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()
                    if rule.rule.startswith("/voice") and "POST" in rule.methods)
    assert len(routes) >= 35 and all("<" not in path for path, _ in routes)
    return routes


def seed(app, twilio, db, session) -> dict:
    """A contact, analysts, emergency phones, a case and a dial attempt for args to name."""
    now = utcnow()
    add_company(db, "Empresa Demo", 4, now)
    add_contact(db, "Empresa Demo", "Ana Prueba", CONTACT, "Gerente", None, now)
    add_emergency(db, "Guardia", "+584140000001", None, now)
    add_analysts(db, 2, pin=PIN)
    sid = twilio.new_sid()
    assert twilio.post("/voice/report?r=1", call_params(sid)).status_code == 200
    case_id = session.scalars(select(Case.id)).one()
    assert twilio.post(f"/voice/connect?c={case_id}", call_params(sid)).status_code == 200
    attempt_id = session.scalars(select(DialAttempt.id)).one()
    return {"cases": [str(case_id), str(case_id + 1)],
            "attempts": [str(attempt_id), str(attempt_id + 1)]}


def body_size(params: dict) -> int:
    """The length of the form body the test client sends for these parameters."""
    builder = EnvironBuilder(method="POST", data=params)
    try:
        return int(builder.get_environ()["CONTENT_LENGTH"])
    finally:
        builder.close()


def check_answer(response, endpoint: str) -> None:
    """200 parseable TwiML, or an empty 204 for a callback."""
    if endpoint in CALLBACK_ENDPOINTS | SILENT_ENDPOINTS:
        assert response.status_code == 204, (endpoint, response.status_code, response.data)
        assert response.data == b""
        return
    assert response.status_code == 200, (endpoint, response.status_code, response.data)
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"


@pytest.fixture
def fuzz_target(app, twilio, db, session, clock):
    """The app seeded, its routes, and the ids that query arguments may name."""
    clock("2026-12-07 09:00")
    ids = seed(app, twilio, db, session)
    session.close()
    return app, twilio, voice_routes(app), ids


@pytest.mark.slow
def test_fuzz_every_route(fuzz_target, clock):
    """Random signed webhooks: always TwiML (or 204), never the apology handler."""
    app, twilio, routes, ids = fuzz_target
    state = app.extensions["ivr"]
    counted = {"examples": 0, "too large": 0}

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one_webhook(data):
        """Post one signed webhook with drawn parameters and query arguments."""
        path, endpoint = data.draw(st.sampled_from(routes), label="route")
        clock(data.draw(st.sampled_from(["2026-12-07 09:00", "2026-12-07 21:00",
                                         "2026-12-25 10:00"]), label="time"))
        params = data.draw(twilio_params(), label="params")
        args = data.draw(query_args(ids), label="args")
        url = path + ("?" + urlencode(args, quote_via=quote) if args else "")
        apologies, degraded = state.apologies, state.degraded
        response = twilio.post(url, params)
        counted["examples"] += 1
        if body_size(params) > MAX_CONTENT_LENGTH:
            # Oversized values can add up past the cap on a body: refused unread, unanswered.
            assert response.status_code == 413, (endpoint, response.status_code)
            counted["too large"] += 1
        else:
            check_answer(response, endpoint)
        assert state.apologies == apologies, "the apology handler answered"
        assert state.degraded == degraded, "answered as if the database were down"

    one_webhook()
    print(f"fuzz: {counted['examples']} signed webhooks over {len(routes)} routes "
          f"({counted['too large']} over MAX_CONTENT_LENGTH), "
          f"apologies {state.apologies}, degraded {state.degraded}")
    assert counted["examples"] >= min(FUZZ_EXAMPLES, 100)
    assert counted["too large"] < counted["examples"] / 2  # most reach their handler
    assert state.apologies == 0


@pytest.mark.parametrize("body", [
    b"From=%ED%A0%80&SpeechResult=%ED%B3%BF",  # surrogates encoded in UTF-8: invalid
    b"From=%FF%FE%00&Digits=%C0%AF",  # bytes that are no UTF-8 at all, an overlong "/"
    b"From=%2B58412%005550123&SpeechResult=%F0%9F%98%80%E2%80%AE",
])
def test_undecodable_bytes_are_answered(app, twilio, clock, body):
    """Bytes that are not UTF-8 arrive as text the app can store; signed, they get TwiML."""
    from werkzeug.wrappers import Request

    clock("2026-12-07 09:00")
    body += b"&CallSid=" + SIDS[1].encode()
    content = "application/x-www-form-urlencoded"
    decoded = Request(EnvironBuilder(method="POST", data=body, content_type=content)
                      .get_environ()).form.to_dict()
    signature = twilio.sign("http://localhost/voice/menu?t=1", decoded)
    response = twilio.client.post("/voice/menu?t=1", data=body, content_type=content,
                                  headers={"X-Twilio-Signature": signature})
    check_answer(response, "voice.menu")
    assert app.extensions["ivr"].apologies == 0
