"""A local fake of Twilio's REST API (Calls create, list and update), as Twilio answers them:
JSON bodies, `CA…` sids, HTTP basic auth with the account SID and auth token, errors as
Twilio's JSON with a code. It records every request, and can be told to fail the next ones."""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token"  # noqa: S105 - the fake's own test credential
_CALLS = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Calls(?:/(CA\w+))?\.json$")
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")


class FakeTwilio:
    """The fake's state: calls placed, requests seen, failures to answer next."""

    def __init__(self):
        """Nothing placed yet."""
        self.calls: list[dict] = []
        self.requests: list[tuple[str, str, dict]] = []
        self.failures: list[int] = []  # HTTP statuses to answer the next creates with
        self.lock = threading.Lock()
        self.url = ""
        self.now = lambda: datetime.now(UTC)

    def created(self) -> list[dict]:
        """The calls placed (as asked: To, From, Url, StatusCallback…)."""
        return [c["asked"] for c in self.calls]

    def handle(self, method: str, path: str, query: dict, form: dict, auth: str | None):
        """(status, body) for one request."""
        with self.lock:
            self.requests.append((method, path, {**query, **form}))
            if _MESSAGES.match(path):
                return messages_api(self, method, path, query, form, auth)
            match = _CALLS.match(path)
            if match is None:
                return 404, _error(20404, "The requested resource was not found")
            expected = "Basic " + base64.b64encode(
                f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
            if match.group(1) != ACCOUNT_SID or auth != expected:
                return 401, _error(20003, "Authenticate")
            sid = match.group(2)
            if method == "POST" and sid is None:
                return self._create(form)
            if method == "GET" and sid is None:
                return 200, self._list(path, query)
            if method == "POST":
                return self._update(sid, form)
            return 405, _error(20004, "Method not allowed")

    def _create(self, form: dict):
        """Calls.json POST."""
        if self.failures:
            status = self.failures.pop(0)
            return status, _error(21210 if status < 500 else 20500, f"fake failure {status}")
        for name in ("To", "From"):
            if not form.get(name):
                return 400, _error(21201, f"No '{name}' number is specified")
        if not form.get("Url") and not form.get("Twiml"):
            return 400, _error(21205, "Url parameter is required")
        now = self.now()
        call = {"sid": "CA" + secrets.token_hex(16), "account_sid": ACCOUNT_SID,
                "to": form["To"], "from": form["From"], "status": "queued",
                "direction": "outbound-api", "date_created": _rfc2822(now),
                "start_time": _rfc2822(now), "end_time": None, "parent_call_sid": None,
                "_created": now}
        self.calls.append({"call": call, "asked": dict(form)})
        return 201, _public(call)

    def _list(self, path: str, query: dict) -> dict:
        """Calls.json GET, filtered by To and StartTime> as Twilio does."""
        rows = [c["call"] for c in self.calls]
        if "To" in query:
            rows = [c for c in rows if c["to"] == query["To"]]
        after = query.get("StartTime>")
        if after:
            since = datetime.fromisoformat(after.replace("Z", "+00:00"))
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            rows = [c for c in rows if c["_created"] >= since]
        rows.sort(key=lambda c: c["_created"], reverse=True)
        return {"calls": [_public(c) for c in rows], "page": 0, "page_size": 50,
                "first_page_uri": path, "next_page_uri": None, "previous_page_uri": None,
                "start": 0, "end": max(len(rows) - 1, 0), "uri": path}

    def _update(self, sid: str, form: dict):
        """Calls/CA….json POST: Status=completed|canceled, or a new Url."""
        for entry in self.calls:
            if entry["call"]["sid"] == sid:
                if form.get("Status") in ("completed", "canceled"):
                    entry["call"]["status"] = form["Status"]
                return 200, _public(entry["call"])
        return 404, _error(20404, f"The requested resource /Calls/{sid}.json was not found")


# --- Messages (SMS and WhatsApp): create, and list by To and DateSent> ----------------------


class MessagesState:
    """The Messages part of the fake: messages taken, and failures to answer next creates
    with — an HTTP status, (status, Twilio code), or "timeout" (the answer comes too late)."""

    def __init__(self):
        """Nothing sent yet."""
        self.sent: list[dict] = []
        self.failures: list = []
        self.delay = 0.0  # seconds a "timeout" failure waits before answering


def messages_of(fake: FakeTwilio) -> MessagesState:
    """The fake's Messages state (made on first use)."""
    if not hasattr(fake, "messages"):
        fake.messages = MessagesState()
    return fake.messages


def messages_api(fake: FakeTwilio, method: str, path: str, query: dict, form: dict,
                 auth: str | None):
    """(status, body) for Messages.json: POST creates, GET lists by To and DateSent>."""
    expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    if _MESSAGES.match(path).group(1) != ACCOUNT_SID or auth != expected:
        return 401, _error(20003, "Authenticate")
    state = messages_of(fake)
    if method == "GET":
        return 200, _list_messages(state, path, query)
    if method != "POST":
        return 405, _error(20004, "Method not allowed")
    if state.failures:
        failure = state.failures.pop(0)
        if failure == "timeout":
            # Taken by Twilio but answered too late: the client gives up, the message exists.
            fake.lock.release()
            try:
                threading.Event().wait(state.delay)
            finally:
                fake.lock.acquire()
        else:
            status, code = failure if isinstance(failure, tuple) else (
                failure, 21211 if failure < 500 else 20500)
            return status, _error(code, f"fake failure {status}")
    if not form.get("To"):
        return 400, _error(21604, "A 'To' phone number is required")
    if not form.get("From") and not form.get("MessagingServiceSid"):
        return 400, _error(21603, "A 'From' phone number is required")
    if not form.get("Body") and not form.get("ContentSid"):
        return 400, _error(21602, "Message body is required")
    now = fake.now()
    message = {"sid": ("MM" if form.get("ContentSid") else "SM") + secrets.token_hex(16),
               "account_sid": ACCOUNT_SID, "to": form["To"],
               "from": form.get("From") or form.get("MessagingServiceSid"),
               "body": form.get("Body") or "", "status": "queued", "direction": "outbound-api",
               "date_created": _rfc2822(now), "date_sent": _rfc2822(now),
               "num_segments": "1", "_created": now, "_asked": dict(form)}
    state.sent.append(message)
    return 201, _public(message)


def _list_messages(state: MessagesState, path: str, query: dict) -> dict:
    """Messages.json GET, filtered by To and DateSent> (a date or a time), newest first."""
    rows = list(state.sent)
    if "To" in query:
        rows = [m for m in rows if m["to"] == query["To"]]
    after = query.get("DateSent>")
    if after:
        since = datetime.fromisoformat(after.replace("Z", "+00:00"))
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        rows = [m for m in rows if m["_created"] >= since]
    rows.sort(key=lambda m: m["_created"], reverse=True)
    return {"messages": [_public(m) for m in rows], "page": 0, "page_size": 50,
            "first_page_uri": path, "next_page_uri": None, "previous_page_uri": None,
            "start": 0, "end": max(len(rows) - 1, 0), "uri": path}


def sent_messages(fake: FakeTwilio) -> list[dict]:
    """The messages taken (as asked: To, From, Body or ContentSid, StatusCallback…)."""
    return [m["_asked"] for m in messages_of(fake).sent]


def _public(call: dict) -> dict:
    """A call as Twilio shows it (without the fake's own fields)."""
    return {k: v for k, v in call.items() if not k.startswith("_")}


def _rfc2822(when: datetime) -> str:
    """Twilio's date format."""
    return when.strftime("%a, %d %b %Y %H:%M:%S +0000")


def _error(code: int, message: str) -> dict:
    """Twilio's error body."""
    return {"code": code, "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": 0}


def _handler(fake: FakeTwilio):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            status, payload = fake.handle(method, parts.path, dict(parse_qsl(parts.query)),
                                          dict(parse_qsl(body)),
                                          self.headers.get("Authorization"))
            if isinstance(payload, dict) and "status" in payload and "code" in payload:
                payload["status"] = status
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 - http.server's name
            self._answer("GET")

        def do_POST(self):  # noqa: N802 - http.server's name
            self._answer("POST")

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def twilio_api():
    """The fake, served on a free local port (its base URL in `.url`)."""
    fake = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()
