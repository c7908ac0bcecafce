"""TwiML walked the way Twilio walks it, verb by verb: the one walker of this project.

`Walker` does what Twilio does with each document of a call: speaks `<Say>`, plays `<Play>`,
waits at `<Gather>` and `<Record>` for the caller, follows `<Redirect>` and actions, rings
`<Dial>` numbers (running the `<Number url>` whisper on the callee's leg), posts the status
callbacks, goes to the Fallback URL when a webhook fails, and signs every request with the
auth token. It knows nothing of Flask: a *transport* carries the requests (the Flask test
client, HTTP to a running server, or nothing at all for `plan`), an *answers* source plays the
caller, a *narrator* may tell the call as it goes, and an *observer* may note every request
and every word heard. The terminal simulator (`ivr.sim.simulator`, `flask --app wsgi call`),
the tests (tests/call_walker.py, tests/walk.py) and the benchmark's flows (bench/flows.py) all
walk TwiML through this module.

Where Twilio's behaviour is not documented the choices are marked *modelled*: a lone finish
key posts `Digits` equal to that key; a callee who declines at the whisper ends the Dial with
`DialCallStatus=completed` and `DialBridged=false` (the phone did answer); a caller who hangs
up while a `<Dial>` rings gets its `action` requested with `DialCallStatus=canceled` and
`CallStatus=completed`; a call redirected through the REST API while it waits in an `<Enqueue>`
has the Enqueue's action requested with `QueueResult=redirected` (its answer ignored) before
the new URL, and the redirect is taken between the wait document's verbs.
"""

from __future__ import annotations

import queue
import time
import uuid
import xml.etree.ElementTree as ET  # noqa: N817 - the usual name
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlencode, urljoin, urlsplit

from twilio.request_validator import RequestValidator

DEFAULT_CALLER = "+584125550123"  # a VE mobile that no demo contact owns
DEFAULT_TO = "+15005550006"  # Twilio's test number: stands for the line's Twilio number
ACCOUNT_SID = "AC" + "0" * 32
API_VERSION = "2010-04-01"
INCOMING_PATH = "/voice/incoming"
STATUS_PATH = "/voice/status"
FALLBACK_PATH = "/voice/fallback"
TWILIO_BUDGET_SECONDS = 15  # Twilio waits this long for TwiML, then uses the Fallback URL

DIAL_CHOICES = ("accept", "decline", "ring", "busy", "voicemail", "fail")
TALK_SECONDS = 60  # a bridged conversation, unless the dial answer says otherwise
RING_BEFORE_ANSWER = 4
SPEECH_CONFIDENCE = "0.92"
CHARS_PER_SECOND = 14  # how fast a <Say> is spoken, for the call's simulated duration


class ScriptError(ValueError):
    """A script (or a typed answer) that does not fit the grammar or the question."""


class TooManySteps(RuntimeError):
    """The call went round more webhooks than max_steps allows."""


class NotTwiML(ValueError):
    """An answer Twilio cannot use as TwiML, with the error code Twilio would log."""

    def __init__(self, problem: str, code: str):
        """Why, and Twilio's error code (11200, 11205, 12100)."""
        super().__init__(problem)
        self.problem = problem
        self.code = code


# --- the caller's answers ------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One decision of the caller (or of a callee, for dial)."""

    kind: str  # keys | speech | silence | hangup | record | dial | form
    value: str = ""  # the keys, the words, or the dial choice
    seconds: int | None = None  # recording length, or the conversation after dial accept
    then_hangup: bool = False  # the caller hangs up while recording
    raw: str = ""
    fields: tuple[tuple[str, str], ...] = ()  # form: the fields Twilio posts, as given

    @classmethod
    def form(cls, fields: Mapping[str, str | None]) -> Answer:
        """Twilio posts exactly these fields to the action (none given: silence)."""
        kept = tuple((name, value) for name, value in fields.items() if value is not None)
        return cls("form", fields=kept) if kept else cls("silence")

    def describe(self) -> str:
        """The answer as the script grammar writes it."""
        if self.kind == "form":
            return " ".join(f"{name}={value}" for name, value in self.fields)
        return self.raw if self.raw.strip() else "-"


@dataclass(frozen=True)
class Question:
    """What the line (or the callee's phone) is waiting for."""

    kind: str  # gather | record | dial
    where: str  # the document's path, for messages
    prompt: str  # shown to a person at the keyboard
    accepts: tuple[str, ...]
    verb: ET.Element | None = None  # the <Gather>, <Record>, or the <Number> that rings
    action: str = ""  # where the answer goes (resolved), "" when nowhere

    def refusal(self, answer: Answer) -> str | None:
        """Why this answer cannot answer the question, or None when it can."""
        if answer.kind in self.accepts:
            return None
        wanted = {
            "gather": "keys, say:WORDS, - (silence) or hangup",
            "record": "rec:SECONDS, rec:hangup, - (silence) or hangup",
            "dial": "dial:accept|decline|ring|busy|voicemail|fail or hangup",
        }[self.kind]
        return (f"{answer.describe()!r} cannot answer the <{self.kind.capitalize()}> at "
                f"{self.where}: it takes {wanted}")


class Answers(Protocol):
    """Plays the caller: returns the next answer, or None when the caller hangs up."""

    def next(self, question: Question) -> Answer | None:
        """The answer to a question."""

    def refused(self, answer: Answer, reason: str) -> None:
        """An answer did not fit the question (raise to stop, or return to ask again)."""


class ScriptAnswers:
    """Answers given in advance, in order; when they run out the caller hangs up."""

    def __init__(self, answers: list[Answer]):
        """Keep the answers."""
        self.answers = list(answers)
        self.used = 0
        self.asked: list[Question] = []
        self.end_words = "end of script"

    def next(self, question: Question) -> Answer | None:
        """The next answer."""
        self.asked.append(question)
        if self.used >= len(self.answers):
            return None
        self.used += 1
        return self.answers[self.used - 1]

    def refused(self, answer: Answer, reason: str) -> None:
        """A script that answers the wrong question is a mistake in the script."""
        raise ScriptError(f"--script answer {self.used}: {reason}")

    @property
    def exhausted(self) -> bool:
        """Whether every answer has been used."""
        return self.used >= len(self.answers)


# --- requests and what notes them ----------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """An HTTP answer."""

    status: int
    content_type: str
    body: bytes
    ms: float = 0.0


class Transport(Protocol):
    """Carries one request to the application."""

    base: str  # scheme://host[:port] of the URLs requested

    def send(self, method: str, url: str, params: dict[str, str],
             headers: dict[str, str]) -> Reply:
        """Send a request (a POST's params form-encoded; a GET's are already in the URL)."""


@dataclass(frozen=True)
class Exchange:
    """One request of the call and its answer."""

    kind: str  # twiml | callback
    leg: bool  # a request about a callee's leg (the whisper, its status callbacks)
    method: str
    url: str
    params: dict[str, str]
    reply: Reply
    at: float  # time.perf_counter() when it was sent
    seconds: float

    @property
    def path(self) -> str:
        """The URL's path, without its query."""
        return urlsplit(self.url).path


class Observer:
    """Notes what a walk does; every method does nothing unless overridden."""

    def exchanged(self, exchange: Exchange) -> None:
        """A request was sent and answered."""

    def said(self, text: str, leg: bool) -> None:
        """A <Say> was spoken (on a callee's leg when `leg`)."""


class Narrator(Protocol):
    """Tells the call as it goes (the simulator's transcript)."""

    gutter: str  # put before every line (the whisper's lines are indented)

    def line(self, kind: str, text: str) -> None:
        """One line of a kind (header, say, play, caller, callee, note, warn, end)."""


class Quiet:
    """A narrator that says nothing."""

    gutter = ""

    def line(self, kind: str, text: str) -> None:
        """Nothing."""


# --- reading answers -----------------------------------------------------------------------


def read_twiml(body: bytes) -> ET.Element:
    """The <Response> document of an answer, or NotTwiML (Twilio's error 12100)."""
    try:
        # The application's own answer (or the server the operator pointed us at).
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError as error:
        raise NotTwiML(f"the answer is not TwiML ({error})", "12100") from None
    if root.tag != "Response":
        raise NotTwiML(f"the answer's root is <{root.tag}>, not <Response>", "12100")
    return root


def twiml_of(reply: Reply) -> ET.Element:
    """The TwiML of a webhook's answer, or NotTwiML saying why Twilio rejects it."""
    if reply.status == 0:
        raise NotTwiML(f"no answer within {TWILIO_BUDGET_SECONDS} s", "11205")
    if reply.status == 403:
        raise NotTwiML("403 Forbidden: the signature was refused (is the token right, and "
                       "does the server validate the URL signed here? see --sign-url)", "11200")
    if not 200 <= reply.status < 300:
        raise NotTwiML(f"HTTP {reply.status} from the webhook", "11200")
    if reply.ms > TWILIO_BUDGET_SECONDS * 1000:
        raise NotTwiML(f"the webhook took {reply.ms / 1000:.1f} s: too late", "11205")
    return read_twiml(reply.body)


def request_target(url: str) -> str:
    """Path and query of a URL, as a request line names them."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- the call ------------------------------------------------------------------------------


def new_sid(prefix: str) -> str:
    """A Twilio-shaped id: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


@dataclass
class Document:
    """A TwiML document and the URL it came from (relative URLs resolve against it)."""

    url: str
    root: ET.Element


class LegFailed(Exception):  # noqa: N818 - an outcome, not an error
    """A webhook of a callee's leg failed: that leg hangs up (no Fallback URL for it)."""


class CallEnded(Exception):  # noqa: N818 - an outcome, not an error
    """The call is over."""

    def __init__(self, reason: str, status: str = "completed", *, code: str):
        """Why (for people and as a code), and the final CallStatus."""
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.code = code  # hangup | reject | caller-hung-up | document-ended | failed


@dataclass
class Leg:
    """One <Number> rung by a <Dial>."""

    sid: str
    number: str
    status: str = "no-answer"  # the leg's final CallStatus
    answered: bool = False
    bridged: bool = False
    seconds: int = 0  # from answer to hangup
    events: list[str] = field(default_factory=list)
    callback: str | None = None
    callback_method: str = "POST"
    sequence: int = 0


@dataclass
class Result:
    """How the call went."""

    reason: str
    seconds: int
    webhooks: int
    failures: int
    code: str = ""  # CallEnded.code


def _duration(seconds: int) -> str:
    """A duration for people: '45 s', '2 min 05 s'."""
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


def _int(value: str | None, default: int) -> int:
    """A TwiML attribute as a whole number."""
    return int(value) if value and value.strip().isdigit() else default


class Walker:
    """One call, walked from its first webhook to its final status callback."""

    def __init__(
        self,
        transport: Transport,
        answers: Answers,
        out: Narrator | None = None,
        *,
        token: str,
        sign_base: str | None = None,
        caller: str = DEFAULT_CALLER,
        to: str = DEFAULT_TO,
        forwarded_from: str | None = None,
        max_steps: int = 200,
        advance: Callable[[int], None] | None = None,
        verbose: bool = False,
        sid: str | None = None,
        make_sid: Callable[[str], str] = new_sid,
        observer: Observer | None = None,
        hold_patience: float = 0.0,
    ):
        """sign_base: the public base URL the server validates against (default: transport's).

        advance(seconds) moves the application's clock along with the call's simulated time;
        make_sid(prefix) names the call's legs and recordings; hold_patience: real seconds a
        caller waiting in a queue lets pass between wait documents, for a redirect to come
        (0: none; simulated time only).
        """
        self.transport = transport
        self.answers = answers
        self.out: Narrator = out if out is not None else Quiet()
        self.validator = RequestValidator(token)
        self.base = transport.base.rstrip("/")
        self.sign_base = (sign_base or self.base).rstrip("/")
        self.caller = caller
        self.to = to
        self.forwarded_from = forwarded_from
        self.max_steps = max_steps
        self._advance = advance
        self.verbose = verbose
        self.make_sid = make_sid
        self.observer = observer if observer is not None else Observer()
        self.call_sid = sid or make_sid("CA")
        self.elapsed = 0
        self._exact = 0.0
        self.later: list[Callable[[], None]] = []  # callbacks Twilio sends a moment later
        self.steps = 0
        self.failures = 0
        self.on_leg = False  # running a whisper on a callee's leg
        self.hold_patience = hold_patience
        self.redirects: queue.Queue[tuple[str, str]] = queue.Queue()  # by the REST API
        self.ended = False

    # -- time, requests --------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Simulated time passes (the app's clock too, when it can be moved)."""
        self._exact += max(seconds, 0)
        whole = int(self._exact) - self.elapsed
        if whole > 0:
            self.elapsed += whole
            if self._advance is not None:
                self._advance(whole)

    def url(self, path: str) -> str:
        """The full URL of a path on the application."""
        return self.base + path

    def resolve(self, ref: str | None, doc: Document) -> str:
        """A TwiML URL, resolved against the current document like Twilio does."""
        target = urljoin(doc.url, (ref or "").strip()) if ref else doc.url
        if target.startswith(self.sign_base + "/") and self.sign_base != self.base:
            target = self.base + target[len(self.sign_base):]
        return target

    def show(self, url: str) -> str:
        """A URL as the transcript shows it: the path (and query when verbose)."""
        parts = urlsplit(url)
        if not url.startswith(self.base):
            return url
        return parts.path + (f"?{parts.query}" if parts.query and self.verbose else "")

    def call_params(self, status: str = "in-progress") -> dict[str, str]:
        """The parameters of every request about the caller's call."""
        params = {
            "CallSid": self.call_sid, "AccountSid": ACCOUNT_SID, "From": self.caller,
            "Caller": self.caller, "To": self.to, "Called": self.to, "CallStatus": status,
            "Direction": "inbound", "ApiVersion": API_VERSION,
        }
        if self.forwarded_from:
            params["ForwardedFrom"] = self.forwarded_from
        return params

    def send(self, url: str, params: dict[str, str | None], method: str = "POST", *,
             kind: str = "twiml", leg: bool = False) -> Reply:
        """Sign and send one request, exactly as Twilio would (fields set to None are left out).

        kind: twiml or callback; leg: a request about a callee's leg. The observer hears it.
        """
        method = (method or "POST").upper()
        if method not in ("GET", "POST"):
            method = "POST"
        sent = {name: value for name, value in params.items() if value is not None}
        if method == "GET":
            joiner = "&" if urlsplit(url).query else "?"
            url = url + joiner + urlencode(sent)
            signed_params: dict[str, str] = {}
        else:
            signed_params = sent
        signed_url = url
        if self.sign_base != self.base and url.startswith(self.base):
            signed_url = self.sign_base + url[len(self.base):]
        signature = self.validator.compute_signature(signed_url, signed_params)
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1 (ivr call)"}
        started = time.perf_counter()
        reply = self.transport.send(method, url, signed_params, headers)
        self.observer.exchanged(Exchange(kind, leg, method, url, sent, reply, started,
                                         time.perf_counter() - started))
        if self.verbose:
            shown = " ".join(f"{k}={v}" for k, v in sent.items()
                             if k not in ("AccountSid", "ApiVersion", "Caller", "Called"))
            self.out.line("note", f"   {method} {shown} → {reply.status} ({reply.ms:.0f} ms)")
        return reply

    def fetch(self, url: str, params: dict[str, str], method: str = "POST", *,
              ignored: bool | str = False, leg: bool = False) -> Document | None:
        """Request TwiML; errors go to the Fallback URL as Twilio's would.

        ignored: the answer is not used (True: the caller has hung up; or why); leg: a
        request of a callee's leg, whose failure hangs that leg up (LegFailed).
        """
        self.flush()
        self.steps += 1
        if self.steps > self.max_steps:
            raise TooManySteps(f"more than {self.max_steps} webhooks (--max-steps)")
        self.out.line("header", f"── {self.show(url)} ──")
        if ignored:
            why = ignored if isinstance(ignored, str) else "the caller has hung up"
            self.out.line("note", f"   ({why}: Twilio ignores this TwiML)")
        if url.startswith(self.base + "/"):
            try:
                root = twiml_of(self.send(url, params, method, leg=leg))
            except NotTwiML as error:
                root, problem, code = None, error.problem, error.code
        else:
            root, problem, code = None, f"{url} is not on this server: not simulated", "11200"
        if root is not None:
            if self.verbose:
                self.out.line("note", "   " + ET.tostring(root, encoding="unicode"))
            return Document(url, root)
        self.failures += 1
        self.out.line("warn", f"⚠  {problem} (Twilio error {code})")
        if ignored:
            return None
        if leg:
            raise LegFailed(problem)
        if urlsplit(url).path == FALLBACK_PATH:
            raise CallEnded("the Fallback URL failed too: Twilio says \"an application error "
                            "has occurred\" and hangs up", "failed", code="failed")
        self.out.line("note", "   Twilio now requests the Fallback URL")
        return self.fetch(self.url(FALLBACK_PATH),
                          {**self.call_params(), "ErrorCode": code, "ErrorUrl": url})

    def callback(self, url: str, params: dict[str, str], label: str,
                 method: str = "POST", *, leg: bool = False) -> None:
        """A status callback: Twilio ignores its answer (anything but an error)."""
        self.out.line("note", f"   ↪ {self.show(url)}: {label}")
        if not url.startswith(self.base + "/"):
            self.out.line("warn", f"⚠  {url} is not on this server: not simulated")
            return
        reply = self.send(url, params, method, kind="callback", leg=leg)
        if not 200 <= reply.status < 300:
            self.failures += 1
            self.out.line("warn", f"⚠  the callback {self.show(url)} answered "
                                  f"HTTP {reply.status}")

    # -- the call ---------------------------------------------------------------------------

    def run(self, start: str = INCOMING_PATH) -> Result:
        """Place the call (its first webhook at `start`) and walk it to the end; then the final
        status callback."""
        status = "completed"
        try:
            doc = self.fetch(self.url(start), self.call_params())
            while True:
                doc = self.execute(doc)
        except CallEnded as ended:
            reason, status, code = ended.reason, ended.status, ended.code
        except (ScriptError, TooManySteps) as error:
            self.out.line("caller", "☎  caller hangs up")
            self.ended = True
            self.finish("completed")
            raise error from None
        self.ended = True
        self.finish(status)
        self.out.line("end", f"── call ended after {_duration(self.elapsed)}: {reason} "
                             f"({self.steps} webhook{'s' if self.steps != 1 else ''}) ──")
        return Result(reason, self.elapsed, self.steps, self.failures, code)

    def flush(self) -> None:
        """Send the callbacks that were waiting for their moment."""
        while self.later:
            self.later.pop(0)()

    def finish(self, status: str) -> None:
        """The number's status callback: the call is over."""
        self.flush()
        params = {**self.call_params(status), "CallDuration": str(self.elapsed)}
        self.callback(self.url(STATUS_PATH), params, f"{status}, {self.elapsed} s")

    def execute(self, doc: Document) -> Document:
        """Run a document's verbs in order; return the next document (or end the call)."""
        for verb in doc.root:
            handler = getattr(self, f"verb_{verb.tag.lower()}", None)
            if handler is None:
                self.out.line("warn", f"⚠  <{verb.tag}> is not simulated: skipped")
                continue
            following = handler(verb, doc)
            if following is not None:
                return following
        raise CallEnded("end of the TwiML: Twilio hangs up", code="document-ended")

    def ask(self, question: Question) -> Answer | None:
        """The caller's answer to a question; None when the caller hangs up."""
        self.flush()
        while True:
            answer = self.answers.next(question)
            if answer is None:
                return None
            reason = question.refusal(answer)
            if reason is None:
                return answer
            self.answers.refused(answer, reason)

    def caller_hangs_up(self, answer: Answer | None) -> CallEnded:
        """The caller hangs up (said so, or the answers ran out)."""
        why = f" ({getattr(self.answers, 'end_words', 'no answer')})" if answer is None else ""
        self.out.line("caller", f"☎  caller hangs up{why}")
        return CallEnded("the caller hung up", code="caller-hung-up")

    # -- verbs that speak -------------------------------------------------------------------

    def verb_say(self, verb: ET.Element, doc: Document, mark: str = "🔊") -> None:
        """<Say>: the words, once per loop."""
        text = " ".join((verb.text or "").split())
        loops = _int(verb.get("loop"), 1)
        suffix = f" (×{loops})" if loops > 1 else " (repeated)" if verb.get("loop") == "0" else ""
        self.out.line("say", f"{mark} {text}{suffix}")
        self.observer.said(text, self.on_leg)
        self.advance(max(len(text) / CHARS_PER_SECOND, 1) * max(loops, 1))

    def verb_play(self, verb: ET.Element, doc: Document, mark: str = "🎵") -> None:
        """<Play>: a recording's URL (or keys played)."""
        if verb.get("digits"):
            self.out.line("play", f"{mark} (plays the keys {verb.get('digits')})")
            return
        url = self.resolve(verb.text, doc)
        self.out.line("play", f"{mark} {self.show(url) if url.startswith(self.base) else url}")
        self.advance(5)

    def verb_pause(self, verb: ET.Element, doc: Document) -> None:
        """<Pause>: silence."""
        length = _int(verb.get("length"), 1)
        self.out.line("note", f"⏸  {length} s")
        self.advance(length)

    def verb_hangup(self, verb: ET.Element, doc: Document) -> None:
        """<Hangup/>: the line ends the call."""
        raise CallEnded("the line hung up", code="hangup")

    def verb_reject(self, verb: ET.Element, doc: Document) -> None:
        """<Reject>: the call is never answered."""
        reason = verb.get("reason", "rejected")
        raise CallEnded(f"the line rejected the call ({reason})",
                        "busy" if reason == "busy" else "no-answer", code="reject")

    def verb_redirect(self, verb: ET.Element, doc: Document) -> Document:
        """<Redirect>: the next document."""
        return self.fetch(self.resolve(verb.text, doc), self.call_params(),
                          verb.get("method", "POST"))

    # -- <Enqueue> --------------------------------------------------------------------------

    def redirect(self, url: str, method: str = "POST") -> bool:
        """The REST API redirects the call (Calls/CA….json with Url): taken at the next verb
        of a wait; False when the call is over (Twilio answers 21220)."""
        if self.ended:
            return False
        self.redirects.put((url, method or "POST"))
        return True

    def taken_redirect(self, block: float = 0.0) -> tuple[str, str] | None:
        """A redirect asked for, if any (waiting up to `block` real seconds for one)."""
        try:
            return self.redirects.get(timeout=block) if block > 0 else \
                self.redirects.get_nowait()
        except queue.Empty:
            return None

    def verb_enqueue(self, verb: ET.Element, doc: Document) -> Document | None:
        """<Enqueue>: the caller waits, the waitUrl's document played again and again, until a
        <Leave>, a hangup, or a redirect of the call; then the action (with QueueResult)."""
        name = (verb.text or "").strip()
        action = self.resolve(verb.get("action"), doc) if verb.get("action") else ""
        method = verb.get("method", "POST")
        wait_url = self.resolve(verb.get("waitUrl"), doc) if verb.get("waitUrl") else ""
        queue_sid = "QU" + uuid.uuid5(uuid.NAMESPACE_URL, name or "queue").hex
        joined = self.elapsed
        self.out.line("note", f"⏳ waiting in the queue {name or '(unnamed)'}")
        try:
            result, moved = self.wait_in_queue(wait_url, verb.get("waitUrlMethod", "POST"),
                                               queue_sid, joined)
        except CallEnded as ended:
            if ended.code == "caller-hung-up" and action:
                self.fetch(action, {**self.call_params("completed"), "QueueResult": "hangup",
                                    "QueueSid": queue_sid,
                                    "QueueTime": str(self.elapsed - joined)},
                           method, ignored=True)
            raise
        form = {"QueueResult": result, "QueueSid": queue_sid,
                "QueueTime": str(self.elapsed - joined)}
        if moved is not None:
            self.out.line("note", f"   the call is redirected: {self.show(moved[0])}")
            if action:
                self.fetch(action, {**self.call_params(), **form}, method,
                           ignored="the call was redirected")
            return self.fetch(self.resolve(moved[0], doc), self.call_params(), moved[1])
        if not action:
            return None
        return self.fetch(action, {**self.call_params(), **form}, method)

    def wait_in_queue(self, wait_url: str, wait_method: str, queue_sid: str,
                      joined: int) -> tuple[str, tuple[str, str] | None]:
        """Play the wait documents until the caller leaves: ('leave', None), or
        ('redirected', (url, method))."""
        while True:
            moved = self.taken_redirect()
            if moved is not None:
                return "redirected", moved
            if not wait_url:
                self.advance(30)  # Twilio's own hold music
                moved = self.taken_redirect(self.hold_patience)
                if moved is not None:
                    return "redirected", moved
                continue
            params = {**self.call_params(), "QueueSid": queue_sid, "QueuePosition": "1",
                      "CurrentQueueSize": "1", "QueueTime": str(self.elapsed - joined),
                      "AvgQueueTime": "0"}
            current: Document | None = self.fetch(wait_url, params, wait_method)
            while current is not None:
                following = None
                for verb in current.root:
                    moved = self.taken_redirect()
                    if moved is not None:
                        return "redirected", moved
                    if verb.tag == "Leave":
                        self.out.line("note", "   the caller leaves the queue")
                        return "leave", None
                    if verb.tag == "Redirect":
                        following = self.fetch(self.resolve(verb.text, current),
                                               {**self.call_params(), "QueueSid": queue_sid},
                                               verb.get("method", "POST"))
                        break
                    if verb.tag not in ("Say", "Play", "Pause", "Gather", "Hangup"):
                        self.out.line("warn", f"⚠  <{verb.tag}> is not allowed in a wait "
                                              "document: skipped")
                        continue
                    following = getattr(self, f"verb_{verb.tag.lower()}")(verb, current)
                    if following is not None:
                        break
                current = following
            moved = self.taken_redirect(self.hold_patience)
            if moved is not None:
                return "redirected", moved

    # -- <Gather> ---------------------------------------------------------------------------

    def verb_gather(self, verb: ET.Element, doc: Document) -> Document | None:
        """<Gather>: prompts, then keys or speech posted to the action; silence falls through."""
        for child in verb:
            if child.tag in ("Say", "Play", "Pause"):
                getattr(self, f"verb_{child.tag.lower()}")(child, doc)
        inputs = (verb.get("input") or "dtmf").split()
        timeout = _int(verb.get("timeout"), 5)
        finish = verb.get("finishOnKey", "#")
        num_digits = _int(verb.get("numDigits"), 0)
        wanted = []
        if "dtmf" in inputs:
            wanted.append("1 key" if num_digits == 1 else f"{num_digits} keys" if num_digits
                          else f"keys ending in {finish}" if finish else "keys")
        if "speech" in inputs:
            wanted.append("speech")
        self.flush()
        self.out.line("note", f"⌨  waiting for {' or '.join(wanted)} ({timeout} s)")
        action = self.resolve(verb.get("action"), doc)
        question = Question(
            "gather", urlsplit(doc.url).path,
            "☎  keys, say:words, Enter = silence, hangup ›",
            ("keys", "speech", "silence", "hangup", "form"), verb, action)
        answer = self.ask(question)
        if answer is None or answer.kind == "hangup":
            raise self.caller_hangs_up(answer)
        form: dict[str, str] = {}
        if answer.kind == "keys":
            form = self.keys_heard(answer.value, inputs, finish, num_digits, timeout)
        elif answer.kind == "speech":
            if "speech" in inputs:
                self.out.line("caller", f"☎  caller says “{answer.value}”")
                self.advance(1 + len(answer.value.split()) * 0.4)
                form = {"SpeechResult": answer.value, "Confidence": SPEECH_CONFIDENCE}
            else:
                self.out.line("caller", f"☎  caller says “{answer.value}” "
                                        "(the line only listens for keys here)")
        elif answer.kind == "form":
            # Posted as given: the fields are the caller's input as Twilio reports it.
            self.out.line("caller", f"☎  caller answers {answer.describe()}")
            self.advance(1)
            form = dict(answer.fields)
        if not form:
            if answer.kind == "silence":
                self.out.line("caller", "☎  caller stays silent")
            self.advance(timeout)
            if verb.get("actionOnEmptyResult", "").lower() != "true":
                self.out.line("note", "   (no input: Twilio goes on to the next verb)")
                return None
        return self.fetch(action, {**self.call_params(), **form}, verb.get("method", "POST"))

    def keys_heard(self, keys: str, inputs: list[str], finish: str, num_digits: int,
                   timeout: int) -> dict[str, str]:
        """The Digits a <Gather> posts for these key presses ({} when it hears none)."""
        shown = " ".join(keys)
        if "dtmf" not in inputs:
            self.out.line("caller", f"☎  caller presses {shown} (the line only listens "
                                    "for speech here)")
            return {}
        collected, finished = "", False
        for key in keys:
            if finish and key == finish[0]:
                finished = True
                break
            collected += key
            if num_digits and len(collected) >= num_digits:
                finished = True
                break
        self.out.line("caller", f"☎  caller presses {shown}")
        self.advance(len(keys) * 0.5)
        if not finished:
            self.advance(timeout)  # Twilio waits for another key, then submits what it has
        if collected != keys.rstrip(finish[:1] if finish else ""):
            self.out.line("note", f"   (the line takes {collected or finish[:1]!r})")
        if not collected:
            # Modelled: a lone finish key is posted as the key itself.
            return {"Digits": finish[:1]} if finished and finish else {}
        return {"Digits": collected}

    # -- <Record> ---------------------------------------------------------------------------

    def verb_record(self, verb: ET.Element, doc: Document) -> Document | None:
        """<Record>: a recording of some seconds posted to the action (also after a hangup)."""
        max_length = _int(verb.get("maxLength"), 3600) or 3600
        timeout = _int(verb.get("timeout"), 5)
        finish = verb.get("finishOnKey", "1234567890*#")
        key = "#" if "#" in finish else finish[:1]
        beep = "after the beep, " if verb.get("playBeep", "true").lower() != "false" else ""
        ends = f", {key} ends it" if key else ""
        self.flush()
        self.out.line("note", f"⏺  recording {beep}up to {max_length} s{ends}")
        action = self.resolve(verb.get("action"), doc)
        method = verb.get("method", "POST")
        question = Question("record", urlsplit(doc.url).path,
                            "☎  seconds to speak (20), 20:hangup, hangup, Enter = silence ›",
                            ("record", "silence", "hangup", "form"), verb, action)
        answer = self.ask(question)
        if answer is None or answer.kind == "hangup":
            self.caller_hangs_up(answer)
            # Twilio still requests the action; its TwiML is ignored.
            self.fetch(action, {**self.call_params("completed"), "Digits": "hangup"}, method,
                       ignored=True)
            raise CallEnded("the caller hung up", code="caller-hung-up")
        if answer.kind == "form":
            # Posted as given: whatever recording the fields describe.
            self.out.line("caller", f"☎  the recording is posted: {answer.describe()}")
            return self.fetch(action, {**self.call_params(), **dict(answer.fields)}, method)
        if answer.kind == "silence" or not answer.seconds:
            self.out.line("caller", "☎  caller stays silent")
            self.advance(timeout)
            self.out.line("note", "   (nothing recorded: Twilio goes on to the next verb)")
            return None
        seconds = min(answer.seconds, max_length)
        recording = self.make_sid("RE")
        form = {
            "RecordingSid": recording,
            "RecordingUrl": f"https://api.twilio.com/{API_VERSION}/Accounts/{ACCOUNT_SID}/"
                            f"Recordings/{recording}",
            "RecordingDuration": str(seconds),
        }
        if answer.then_hangup:
            self.out.line("caller", f"☎  caller speaks for {seconds} s, then hangs up")
            form["Digits"] = "hangup"
        elif seconds >= max_length:
            self.out.line("caller", f"☎  caller speaks for {seconds} s (the maximum)")
        elif key:
            self.out.line("caller", f"☎  caller speaks for {seconds} s, then presses {key}")
            form["Digits"] = key
        else:
            self.out.line("caller", f"☎  caller speaks for {seconds} s, then goes quiet")
            self.advance(timeout)
        self.advance(seconds)
        if answer.then_hangup:
            self.fetch(action, {**self.call_params("completed"), **form}, method, ignored=True)
            self.recording_callback(verb, doc, form)
            raise CallEnded("the caller hung up", code="caller-hung-up")
        following = self.fetch(action, {**self.call_params(), **form}, method)
        self.recording_callback(verb, doc, form)
        return following

    def recording_status_params(self, form: dict[str, str]) -> dict[str, str]:
        """What Twilio posts to a recordingStatusCallback (no caller fields: see its docs)."""
        return {
            "AccountSid": ACCOUNT_SID, "CallSid": self.call_sid,
            "RecordingSid": form["RecordingSid"], "RecordingUrl": form["RecordingUrl"],
            "RecordingStatus": "completed", "RecordingDuration": form["RecordingDuration"],
            "RecordingChannels": "1", "RecordingSource": "RecordVerb",
        }

    def recording_callback(self, verb: ET.Element, doc: Document,
                           form: dict[str, str]) -> None:
        """recordingStatusCallback: the recording is ready."""
        url = verb.get("recordingStatusCallback")
        if not url:
            return
        params = self.recording_status_params(form)
        # It comes a moment after the action: posted at the caller's next turn (or hangup).
        self.later.append(lambda: self.callback(
            self.resolve(url, doc), params, "recording completed",
            verb.get("recordingStatusCallbackMethod", "POST")))

    # -- <Dial> -----------------------------------------------------------------------------

    def verb_dial(self, verb: ET.Element, doc: Document) -> Document | None:
        """<Dial>: each <Number> rings; its whisper runs on the callee's leg; then the action."""
        timeout = _int(verb.get("timeout"), 30)
        caller_id = verb.get("callerId") or self.caller
        numbers = [n for n in verb if n.tag == "Number"]
        for other in verb:
            if other.tag != "Number":
                self.out.line("warn", f"⚠  <Dial><{other.tag}> is not simulated: skipped")
        if not numbers and (verb.text or "").strip():
            plain = ET.Element("Number")
            plain.text = verb.text.strip()
            numbers = [plain]
        ringing = " (the caller hears ringing)" if \
            verb.get("answerOnBridge", "").lower() == "true" else ""
        action = self.resolve(verb.get("action"), doc) if verb.get("action") else ""
        legs: list[Leg] = []
        talk = None
        self.flush()
        for number in numbers:
            leg = Leg(self.make_sid("CA"), (number.text or "").strip())
            leg.callback = number.get("statusCallback")
            leg.callback_method = number.get("statusCallbackMethod", "POST")
            leg.events = (number.get("statusCallbackEvent") or "completed").split()
            self.out.line("note", f"📞 ringing {leg.number}, up to {timeout} s{ringing}")
            question = Question("dial", urlsplit(doc.url).path,
                                f"📞 {leg.number} rings: accept, decline, ring, busy, "
                                "voicemail or fail ›", ("dial", "hangup"), number, action)
            answer = self.ask(question)
            if answer is None or answer.kind == "hangup":
                self.caller_hangs_up(answer)
                self.leg_event(leg, "initiated", "initiated", doc)
                self.leg_event(leg, "ringing", "ringing", doc)
                self.leg_event(leg, "completed", "canceled", doc)
                if action:
                    self.fetch(action, {
                        **self.call_params("completed"), "DialCallStatus": "canceled",
                        "DialCallSid": leg.sid, "DialBridged": "false",
                    }, verb.get("method", "POST"), ignored=True)
                raise CallEnded("the caller hung up", code="caller-hung-up")
            legs.append(leg)
            self.ring(leg, number, answer.value, timeout, caller_id, doc)
            if leg.bridged:
                talk = answer.seconds or TALK_SECONDS
                break
        if talk is not None:
            bridged = legs[-1]
            self.out.line("caller", f"☎  caller and {bridged.number} talk for "
                                    f"{_duration(talk)}; then {bridged.number} hangs up")
            self.advance(talk)
            bridged.seconds += talk
            bridged.status = "completed"
            self.leg_event(bridged, "completed", "completed", doc)
        if not action:
            return None
        form = {"DialCallStatus": self.dial_status(legs),
                "DialBridged": "true" if talk is not None else "false"}
        if legs:
            form["DialCallSid"] = legs[-1].sid
            if legs[-1].answered:
                form["DialCallDuration"] = str(legs[-1].seconds)
        return self.fetch(action, {**self.call_params(), **form}, verb.get("method", "POST"))

    @staticmethod
    def dial_status(legs: list[Leg]) -> str:
        """The Dial's DialCallStatus from its legs."""
        if not legs:
            return "failed"
        if any(leg.answered for leg in legs):
            return "completed"
        statuses = {leg.status for leg in legs}
        return statuses.pop() if len(statuses) == 1 else "no-answer"

    def ring(self, leg: Leg, number: ET.Element, choice: str, timeout: int, caller_id: str,
             doc: Document) -> None:
        """One leg: what the callee does, the whisper, the leg's status callbacks."""
        said = {"accept": "answers", "decline": "answers", "ring": "lets it ring",
                "busy": "is busy", "voicemail": "sends it to voicemail",
                "fail": "cannot be reached"}[choice]
        self.leg_event(leg, "initiated", "initiated", doc)
        if choice in ("fail", "busy"):
            self.out.line("callee", f"   ☏ {leg.number} {said}")
        if choice == "fail":
            self.advance(1)
            leg.status = "failed"
            self.leg_event(leg, "completed", "failed", doc)
            return
        if choice == "busy":
            self.advance(2)
            leg.status = "busy"
            self.leg_event(leg, "completed", "busy", doc)
            return
        self.leg_event(leg, "ringing", "ringing", doc)
        self.out.line("callee", f"   ☏ {leg.number} {said}")
        if choice == "ring":
            self.advance(timeout)
            leg.status = "no-answer"
            self.leg_event(leg, "completed", "no-answer", doc)
            return
        self.advance(RING_BEFORE_ANSWER)
        leg.answered = True
        self.leg_event(leg, "answered", "in-progress", doc)
        before = self.elapsed
        leg.bridged = self.whisper(leg, number, choice, caller_id, doc)
        leg.seconds = self.elapsed - before
        if not leg.bridged:
            leg.status = "completed"
            self.leg_event(leg, "completed", "completed", doc)

    def leg_params(self, leg: Leg, caller_id: str, status: str) -> dict[str, str]:
        """The parameters of a request about a callee's leg."""
        return {
            "CallSid": leg.sid, "ParentCallSid": self.call_sid, "AccountSid": ACCOUNT_SID,
            "From": caller_id, "Caller": caller_id, "To": leg.number, "Called": leg.number,
            "CallStatus": status, "Direction": "outbound-dial", "ApiVersion": API_VERSION,
        }

    def leg_event(self, leg: Leg, event: str, status: str, doc: Document) -> None:
        """A <Number statusCallback> event, when the Number asked for it."""
        if not leg.callback or event not in leg.events:
            return
        params = {**self.leg_params(leg, self.caller, status),
                  "SequenceNumber": str(leg.sequence), "CallbackSource": "call-progress-events"}
        leg.sequence += 1
        if event == "completed":
            params["CallDuration"] = str(leg.seconds)
        self.callback(self.resolve(leg.callback, doc), params, status,
                      leg.callback_method, leg=True)

    def whisper(self, leg: Leg, number: ET.Element, choice: str, caller_id: str,
                doc: Document) -> bool:
        """Run the <Number url> TwiML on the callee's leg; True when the calls are bridged."""
        url = number.get("url")
        if not url:
            return self.bridged(leg, choice, asked=False)
        self.out.gutter = "   │ "
        self.on_leg = True
        try:
            current: Document | None = self.fetch(
                self.resolve(url, doc), self.leg_params(leg, caller_id, "in-progress"),
                number.get("method", "POST"), leg=True)
            asked = False
            while current is not None:
                following = None
                for verb in current.root:
                    if verb.tag in ("Say", "Play"):
                        getattr(self, f"verb_{verb.tag.lower()}")(verb, current, mark="🎧")
                    elif verb.tag == "Pause":
                        self.verb_pause(verb, current)
                    elif verb.tag == "Hangup":
                        self.out.line("callee", "(the whisper hangs up: not bridged)")
                        return False
                    elif verb.tag == "Redirect":
                        following = self.fetch(self.resolve(verb.text, current),
                                               self.leg_params(leg, caller_id, "in-progress"),
                                               verb.get("method", "POST"), leg=True)
                        break
                    elif verb.tag == "Gather":
                        asked = True
                        following = self.whisper_gather(verb, current, leg, choice, caller_id)
                        if following is not None:
                            break
                    else:
                        self.out.line("warn", f"⚠  <{verb.tag}> is not allowed in a whisper")
                current = following
            return self.bridged(leg, choice, asked)
        except LegFailed:
            self.out.line("callee", "(the whisper failed: the callee's leg hangs up)")
            return False
        finally:
            self.out.gutter = ""
            self.on_leg = False

    def whisper_gather(self, verb: ET.Element, doc: Document, leg: Leg, choice: str,
                       caller_id: str) -> Document | None:
        """The callee's answer to the whisper's question: 1 accepts, 2 declines."""
        for child in verb:
            if child.tag in ("Say", "Play"):
                getattr(self, f"verb_{child.tag.lower()}")(child, doc, mark="🎧")
        key = {"accept": "1", "decline": "2"}.get(choice)
        if key is None:
            self.out.line("callee", "☏ (voicemail: no key is pressed)")
            self.advance(_int(verb.get("timeout"), 5))
            if verb.get("actionOnEmptyResult", "").lower() != "true":
                return None
            form = {}
        else:
            self.out.line("callee", f"☏ callee presses {key}")
            self.advance(1)
            form = {"Digits": key}
        return self.fetch(self.resolve(verb.get("action"), doc),
                          {**self.leg_params(leg, caller_id, "in-progress"), **form},
                          verb.get("method", "POST"), leg=True)

    def bridged(self, leg: Leg, choice: str, asked: bool) -> bool:
        """The whisper ended without <Hangup>: Twilio connects the calls."""
        if choice == "decline" and not asked:
            self.out.line("callee", f"☏ {leg.number} hangs up")
            return False
        if choice == "decline":
            self.out.line("warn", "⚠  the callee declined, yet the line bridged the call")
        elif choice == "voicemail":
            self.out.line("warn", "⚠  the caller is now connected to a voicemail")
        else:
            self.out.line("callee", "(end of the whisper: the calls are bridged)")
        return True


# --- a dry run: where a document leads, nothing sent ---------------------------------------


class Rehearsal:
    """A transport that sends nothing: every request is answered 200 with an empty document."""

    base = "http://localhost"

    def send(self, method: str, url: str, params: dict[str, str],
             headers: dict[str, str]) -> Reply:
        """An empty <Response/> (a callback ignores it; a whisper ending at once bridges)."""
        return Reply(200, "text/xml", b"<Response/>")


class _Notes(Observer):
    """Keeps every exchange."""

    def __init__(self):
        """Nothing noted yet."""
        self.exchanges: list[Exchange] = []

    def exchanged(self, exchange: Exchange) -> None:
        """Keep it."""
        self.exchanges.append(exchange)


@dataclass
class Plan:
    """What Twilio requests after one document, for given answers, up to the next document."""

    requests: list[Exchange]  # in order, callbacks and callee legs included
    asked: list[Question]  # the questions met, answered or not
    ended: str  # CallEnded.code when the call ends in this document, else ""

    @property
    def next(self) -> Exchange | None:
        """The request for the caller's next document (None when the call ended)."""
        if self.ended:
            return None
        return next((r for r in reversed(self.requests) if r.kind == "twiml" and not r.leg),
                    None)

    def callbacks(self, *, leg: bool) -> list[Exchange]:
        """The status callbacks (of callee legs, or of the caller's call)."""
        return [r for r in self.requests if r.kind == "callback" and r.leg == leg]

    def leg_documents(self) -> list[Exchange]:
        """The requests for callee legs' TwiML (whispers)."""
        return [r for r in self.requests if r.kind == "twiml" and r.leg]


def plan(root: ET.Element, path: str, *answers: Answer) -> Plan:
    """Walk one document fetched from `path` with these answers, sending nothing.

    Every request is answered with an empty document, so the walk stops at the next document
    of the caller; callbacks due a moment later are included. A script that does not fit the
    document raises ScriptError.
    """
    notes = _Notes()
    script = ScriptAnswers(list(answers))
    walker = Walker(Rehearsal(), script, token="rehearsal", observer=notes)  # noqa: S106
    ended = ""
    try:
        walker.execute(Document(walker.url(path), root))
    except CallEnded as end:
        ended = end.code
    walker.flush()
    return Plan(notes.exchanges, script.asked, ended)
