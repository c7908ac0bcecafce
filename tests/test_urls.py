"""The URLs in our TwiML are Flask's `url_for`: relative to the host, under the script root.

Twilio resolves a relative Gather action or Redirect against the URL it requested, then signs
the absolute URL it requests next: these tests pin the exact strings (with and without a path
prefix) and follow an action back into the app, signed as Twilio signs it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urljoin, urlsplit

import flask
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.voice.urls import url_for
from tests.conftest import call_params, twiml

CASES = [
    ("voice.menu", {}, "/voice/menu"),
    ("voice.menu", {"t": 1}, "/voice/menu?t=1"),
    ("voice.report_field", {"f": "company", "c": 12, "t": 2},
     "/voice/report/field?f=company&c=12&t=2"),
    ("voice.case_number", {"c": None, "t": 3}, "/voice/case/number?t=3"),  # None left out
    ("voice.report_field", {"x y": "ñ+&=/?", "k": ""},
     "/voice/report/field?x+y=%C3%B1%2B%26%3D/?&k="),
    ("audio.prompt", {"name": "greeting.mp3"}, "/audio/greeting.mp3"),
    ("audio.prompt", {"name": "greeting.mp3", "t": 1}, "/audio/greeting.mp3?t=1"),
]


def test_flasks_own():
    """The views' url_for is Flask's, not a builder of ours."""
    assert url_for is flask.url_for


@pytest.mark.parametrize("script_name", ["", "/cco", "/cco/"])
@pytest.mark.parametrize(("endpoint", "args", "expected"), CASES)
def test_exact_urls(app, script_name, endpoint, args, expected):
    """Relative URLs (no scheme or host), under the script root when there is one."""
    with app.test_request_context("/voice/menu", method="POST",
                                  environ_overrides={"SCRIPT_NAME": script_name}):
        assert url_for(endpoint, **args) == script_name.rstrip("/") + expected


# The app is only read (its URL map): sharing it between examples is safe.
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["t", "c", "r", "f", "k", "x y", "ñ"]),
                       st.one_of(st.none(), st.integers(0, 10**9), st.text(max_size=12)),
                       max_size=4))
def test_any_query_arguments(app, args):
    """Odd argument values come back whole from the URL; None values are left out."""
    with app.test_request_context("/voice/menu", method="POST"):
        url = url_for("voice.report_field", **args)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("", "", "/voice/report/field")
    assert parse_qsl(parts.query, keep_blank_values=True) == [
        (name, str(value)) for name, value in args.items() if value is not None]


@pytest.mark.parametrize("base", ["http://localhost", "http://localhost/cco",
                                  "https://ivr.example.com:8443/cco"])
def test_twilio_follows_the_action(twilio, clock, base):
    """The Gather action, resolved against the requested URL and signed for the result as
    Twilio signs it, passes the signature check and is answered."""
    clock("2026-12-07 09:00")
    sid = twilio.new_sid()
    requested = base + "/voice/incoming"
    gather = twiml(twilio.post("/voice/incoming", call_params(sid), base=base)).find("Gather")
    action = gather.get("action")
    assert action.startswith(urlsplit(base).path + "/voice/") and "://" not in action
    following = urljoin(requested, action)
    assert following.startswith(base + "/voice/")
    root = twiml(twilio.post(following[len(base):], call_params(sid, Digits="1"), base=base))
    assert len(root) > 0
