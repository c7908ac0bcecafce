"""Forged webhooks on every route get 403 and write nothing; Twilio's real ones pass proxies.

test_voice_guard.py has the basic forgeries on a few routes and the first proxy cases; this
file takes every POST route of the URL map through a wider matrix of forgeries (signature
absent, garbage, non-ASCII, for another path, host, scheme, query or token, a parameter
changed, added or removed, a Host header that is not a host), checking that nothing reaches
the database or the spool. Then it shows that, behind a proxy configured for it
(PUBLIC_BASE_URL, with or without a path prefix served through SCRIPT_NAME; PROXY_HOPS with
X-Forwarded-Proto/Host), requests signed the way Twilio signs them — including query
strings with %-escapes — are accepted, and the same requests signed for the internal URL are
not. (RequestValidator ignores port differences by design: not tested.)
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.store.models import Base
from ivr.store.spool import Spool
from tests.conftest import TOKEN, Twilio, call_params, orm_session, twiml

FORGERIES = ["unsigned", "empty", "garbage", "non-ascii", "other-path", "other-host",
             "other-scheme", "other-query", "query-dropped", "changed-param", "added-param",
             "removed-param", "wrong-token", "bad-host-header", "sha256-of-the-same"]


def voice_routes(app) -> list[str]:
    """Every POST route under /voice."""
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/voice") and "POST" in rule.methods)


def row_counts(app) -> dict[str, int]:
    """How many rows each table holds."""
    with orm_session(app) as session:
        return {table.name: session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables}


def forged(twilio, path: str, forgery: str):
    """Post a webhook of `path` (with a query) forged the way `forgery` says."""
    query_path = path + "?t=1&c=1"
    url = "http://localhost" + query_path
    params = call_params(twilio.new_sid(), Digits="1", SpeechResult="sí",
                         RecordingSid="RE-forged", RecordingStatus="completed",
                         DialCallStatus="completed", DialBridged="true")
    headers = {}
    sign = twilio.sign
    signature = {
        "unsigned": None,
        "empty": "",
        "garbage": "bm90IGEgc2lnbmF0dXJl",
        "non-ascii": "ñÿ" + sign(url, params)[2:],
        "other-path": sign("http://localhost/voice/elsewhere?t=1&c=1", params),
        "other-host": sign("http://evil.example" + query_path, params),
        "other-scheme": sign("https://localhost" + query_path, params),
        "other-query": sign("http://localhost" + path + "?t=2&c=1", params),
        "query-dropped": sign("http://localhost" + path, params),
        "changed-param": sign(url, {**params, "Digits": "2"}),
        "added-param": sign(url, params),
        "removed-param": sign(url, params),
        "wrong-token": RequestValidator("another-token").compute_signature(url, params),
        "bad-host-header": sign("http://localhost:x" + query_path, params),
        "sha256-of-the-same": RequestValidator(TOKEN).compute_signature(
            url, params, "HMAC_SHA256"),
    }[forgery]
    if forgery == "added-param":
        params = {**params, "Digits2": "0"}
    if forgery == "removed-param":
        params = {k: v for k, v in params.items() if k != "SpeechResult"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    if forgery == "bad-host-header":
        headers["Host"] = "localhost:x"
    return twilio.client.post(query_path, data=params, headers=headers)


def test_forgeries_on_every_route_are_refused(app, twilio, clock):
    """Every forgery on every route: 403, no row written, nothing spooled, no apology."""
    clock("2026-12-07 09:00")
    before = row_counts(app)
    routes = voice_routes(app)
    assert len(routes) >= 35
    refused = 0
    for path in routes:
        for forgery in FORGERIES:
            response = forged(twilio, path, forgery)
            assert response.status_code == 403, (path, forgery, response.status_code)
            assert b"<Dial" not in response.data and b"+58" not in response.data
            refused += 1
    assert refused == len(routes) * len(FORGERIES)
    assert row_counts(app) == before
    state = app.extensions["ivr"]
    assert not Spool(state.settings.spool_dir).pending()
    assert state.apologies == 0 and state.degraded == 0


def test_the_real_request_on_every_route_is_accepted(app, twilio, clock):
    """The control: the same request signed for real is answered on every route."""
    clock("2026-12-07 09:00")
    for path in voice_routes(app):
        response = twilio.post(path + "?t=1&c=1", call_params(twilio.new_sid(), Digits="1"))
        assert response.status_code in (200, 204), (path, response.status_code)
    assert app.extensions["ivr"].apologies == 0


# --- behind a proxy -----------------------------------------------------------------------

PUBLIC = "https://ivr.example.com"
QUERIES = ["/voice/incoming", "/voice/menu?t=2", "/voice/emergency-confirm?t=1&r=2",
           "/voice/incoming?line=%2B582124713239&name=Caf%C3%A9%20Central"]
# name: (settings, internal base the app sees, headers the proxy adds, Twilio's base URL)
PROXIES = {
    "public-base-url": ({"PUBLIC_BASE_URL": PUBLIC}, "http://127.0.0.1:8000", {}, PUBLIC),
    "public-base-url-with-slash": ({"PUBLIC_BASE_URL": PUBLIC + "/"}, "http://127.0.0.1:8000",
                                   {}, PUBLIC),
    "prefix-in-script-name": ({"PUBLIC_BASE_URL": PUBLIC}, "http://127.0.0.1:8000/cco", {},
                              PUBLIC + "/cco"),
    "prefix-in-both": ({"PUBLIC_BASE_URL": PUBLIC + "/cco"}, "http://127.0.0.1:8000/cco", {},
                       PUBLIC + "/cco"),
    "proxy-hops": ({"PROXY_HOPS": "1"}, "http://127.0.0.1:8000",
                   {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ivr.example.com"},
                   PUBLIC),
    "proxy-hops-spoofed-first": ({"PROXY_HOPS": "1"}, "http://127.0.0.1:8000",
                                 {"X-Forwarded-Proto": "http, https",
                                  "X-Forwarded-Host": "evil.example, ivr.example.com"},
                                 PUBLIC),
    "proxy-hops-with-prefix": ({"PROXY_HOPS": "1"}, "http://127.0.0.1:8000/cco",
                               {"X-Forwarded-Proto": "https",
                                "X-Forwarded-Host": "ivr.example.com"}, PUBLIC + "/cco"),
}


@pytest.fixture
def proxied(database_url, tmp_path):
    """Build an app configured for a proxy; disposed afterwards."""
    made = []

    def build(settings: dict):
        """The app with these settings."""
        app = create_app({"IVR_ENV": "testing", "DATABASE_URL": database_url,
                          "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "x", "PUBLIC_BASE_URL": "",
                          "SPOOL_DIR": str(tmp_path / "spool"), **settings})
        app.extensions["ivr"].schedules.path = str(tmp_path / "schedule.json")
        made.append(app)
        return app

    yield build
    for app in made:
        app.extensions["ivr"].engine.dispose()


@pytest.mark.parametrize("proxy", list(PROXIES))
def test_twilio_requests_validate_behind_the_proxy(proxied, clock, proxy):
    """Signed for the public URL (queries and all): 200; signed for the internal URL: 403."""
    settings, internal, headers, public = PROXIES[proxy]
    clock("2026-12-07 09:00")
    app = proxied(settings)
    poster = Twilio(app, base=internal)
    prefix = internal.split("8000", 1)[1]
    for path in QUERIES:
        params = call_params(poster.new_sid())
        real = poster.sign(public + path, params)
        response = poster.client.post(path, data=params, base_url=internal,
                                      headers={"X-Twilio-Signature": real, **headers})
        root = twiml(response)
        action = root.find("Gather").get("action")
        assert action.startswith(prefix + "/voice/"), action  # Twilio comes back the same way
        for wrong in (internal + path, public + path.split("?")[0] + "?x=1",
                      public.replace("https", "http") + path):
            signature = poster.sign(wrong, params)
            response = poster.client.post(path, data=params, base_url=internal,
                                          headers={"X-Twilio-Signature": signature, **headers})
            assert response.status_code == 403, (proxy, path, wrong)
    assert app.extensions["ivr"].apologies == 0
