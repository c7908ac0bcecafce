"""Whole calls for the fault and replay tests, walked by the one walker (ivr.sim.walker).

A `CallWalk` posts the Voice URL and lets the walker do what Twilio does with each answer; a
`Caller` plays the person on the phone (and the people who answer a Dial) by returning the
form fields Twilio would post. The walk is thread-safe (one walker per walk) and notes every
answer's status and time, every RecordingSid posted and every case number the caller heard,
instead of asserting inside threads. `database_gone` takes the database away from an
application for a while.
"""

from __future__ import annotations

import contextlib
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from ivr.sim.walker import (
    Answer,
    Exchange,
    NotTwiML,
    Observer,
    Question,
    Reply,
    TooManySteps,
    Walker,
    read_twiml,
    request_target,
)
from ivr.store.engine import make_engine
from tests.conftest import TOKEN

# A case number read back digit by digit: "Su número de caso es 1, 2, 3, 4, 5, 6, 7."
SPOKEN_NUMBER = re.compile(r"\b\d(?:, \d){6,8}\b")
HANGUP = object()  # a Caller's answer that hangs up instead of answering
RECORDING_SECONDS = 17  # how long a Caller speaks at a <Record>


@contextlib.contextmanager
def database_gone(app):
    """Point the application's engine at a port where no database listens."""
    state = app.extensions["ivr"]
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/nowhere", connect_timeout=2)
    engine, state.engine = state.engine, dead
    try:
        yield
    finally:
        state.engine = engine
        dead.dispose()


def split(url: str) -> tuple[str, dict[str, str]]:
    """A URL's path and its query arguments."""
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def new_sid(prefix: str = "CA") -> str:
    """A fresh 34-character Twilio-like sid."""
    return prefix + uuid.uuid4().hex


class Caller:
    """Plays the person on the phone (and the people who answer a Dial); silence by default."""

    def gather(self, path: str, args: dict, gather: ET.Element):
        """Answer a <Gather> posting to `path`: form fields, None for silence, or HANGUP."""
        return None

    def record(self, path: str, args: dict) -> bool:
        """Whether to speak at a <Record> (False: silence, Twilio goes on to the next verb)."""
        return True

    def dial(self, number: ET.Element) -> str:
        """What the phone rung by <Number> does: accept, decline, no-answer or busy (or
        voicemail, fail: the walker's other choices)."""
        return "no-answer"


class CallerAnswers:
    """A Caller's decisions as the walker's answers."""

    DIAL = {"accept": "accept", "decline": "decline", "no-answer": "ring", "busy": "busy"}

    def __init__(self, caller: Caller):
        """Ask this caller."""
        self.caller = caller

    def next(self, question: Question) -> Answer:
        """The Caller's answer to a Gather, a Record or a ringing Number."""
        if question.kind == "dial":
            choice = self.caller.dial(question.verb)
            return Answer("dial", self.DIAL.get(choice, choice))
        path, args = split(question.action)
        if question.kind == "record":
            speaks = self.caller.record(path, args)
            return Answer("record", seconds=RECORDING_SECONDS) if speaks else Answer("silence")
        answer = self.caller.gather(path, args, question.verb)
        if answer is HANGUP:
            return Answer("hangup")
        return Answer.form(answer or {})

    def refused(self, answer: Answer, reason: str) -> None:
        """A Caller that cannot answer the question is a mistake in the test."""
        raise AssertionError(reason)


class DeliverTransport:
    """The walker's requests handed to a test's deliver(path_with_query, params) function."""

    base = "http://localhost"

    def __init__(self, deliver: Callable):
        """deliver signs and posts (the conftest Twilio poster, or several of them)."""
        self.deliver = deliver

    def send(self, method: str, url: str, params: dict[str, str],
             headers: dict[str, str]) -> Reply:
        """Deliver one request (always a POST: every webhook of the line is one)."""
        response = self.deliver(request_target(url), params)
        return Reply(response.status_code, response.mimetype or "", response.data)


class _CallerWalker(Walker):
    """The walker, with recording status callbacks that carry the call's own fields too.

    Twilio's recordingStatusCallback has no From; these tests have always sent it, and
    tests/test_logs.py checks that every logged webhook shows the caller's masked number.
    """

    def recording_status_params(self, form: dict[str, str]) -> dict[str, str]:
        """The call's fields, then the recording's."""
        return {**self.call_params(), **super().recording_status_params(form)}


@dataclass
class Posted:
    """One request of a call and how the application answered it."""

    path: str
    status: int
    seconds: float
    kind: str  # twiml | callback
    ok: bool
    at: float = 0.0  # time.perf_counter() when it was posted


def _ok(exchange: Exchange) -> bool:
    """200 TwiML for a webhook, an empty 204 for a callback."""
    reply = exchange.reply
    if exchange.kind == "callback":
        return reply.status == 204 and reply.body == b""
    if reply.status != 200 or reply.content_type != "text/xml":
        return False
    try:
        read_twiml(reply.body)
    except NotTwiML:
        return False
    return True


@dataclass
class CallWalk(Observer):
    """One call walked from the Voice URL to its end."""

    deliver: Callable  # deliver(path_with_query, params) -> response
    caller: Caller
    caller_id: str = "+584125550123"
    sid: str = field(default_factory=new_sid)
    max_webhooks: int = 80
    answers: list[Posted] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    recordings: list[str] = field(default_factory=list)
    case_numbers: list[str] = field(default_factory=list)
    path_log: list[str] = field(default_factory=list)
    ended: str = ""
    made: int = 0

    def __post_init__(self):
        """The walker that places this call."""
        self.walker = _CallerWalker(
            DeliverTransport(self.deliver), CallerAnswers(self.caller), token=TOKEN,
            caller=self.caller_id, sid=self.sid, make_sid=self.make_sid,
            max_steps=self.max_webhooks, observer=self)

    def make_sid(self, prefix: str) -> str:
        """A sid for this call's recordings and legs, the same on every run of the call."""
        self.made += 1
        return f"{prefix}{self.sid[2:24]}{self.made:010d}"

    # --- what the walker reports --------------------------------------------------------

    def exchanged(self, exchange: Exchange) -> None:
        """Note the request: its status and time; the caller's documents and recordings."""
        ok = _ok(exchange)
        self.answers.append(Posted(split(exchange.url)[0], exchange.reply.status,
                                   exchange.seconds, exchange.kind, ok, exchange.at))
        if exchange.kind == "twiml" and not exchange.leg:
            self.path_log.append(request_target(exchange.url))
            if "RecordingSid" in exchange.params:
                self.recordings.append(exchange.params["RecordingSid"])

    def said(self, text: str, leg: bool) -> None:
        """What the caller hears (not the whisper); case numbers read back noted."""
        if leg:
            return
        self.heard.append(text)
        for spoken in SPOKEN_NUMBER.findall(text):
            self.case_numbers.append(spoken.replace(", ", ""))

    # --- requests -----------------------------------------------------------------------

    def params(self, **extra) -> dict:
        """The parameters of a request of this call."""
        return {**self.walker.call_params(), **extra}

    def webhook(self, url: str, **extra) -> ET.Element | None:
        """Post one TwiML webhook of this call; the parsed document, or None if unusable."""
        reply = self.walker.send(self.walker.url(url), self.params(**extra))
        return read_twiml(reply.body) if self.answers[-1].ok else None

    def callback(self, url: str, params: dict) -> None:
        """Post a status callback (204 expected)."""
        self.walker.send(self.walker.url(url), params, kind="callback")

    # --- the walk -----------------------------------------------------------------------

    def run(self, url: str = "/voice/incoming") -> CallWalk:
        """Walk the call from `url` to its end; the walker posts the final status callback."""
        try:
            self.ended = self.walker.run(url).code
        except TooManySteps:
            self.ended = "limit"
        return self

    # --- results ------------------------------------------------------------------------

    @property
    def failures(self) -> list[Posted]:
        """Answers that were not 200 TwiML (or 204 for a callback)."""
        return [a for a in self.answers if not a.ok]

    @property
    def slowest(self) -> float:
        """The longest answer, in seconds."""
        return max((a.seconds for a in self.answers), default=0.0)

    @property
    def words(self) -> str:
        """Everything the caller heard."""
        return " ".join(self.heard)
