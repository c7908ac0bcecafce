"""The webhook form parser gives what Werkzeug's gives, for any urlencoded body."""

from __future__ import annotations

import io
from urllib.parse import quote, urlencode

from flask import Request
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.formparser import parse_form_data
from werkzeug.test import EnvironBuilder

from ivr.voice.forms import WebhookRequest, parse_urlencoded

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
# Raw pieces too: stray %, +, =, &, undecodable escapes, empty fields.
raw = st.text(st.sampled_from(list("ab=&+%20%zz%C3%A9%FF%00 ")), max_size=60)


def werkzeug_fields(body: bytes) -> list[tuple[str, str]]:
    """What Werkzeug's own parser makes of the body (a MultiDict: values grouped by name)."""
    builder = EnvironBuilder(method="POST", data=body,
                             content_type="application/x-www-form-urlencoded")
    try:
        stream, form, _files = parse_form_data(builder.get_environ())
        stream.close()
    finally:
        builder.close()
    return list(form.items(multi=True))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(text, text), max_size=10))
def test_encoded_fields(pairs):
    """Fields encoded as Twilio encodes them come back as they were."""
    body = urlencode(pairs)
    assert parse_urlencoded(body) == pairs
    assert grouped(parse_urlencoded(body)) == werkzeug_fields(body.encode())


@settings(max_examples=300, deadline=None)
@given(raw)
def test_any_body(body):
    """Odd bodies (bare names, stray escapes, undecodable bytes) parse the same way."""
    assert grouped(parse_urlencoded(body)) == werkzeug_fields(body.encode())


def grouped(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Fields in a MultiDict's order, as the request's form holds them."""
    return list(MultiDict(fields).items(multi=True))


def test_plus_and_percent():
    """'+' is a space and %-escapes decode, in names and values."""
    body = f"Speech+Result={quote('uno dos +')}&From=%2B584125550000"
    assert parse_urlencoded(body) == [("Speech Result", "uno dos +"), ("From", "+584125550000")]


@settings(max_examples=200, deadline=None)
@given(st.one_of(raw, st.lists(st.tuples(text, text), max_size=10).map(urlencode)))
def test_request_form_as_werkzeug(body):
    """The webhook request's form is the form Werkzeug's request would have."""
    builder = EnvironBuilder(method="POST", data=body.encode(),
                             content_type="application/x-www-form-urlencoded")
    environ = builder.get_environ()
    builder.close()
    ours = WebhookRequest({**environ, "wsgi.input": io.BytesIO(body.encode())}).form
    theirs = Request({**environ, "wsgi.input": io.BytesIO(body.encode())}).form
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))
    assert ours.to_dict(flat=False) == theirs.to_dict(flat=False)
    assert {k: ours.get(k) for k in ours} == {k: theirs.get(k) for k in theirs}
