"""Every Twilio route needs Twilio's signature for the exact URL and parameters."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.store.models import Call
from tests.conftest import TOKEN, Twilio, call_params, twiml

SIGNED_ROUTES = ["/voice/incoming", "/voice/menu?t=1", "/voice/status", "/voice/fallback",
                 "/voice/emergency-confirm?t=1"]


def calls_count(session) -> int:
    """How many call rows exist."""
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Call))


@pytest.mark.parametrize("path", SIGNED_ROUTES)
@pytest.mark.parametrize(
    "forgery",
    ["unsigned", "garbage", "other-path", "other-host", "other-scheme", "changed-param",
     "added-param", "wrong-token"],
)
def test_forged_requests_are_refused(twilio, session, path, forgery):
    """Unsigned, wrongly signed or tampered requests get 403 and write nothing."""
    params = call_params(twilio.new_sid())
    signature = {
        "unsigned": "",
        "garbage": "bm90IGEgc2lnbmF0dXJl",
        "other-path": twilio.sign("http://localhost/voice/other", params),
        "other-host": twilio.sign("http://evil.example" + path, params),
        "other-scheme": twilio.sign("https://localhost" + path, params),
        "changed-param": twilio.sign("http://localhost" + path, {**params, "From": "+1"}),
        "added-param": twilio.sign("http://localhost" + path, params),
        "wrong-token": RequestValidator("another-token").compute_signature(
            "http://localhost" + path, params),
    }[forgery]
    if forgery == "added-param":
        params = {**params, "Digits": "0"}
    headers = {} if forgery == "unsigned" else None
    response = twilio.client.post(
        path, data=params,
        headers=headers if headers is not None else {"X-Twilio-Signature": signature},
    )
    assert response.status_code == 403
    assert calls_count(session) == 0


def test_signed_request_is_accepted(twilio, session, clock):
    """The same request, signed for real, is answered and recorded."""
    clock("2026-12-07 09:00")
    sid = twilio.new_sid()
    twiml(twilio.post("/voice/incoming", call_params(sid)))
    assert calls_count(session) == 1


def test_validation_uses_public_base_url(database_url, tmp_path, clock):
    """Behind a TLS proxy, PUBLIC_BASE_URL is the URL Twilio signed."""
    app = create_app({"IVR_ENV": "testing", "DATABASE_URL": database_url,
                      "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "x",
                      "PUBLIC_BASE_URL": "https://soporte.example.com/"})
    clock("2026-12-07 09:00")
    poster = Twilio(app)
    params = call_params(poster.new_sid())
    good = poster.sign("https://soporte.example.com/voice/incoming", params)
    response = poster.client.post("/voice/incoming", data=params,
                                  headers={"X-Twilio-Signature": good})
    twiml(response)
    internal = poster.sign("http://localhost/voice/incoming", params)
    response = poster.client.post("/voice/incoming", data=params,
                                  headers={"X-Twilio-Signature": internal})
    assert response.status_code == 403
    app.extensions["ivr"].engine.dispose()


def test_validation_trusts_forwarded_headers_when_configured(database_url, clock):
    """With PROXY_HOPS=1, X-Forwarded-Proto/Host rebuild the URL Twilio called."""
    clock("2026-12-07 09:00")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ivr.example.org"}
    for hops, expected in (("1", 200), ("0", 403)):
        app = create_app({"IVR_ENV": "testing", "DATABASE_URL": database_url,
                          "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "x",
                          "PUBLIC_BASE_URL": "", "PROXY_HOPS": hops})
        poster = Twilio(app)
        params = call_params(poster.new_sid())
        signature = poster.sign("https://ivr.example.org/voice/menu?t=2", params)
        response = poster.client.post("/voice/menu?t=2", data=params,
                                      headers={"X-Twilio-Signature": signature, **forwarded})
        assert response.status_code == expected
        app.extensions["ivr"].engine.dispose()
