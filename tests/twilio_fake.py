"""A local fake of Twilio's REST API (Calls create, list and update), as Twilio answers them:
JSON bodies, `CA…` sids, HTTP basic auth with the account SID and auth token, errors as
Twilio's JSON with a code. It records every request, and can be told to fail the next ones.

A call it placed is answered by a test (`answer`): the fake walks its Url's TwiML through the
project's one walker (ivr/sim/walker.py) with webhooks signed by the account's auth token —
the keys the answering phone presses, the <Dial> it makes ringing the client (answered, no
answer, busy…), the status callbacks — as Twilio would; or it is never answered
(`not_answered`: only the status callback). Recordings' media sit behind basic auth at
`/Recordings/RE….mp3`, which answers with a 302 to the media on another host name, as Twilio
redirects to its storage; that host refuses a request that carries credentials.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from ivr.sim.simulator import parse_script
from ivr.sim.walker import Exchange, Observer, ScriptAnswers, Walker, read_twiml, request_target

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token"  # noqa: S105 - the fake's own test credential
_CALLS = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Calls(?:/(CA\w+))?\.json$")
_RECORDING = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Recordings/(RE\w+)\.mp3$")
_MEDIA = re.compile(r"^/media/(RE\w+)\.mp3$")
MEDIA_HOST = "localhost"  # the storage's host name: not the API's (127.0.0.1)


@dataclass
class Raw:
    """An answer that is not JSON: media, or a redirect."""

    body: bytes = b""
    content_type: str = "application/octet-stream"
    headers: dict = field(default_factory=dict)
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
        self.auth_token = AUTH_TOKEN  # the account's: REST credentials and webhook signatures
        self.media: dict[str, bytes] = {}  # recordings' audio by RecordingSid
        self.media_seen: list[tuple[str, str | None]] = []  # (path, Authorization) at storage
        self.live: dict[str, Walker] = {}  # calls to the line in progress, by CallSid
        self.redirects: list[tuple[str, str]] = []  # (CallSid, Url) of each update taken

    def attach(self, walker: Walker) -> Walker:
        """A call to the line, walked by `walker`: an update of its Url redirects it."""
        with self.lock:
            self.live[walker.call_sid] = walker
        return walker

    def created(self) -> list[dict]:
        """The calls placed (as asked: To, From, Url, StatusCallback…)."""
        return [c["asked"] for c in self.calls]

    def handle(self, method: str, path: str, query: dict, form: dict, auth: str | None):
        """(status, body) for one request."""
        with self.lock:
            self.requests.append((method, path, {**query, **form}))
            if _MEDIA.match(path) or _RECORDING.match(path):
                return self._recording(path, query, auth)
            if _MESSAGES.match(path):
                return messages_api(self, method, path, query, form, auth)
            match = _CALLS.match(path)
            if match is None:
                return 404, _error(20404, "The requested resource was not found")
            if match.group(1) != ACCOUNT_SID or auth != self.basic():
                return 401, _error(20003, "Authenticate")
            sid = match.group(2)
            if method == "POST" and sid is None:
                return self._create(form)
            if method == "GET" and sid is None:
                return 200, self._list(path, query)
            if method == "POST":
                return self._update(sid, form)
            return 405, _error(20004, "Method not allowed")

    def basic(self) -> str:
        """The Authorization header the account's credentials make."""
        return "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{self.auth_token}".encode()).decode()

    # --- recordings' media ------------------------------------------------------------------

    def _recording(self, path: str, query: dict, auth: str | None):
        """Recordings/RE….mp3: basic auth, then a 302 to the storage; the storage serves the
        bytes to a request with the redirect's signature and no credentials (as S3 does)."""
        media = _MEDIA.match(path)
        if media is not None:
            self.media_seen.append((path, auth))
            sid = media.group(1)
            if auth is not None:
                return 400, Raw(b"Only one auth mechanism allowed", "text/plain")
            if sid not in self.media or query.get("Signature") != _signature(sid):
                return 403, Raw(b"AccessDenied", "text/plain")
            return 200, Raw(self.media[sid], "audio/mpeg")
        match = _RECORDING.match(path)
        if match.group(1) != ACCOUNT_SID or auth != self.basic():
            return 401, _error(20003, "Authenticate")
        sid = match.group(2)
        if sid not in self.media:
            return 404, _error(20404, f"The requested resource /Recordings/{sid} was not found")
        port = urlsplit(self.url).port
        location = (f"http://{MEDIA_HOST}:{port}/media/{sid}.mp3?"
                    + urlencode({"Signature": _signature(sid)}))
        return 302, Raw(b"", "text/plain", {"Location": location})

    # --- calls ------------------------------------------------------------------------------

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
        """Calls/CA….json POST: Status=completed|canceled, or a new Url (a call to the line
        in progress takes it; one that has ended is refused with 21220, as Twilio does)."""
        walker = self.live.get(sid)
        if walker is not None:
            if form.get("Url"):
                if not walker.redirect(form["Url"], form.get("Method", "POST")):
                    return 400, _error(21220, "Call is not in-progress. Cannot redirect.")
                self.redirects.append((sid, form["Url"]))
            now = self.now()
            return 200, {"sid": sid, "account_sid": ACCOUNT_SID, "to": walker.to,
                         "from": walker.caller, "status": "in-progress",
                         "direction": "inbound", "date_created": _rfc2822(now),
                         "start_time": _rfc2822(now), "end_time": None,
                         "parent_call_sid": None}
        for entry in self.calls:
            if entry["call"]["sid"] == sid:
                if form.get("Status") in ("completed", "canceled"):
                    entry["call"]["status"] = form["Status"]
                return 200, _public(entry["call"])
        return 404, _error(20404, f"The requested resource /Calls/{sid}.json was not found")

    def placed(self, sid: str | None = None) -> dict:
        """A call placed (the last one when no sid is given)."""
        if sid is None:
            return self.calls[-1]
        return next(entry for entry in self.calls if entry["call"]["sid"] == sid)

    def answer(self, transport, script: str, sid: str | None = None) -> PlacedCall:
        """The phone called answers: its Url's TwiML walked by the project's walker through
        `transport` (the app's test client, or HTTP to a server), with `script` as the
        simulator's grammar writes it ("1;dial:accept", "2", "-"), then the status callback."""
        entry = self.placed(sid)
        asked = entry["asked"]
        walk = PlacedCall(entry)
        parts = urlsplit(asked["Url"])
        if f"{parts.scheme}://{parts.netloc}" != transport.base.rstrip("/"):
            raise AssertionError(f"the call's Url {asked['Url']} is not on {transport.base}")
        walker = PlacedCallWalker(
            transport, ScriptAnswers(parse_script(script)), token=self.auth_token,
            caller=asked["From"], to=asked["To"], sid=entry["call"]["sid"], observer=walk,
            status_callback=asked.get("StatusCallback"))
        entry["call"]["status"] = "in-progress"
        walk.result = walker.run(request_target(asked["Url"]))
        entry["call"]["status"] = "completed"
        return walk

    def not_answered(self, transport, status: str = "no-answer", sid: str | None = None) -> None:
        """The phone called never answers (no-answer, busy, failed): only the status callback
        comes, signed, with that CallStatus."""
        entry = self.placed(sid)
        asked = entry["asked"]
        walker = PlacedCallWalker(transport, ScriptAnswers([]), token=self.auth_token,
                                  caller=asked["From"], to=asked["To"], sid=entry["call"]["sid"],
                                  status_callback=asked.get("StatusCallback"))
        walker.finish(status)
        entry["call"]["status"] = status


class PlacedCallWalker(Walker):
    """The walker for a call the REST API placed: Direction outbound-api, and its final status
    posted to the call's own StatusCallback (not the number's)."""

    def __init__(self, *args, status_callback: str | None = None, **kwargs):
        """The walker, with the StatusCallback given at create."""
        super().__init__(*args, **kwargs)
        self.status_callback = status_callback

    def call_params(self, status: str = "in-progress") -> dict[str, str]:
        """The parameters of every request about the placed call."""
        return {**super().call_params(status), "Direction": "outbound-api"}

    def finish(self, status: str) -> None:
        """The call's StatusCallback: it is over."""
        self.flush()
        if self.status_callback:
            params = {**self.call_params(status), "CallDuration": str(self.elapsed)}
            self.callback(self.status_callback, params, f"{status}, {self.elapsed} s")


class PlacedCall(Observer):
    """What an answered call went through: every request and answer, the words heard."""

    def __init__(self, entry: dict):
        """The fake's record of the call."""
        self.entry = entry
        self.exchanges: list[Exchange] = []
        self.heard: list[str] = []  # by the phone called
        self.leg_heard: list[str] = []  # by the client, on the <Dial>'s leg
        self.result = None

    def exchanged(self, exchange: Exchange) -> None:
        """Keep it."""
        self.exchanges.append(exchange)

    def said(self, text: str, leg: bool) -> None:
        """Who heard what."""
        (self.leg_heard if leg else self.heard).append(text)

    def documents(self) -> list[tuple[str, object]]:
        """(path, parsed TwiML) of every document fetched, in order."""
        return [(exchange.path, read_twiml(exchange.reply.body)) for exchange in self.exchanges
                if exchange.kind == "twiml" and exchange.reply.status == 200]

    def dials(self) -> list:
        """The <Dial> elements the call met."""
        return [dial for _path, root in self.documents() for dial in root.iter("Dial")]

    @property
    def words(self) -> str:
        """Everything the phone called heard."""
        return " ".join(self.heard)


def _signature(sid: str) -> str:
    """The storage's signature of a recording's redirect."""
    return "sig-" + sid[-8:]
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
    if _MESSAGES.match(path).group(1) != ACCOUNT_SID or auth != fake.basic():
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
            if isinstance(payload, Raw):
                self.send_response(status)
                self.send_header("Content-Type", payload.content_type)
                self.send_header("Content-Length", str(len(payload.body)))
                for name, value in payload.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload.body)
                return
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
