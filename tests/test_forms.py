"""Twilio's form posts: parsed by Werkzeug; oversized and multipart bodies refused unread.

The application uses Flask's own request class. Every request body is capped at
MAX_CONTENT_LENGTH: a longer one is answered 413 before it is read (a declared length) or as
soon as it passes the cap (a body of unknown length), and in both cases before the signature
is checked, with memory bounded. A multipart body to a webhook is answered 415 unparsed.
Signed webhooks of any ordinary size are answered as before.
"""

from __future__ import annotations

import io
import logging
import socket
import threading
import tracemalloc
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from urllib.parse import quote, urlencode

import flask
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder

from ivr.voice.forms import MAX_CONTENT_LENGTH, may_hold_nul
from ivr.voice.hooks import strip_nul_characters
from tests.conftest import call_params, twiml

URLENCODED = "application/x-www-form-urlencoded"
TWENTY_MB = 20 * 1024 * 1024
CHUNK = 64 * 1024
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
# Raw pieces too: stray %, +, =, &, undecodable escapes, empty fields, NULs.
raw = st.text(st.sampled_from(list("ab=&+%20%zz%C3%A9%FF%00 ")), max_size=60)
# The app is only read (its config and URL map): sharing it between examples is safe.
shared_app = settings(max_examples=200, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


class GeneratorBody(io.RawIOBase):
    """A request body made chunk by chunk as it is read, counting the bytes handed out."""

    def __init__(self, total: int):
        """A body of `total` bytes: one form field with a very long value."""
        self.total = total
        self.pulled = 0
        self._chunks = self._generate()
        self._pending = b""

    def _generate(self):
        """The body, CHUNK bytes at a time (never held whole)."""
        head = b"SpeechResult="
        yield head
        left = self.total - len(head)
        while left > 0:
            size = min(CHUNK, left)
            yield b"a" * size
            left -= size

    def readable(self) -> bool:
        """A readable stream."""
        return True

    def readinto(self, buffer) -> int:
        """Copy the next bytes of the current chunk into buffer."""
        if not self._pending:
            self._pending = next(self._chunks, b"")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.pulled += size
        return size


@pytest.fixture
def signature_checks(app, monkeypatch) -> list:
    """Every call of the signature check, recorded (the check itself still runs)."""
    signatures = app.extensions["ivr"].signatures
    calls = []
    check = signatures.valid

    def spy(url, params, signature):
        """Record the call, then check."""
        calls.append(url)
        return check(url, params, signature)

    monkeypatch.setattr(signatures, "valid", spy)
    return calls


def webhook_lines(caplog) -> list[logging.LogRecord]:
    """The webhook log records captured so far."""
    return [r for r in caplog.records if r.name == "ivr.webhook" and r.getMessage() == "webhook"]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "unknown-length"])
def test_twenty_megabytes_refused_unread(app, signature_checks, caplog, declared):
    """20 MB posted to a webhook: 413 before the signature check, having read nothing (a
    declared length) or at most about the cap (a chunked body), with memory bounded."""
    caplog.set_level(logging.INFO, logger="ivr")
    body = GeneratorBody(TWENTY_MB)
    environ = {"wsgi.input": body}
    headers = {"X-Twilio-Signature": "c2lnbmVk"}
    if declared:
        environ["CONTENT_LENGTH"] = str(TWENTY_MB)
    else:
        # As a server that de-chunks the body itself hands it over (gunicorn, Werkzeug's).
        headers["Transfer-Encoding"] = "chunked"
        environ["wsgi.input_terminated"] = True
    client = app.test_client()
    tracemalloc.start()
    try:
        response = client.post("/voice/incoming", content_type=URLENCODED, headers=headers,
                               environ_overrides=environ)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert signature_checks == []
    if declared:
        assert body.pulled == 0
    else:
        assert body.pulled <= MAX_CONTENT_LENGTH + CHUNK  # up to the cap, then refused
    assert peak < 2 * 1024 * 1024, peak  # a few chunks at most, never the body
    [line] = webhook_lines(caplog)
    assert (line.outcome, line.status, line.call) == ("too-large", 413, "")


@contextmanager
def served(app):
    """The app behind Werkzeug's HTTP server on a free port, in a thread: yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def exchange(port: int, head: str, body=()) -> tuple[int, bytes]:
    """Send a request's head, then its body chunks; (status, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode())
        for chunk in body:
            sock.sendall(chunk)
        sock.shutdown(socket.SHUT_WR)  # all sent: the server may read to the end
        answer = sock.makefile("rb").read()  # the server closes every connection
    status_line, _sep, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def chunked(body: bytes, size: int = 8192):
    """A body in HTTP/1.1 chunked transfer coding."""
    for start in range(0, len(body), size):
        piece = body[start:start + size]
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def test_refused_over_a_real_socket(app):
    """A real HTTP server: the 413 comes back after the headers alone, the body unsent."""
    with served(app) as port:
        status, _body = exchange(port, (
            "POST /voice/incoming HTTP/1.1\nHost: 127.0.0.1\n"
            f"Content-Type: {URLENCODED}\nX-Twilio-Signature: c2lnbmVk\n"
            f"Content-Length: {TWENTY_MB}\n\n"))
    assert status == 413


@pytest.mark.parametrize("oversized", [False, True])
def test_chunked_over_a_real_socket(app, twilio, clock, oversized):
    """A chunked body through a real server: signed and under the cap, answered; past the
    cap (four times it), refused with 413 although validly signed."""
    clock("2026-12-07 09:00")
    params = call_params(twilio.new_sid())
    if oversized:
        params["SpeechResult"] = "a" * (4 * MAX_CONTENT_LENGTH)
    with served(app) as port:
        host = f"127.0.0.1:{port}"
        signature = twilio.sign(f"http://{host}/voice/incoming", params)
        status, body = exchange(port, (
            f"POST /voice/incoming HTTP/1.1\nHost: {host}\nContent-Type: {URLENCODED}\n"
            f"X-Twilio-Signature: {signature}\nTransfer-Encoding: chunked\n\n"),
            chunked(urlencode(params).encode()))
    if oversized:
        assert status == 413
    else:
        assert status == 200
        assert ET.fromstring(body).find("Gather") is not None


@pytest.mark.parametrize("size", [MAX_CONTENT_LENGTH, MAX_CONTENT_LENGTH + 1])
def test_the_cap_is_exact(twilio, clock, size):
    """A signed body of exactly MAX_CONTENT_LENGTH bytes is answered; one byte more is not."""
    clock("2026-12-07 09:00")
    params = call_params(twilio.new_sid())
    params["SpeechResult"] = ""
    params["SpeechResult"] = "a" * (size - len(urlencode(params)))
    assert len(urlencode(params)) == size
    response = twilio.post("/voice/incoming", params)
    if size <= MAX_CONTENT_LENGTH:
        assert twiml(response).find("Gather") is not None
    else:
        assert response.status_code == 413


@pytest.mark.parametrize("with_file", [False, True])
def test_multipart_refused_before_the_signature(app, twilio, signature_checks, caplog,
                                                 with_file):
    """Multipart, even signed over its fields: 415, the signature never checked."""
    caplog.set_level(logging.INFO, logger="ivr")
    params = call_params(twilio.new_sid())
    data = dict(params)
    if with_file:
        data["file"] = (io.BytesIO(b"not a webhook"), "note.txt")
    signature = twilio.sign(twilio.base + "/voice/incoming", params)
    response = twilio.client.post("/voice/incoming", data=data,
                                  content_type="multipart/form-data",
                                  headers={"X-Twilio-Signature": signature})
    assert response.status_code == 415
    assert signature_checks == []
    [line] = webhook_lines(caplog)
    assert (line.outcome, line.status, line.call) == ("unsupported-media-type", 415, "")


def test_signed_webhooks_still_answered(twilio, signature_checks, clock):
    """An ordinary signed webhook passes the checks and gets its TwiML."""
    clock("2026-12-07 09:00")
    root = twiml(twilio.post("/voice/incoming", call_params(twilio.new_sid())))
    assert root.find("Gather") is not None
    assert signature_checks == ["http://localhost/voice/incoming"]


def test_the_request_class_is_flasks(app):
    """Werkzeug parses the forms: no request subclass of ours."""
    assert app.request_class is flask.Request
    assert app.config["MAX_CONTENT_LENGTH"] == MAX_CONTENT_LENGTH == 64 * 1024


def form_of(app, body: bytes, query: str = "") -> tuple[MultiDict, MultiDict, bool]:
    """The request's form and args for a urlencoded POST, and may_hold_nul's answer."""
    with app.test_request_context("/voice/menu", method="POST", data=body,
                                  content_type=URLENCODED, query_string=query):
        request = flask.request
        return request.form, request.args, may_hold_nul(request)


@shared_app
@given(st.lists(st.tuples(text, text), max_size=10))
def test_encoded_fields(app, pairs):
    """Fields encoded as Twilio encodes them come back as they were, grouped by name."""
    form, _args, _nul = form_of(app, urlencode(pairs).encode())
    assert list(form.items(multi=True)) == list(MultiDict(pairs).items(multi=True))


@shared_app
@given(raw)
def test_any_body(app, body):
    """Odd bodies (bare names, stray escapes, undecodable bytes) parse without an error."""
    form, _args, _nul = form_of(app, body.encode())
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in form.items(multi=True))


def test_plus_and_percent(app):
    """'+' is a space and %-escapes decode, in names and values."""
    body = f"Speech+Result={quote('uno dos +')}&From=%2B584125550000".encode()
    form, _args, _nul = form_of(app, body)
    assert list(form.items(multi=True)) == [("Speech Result", "uno dos +"),
                                            ("From", "+584125550000")]


def holds_nul(data: MultiDict) -> bool:
    """Whether any name or value holds a NUL character."""
    return any("\x00" in k or "\x00" in v for k, v in data.items(multi=True))


@shared_app
@given(body=st.one_of(raw, st.lists(st.tuples(text, text), max_size=10).map(urlencode)),
       query=st.one_of(raw, st.dictionaries(text, text, max_size=3).map(urlencode)))
def test_may_hold_nul_is_exact(app, body, query):
    """may_hold_nul says yes exactly when the form or the query arguments hold a NUL."""
    form, args, answer = form_of(app, body.encode(), query)
    assert answer == (holds_nul(form) or holds_nul(args))


def test_nul_characters_stripped(app):
    """After the guard, neither the form nor the arguments hold a NUL."""
    body = urlencode({"From": "+58412\x005550123", "Dig\x00its": "1\x00"}).encode()
    with app.test_request_context("/voice/menu", method="POST", data=body,
                                  content_type=URLENCODED, query_string="t=%002&c=1"):
        strip_nul_characters()
        assert flask.request.form.to_dict() == {"From": "+584125550123", "Digits": "1"}
        assert flask.request.args.to_dict() == {"t": "2", "c": "1"}


def test_environ_builder_agrees_on_size():
    """The test client's body is urlencode's: the cap test measures the right thing."""
    params = {"SpeechResult": "a b+c", "From": "+58"}
    builder = EnvironBuilder(method="POST", data=params)
    try:
        assert int(builder.get_environ()["CONTENT_LENGTH"]) == len(urlencode(params))
    finally:
        builder.close()
