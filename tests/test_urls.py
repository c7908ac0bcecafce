"""Our URL builder gives what flask.url_for gives, for every route of the app."""

from __future__ import annotations

import flask
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.voice.urls import url_for

ARGS = [{}, {"t": 1}, {"t": 2, "c": 1234567}, {"r": 1, "again": 1}, {"f": "company", "c": 12},
        {"a": 99, "k": "description"}, {"c": None, "t": 3}]


def endpoints(app) -> list[str]:
    """Every endpoint of the voice surface and the recorded prompts."""
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()
                   if rule.endpoint.startswith(("voice.", "audio."))})


@pytest.mark.parametrize("script_name", ["", "/cco", "/cco/"])
def test_every_route(app, script_name):
    """Each endpoint with each set of arguments, with and without a path prefix."""
    with app.test_request_context("/voice/menu", method="POST",
                                  environ_base={"SCRIPT_NAME": script_name}):
        for endpoint in endpoints(app):
            for args in ARGS:
                if endpoint == "audio.prompt":
                    args = {**args, "name": "greeting.mp3"}
                assert url_for(endpoint, **args) == flask.url_for(endpoint, **args), endpoint


# The app is only read (its URL map): sharing it between examples is safe.
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["t", "c", "r", "f", "k", "x y", "ñ"]),
                       st.one_of(st.integers(0, 10**9), st.text(max_size=12)), max_size=4))
def test_any_query_arguments(app, args):
    """Odd argument values are escaped exactly as Werkzeug escapes them."""
    with app.test_request_context("/voice/menu", method="POST"):
        assert url_for("voice.report_field", **args) == flask.url_for("voice.report_field",
                                                                        **args)
