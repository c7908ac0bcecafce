"""Calls walked the way Twilio walks TwiML, verb by verb, for the fault and replay tests.

A `CallWalk` posts the Voice URL, then does what each answer says: `<Say>` is heard, a
`<Gather>` is answered by the `Caller` (or falls through on silence), a `<Record>` posts its
action with a RecordingSid (then the recording status callback), a `<Dial>` rings its
`<Number>`s (running the whisper on the callee's leg), `<Redirect>` is followed, `<Hangup/>` or
the end of the document ends the call, after which the final status callback is posted. It
is thread-safe (one test client per walk) and notes every answer's status and time, every
RecordingSid posted and every case number heard, instead of asserting inside threads.
`database_gone` takes the database away from an application for a while.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from ivr.store.engine import make_engine
from tests.conftest import call_params

# A case number read back digit by digit: "Su número de caso es 1, 2, 3, 4, 5, 6, 7."
SPOKEN_NUMBER = re.compile(r"\b\d(?:, \d){6,8}\b")
HANGUP = object()  # a Caller's answer that hangs up instead of answering


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
        """What the phone rung by <Number> does: accept, decline, no-answer or busy."""
        return "no-answer"


@dataclass
class Answer:
    """One request of a call and how the application answered it."""

    path: str
    status: int
    seconds: float
    kind: str  # twiml | callback
    ok: bool
    at: float = 0.0  # time.perf_counter() when it was posted


@dataclass
class CallWalk:
    """One call walked from the Voice URL to its end."""

    deliver: Callable  # deliver(path_with_query, params) -> response
    caller: Caller
    caller_id: str = "+584125550123"
    sid: str = field(default_factory=new_sid)
    max_webhooks: int = 80
    answers: list[Answer] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    recordings: list[str] = field(default_factory=list)
    case_numbers: list[str] = field(default_factory=list)
    path_log: list[str] = field(default_factory=list)
    ended: str = ""
    sequence: int = 0
    pending_recording: tuple[str, str] | None = None
    made: int = 0

    def make_sid(self, prefix: str) -> str:
        """A sid for this call's recordings and legs, the same on every run of the call."""
        self.made += 1
        return f"{prefix}{self.sid[2:24]}{self.made:010d}"

    # --- requests -----------------------------------------------------------------------

    def _post(self, url: str, params: dict, kind: str):
        """Post one request; note its status and time; return the response."""
        started = time.perf_counter()
        response = self.deliver(url, params)
        seconds = time.perf_counter() - started
        path = split(url)[0]
        if kind == "callback":
            ok = response.status_code == 204 and response.data == b""
        else:
            ok = response.status_code == 200 and response.mimetype == "text/xml"
        self.answers.append(Answer(path, response.status_code, seconds, kind, ok, started))
        return response

    def params(self, **extra) -> dict:
        """The parameters of a request of this call."""
        return call_params(self.sid, self.caller_id, **extra)

    def webhook(self, url: str, **extra) -> ET.Element | None:
        """Post a TwiML webhook of this call; the parsed document, or None if unusable."""
        response = self._post(url, self.params(**extra), "twiml")
        self.path_log.append(url)
        if not self.answers[-1].ok:
            return None
        try:
            root = ET.fromstring(response.data)
        except ET.ParseError:
            self.answers[-1].ok = False
            return None
        self.hear(root)
        return root

    def callback(self, url: str, params: dict) -> None:
        """Post a status callback (204 expected)."""
        self._post(url, params, "callback")

    def hear(self, node: ET.Element) -> None:
        """Everything said in a document or a Gather; case numbers read back noted."""
        for say in node.iter("Say"):
            text = say.text or ""
            self.heard.append(text)
            for spoken in SPOKEN_NUMBER.findall(text):
                self.case_numbers.append(spoken.replace(", ", ""))

    # --- the walk -----------------------------------------------------------------------

    def run(self, url: str = "/voice/incoming") -> CallWalk:
        """Walk the call from `url` to its end, then post the final status callback."""
        root = self.webhook(url)
        while root is not None and len(self.path_log) < self.max_webhooks:
            step = self.next_step(root)
            if step is None:
                break
            url, form = step
            root = self.webhook(url, **form)
            self.after_record_callbacks()
        if root is None:
            self.ended = self.ended or "error"
        elif len(self.path_log) >= self.max_webhooks and not self.ended:
            self.ended = "limit"
        self.sequence += 1
        self.callback("/voice/status", self.params(
            CallStatus="completed", CallDuration="60", SequenceNumber=str(self.sequence)))
        return self

    def next_step(self, root: ET.Element) -> tuple[str, dict] | None:
        """What Twilio requests next after this document: (url, form) or None when it ends."""
        for verb in root:
            tag = verb.tag
            if tag == "Gather":
                path, args = split(verb.get("action"))
                answer = self.caller.gather(path, args, verb)
                if answer is HANGUP:
                    self.ended = "caller-hung-up"
                    return None
                if answer:
                    return verb.get("action"), answer
            elif tag == "Record":
                step = self.record(verb)
                if step is not None:
                    return step
            elif tag == "Dial":
                step = self.dial(verb)
                if step is not None:
                    return step
            elif tag == "Redirect":
                return verb.text, {}
            elif tag in ("Hangup", "Reject"):
                self.ended = tag.lower()
                return None
        self.ended = self.ended or "document-ended"
        return None

    def record(self, verb: ET.Element) -> tuple[str, dict] | None:
        """Speak at a Record: its action gets the recording; then its status callback."""
        path, args = split(verb.get("action"))
        if not self.caller.record(path, args):
            return None
        recording = self.make_sid("RE")
        self.recordings.append(recording)
        form = {"RecordingSid": recording, "RecordingUrl": f"https://api.twilio.com/{recording}",
                "RecordingDuration": "17", "Digits": "#"}
        status_url = verb.get("recordingStatusCallback")
        if status_url:
            self.pending_recording = (status_url, recording)
        return verb.get("action"), form

    def after_record_callbacks(self) -> None:
        """The recording status callback that Twilio posts later."""
        pending = self.pending_recording
        if pending:
            url, recording = pending
            self.pending_recording = None
            self.callback(url, self.params(RecordingSid=recording, RecordingStatus="completed",
                                           RecordingUrl=f"https://api.twilio.com/{recording}",
                                           RecordingDuration="17"))

    def dial(self, verb: ET.Element) -> tuple[str, dict] | None:
        """Ring the Dial's numbers; the first to accept at its whisper takes the call."""
        bridged_leg = None
        status = "no-answer"
        legs = []
        for number in verb.findall("Number"):
            leg = self.make_sid("CA")
            choice = self.caller.dial(number)
            legs.append((number, leg, choice))
            if bridged_leg is None and choice in ("accept", "decline"):
                # The phone answered: its whisper runs; only 1 bridges (a decline, like a
                # voicemail, leaves DialCallStatus=completed with DialBridged=false).
                status = "completed"
                if self.whisper(number, leg, "1" if choice == "accept" else "2"):
                    bridged_leg = leg
            elif choice == "busy" and status == "no-answer":
                status = "busy"
        for number, leg, choice in legs:
            status_url = number.get("statusCallback")
            if status_url:
                self.callback(status_url, call_params(
                    leg, "+15005550006", To=number.text, Direction="outbound-dial",
                    ParentCallSid=self.sid,
                    CallStatus="completed" if choice in ("accept", "decline") else choice))
        action = verb.get("action")
        if action is None:
            return None
        form = {"DialCallStatus": status, "DialBridged": "true" if bridged_leg else "false"}
        if bridged_leg:
            form.update(DialCallSid=bridged_leg, DialCallDuration="30")
        return action, form

    def whisper(self, number: ET.Element, leg: str, key: str = "1") -> bool:
        """Run the callee's leg: the whisper, then a key (1 accepts). Whether it was bridged."""
        url = number.get("url")
        if not url:
            return True
        params = call_params(leg, "+15005550006", To=number.text, Direction="outbound-dial",
                             ParentCallSid=self.sid)
        response = self._post(url, params, "twiml")
        if not self.answers[-1].ok:
            return False
        root = ET.fromstring(response.data)
        gather = root.find("Gather")
        if gather is None:
            return root.find("Hangup") is None
        response = self._post(gather.get("action"), {**params, "Digits": key}, "twiml")
        if not self.answers[-1].ok:
            return False
        return ET.fromstring(response.data).find("Hangup") is None

    # --- results ------------------------------------------------------------------------

    @property
    def failures(self) -> list[Answer]:
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
