"""A call taken step by step by the voice flow tests, walked by the one walker (ivr.sim.walker).

The test posts a webhook (`post`) or answers the current document (`answer`, `silence`); the
walker decides where Twilio would go next: the Gather's or the Record's action with the
fields given, or, with none, on through the document to its Redirect. Every request is
signed by the walker and checked to be 200 TwiML.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from ivr.sim.walker import Answer, Question, Reply, Walker, request_target
from tests.conftest import TOKEN, call_params, spoken, twiml

CALLER = "+584125550123"


def split(url: str) -> tuple[str, dict[str, str]]:
    """A URL's path and its query arguments."""
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def ask(root, path: str, **args):
    """The document's Gather, checked: posts to `path` (with `args`), silence re-posts there."""
    gather = root.find("Gather")
    assert gather is not None, spoken(root)
    action_path, action_args = split(gather.get("action"))
    assert action_path == path
    assert gather.get("method") == "POST"
    for name, value in args.items():
        assert action_args.get(name) == str(value), (name, action_args)
    redirect = root.find("Redirect")
    assert redirect is not None and redirect.text == gather.get("action")
    return gather


def redirect_to(root) -> tuple[str, dict[str, str]]:
    """Where the document's Redirect goes (path, args); it has no question."""
    assert root.find("Gather") is None
    redirect = root.find("Redirect")
    assert redirect is not None
    return split(redirect.text)


def digit_runs(text: str) -> list[str]:
    """Runs of digits said together (separated only by spaces or punctuation), run together."""
    return [re.sub(r"\D", "", run) for run in re.findall(r"\d(?:[\s.,()+-]*\d)*", text)]


def assert_no_phone(words: str, *phones: str) -> None:
    """No phone number (nor its last seven digits) is in the words, however separated."""
    runs = digit_runs(words)
    for phone in phones:
        if phone:
            assert not [run for run in runs if phone[-7:] in run], (phone, words)


class OneAnswer:
    """The answer the test gives to the current document; silence at any further question."""

    def __init__(self):
        """Nothing to say yet."""
        self.pending = Answer("silence")

    def next(self, question: Question) -> Answer:
        """The pending answer, once."""
        answer, self.pending = self.pending, Answer("silence")
        return answer

    def refused(self, answer: Answer, reason: str) -> None:
        """The test answered a question that does not take its fields."""
        raise AssertionError(reason)


class TwimlTransport:
    """The walker's requests through the conftest poster, each answer checked as TwiML."""

    base = "http://localhost"

    def __init__(self, twilio):
        """Post through this `Twilio` poster (signed by the walker)."""
        self.twilio = twilio

    def send(self, method: str, url: str, params: dict[str, str],
             headers: dict[str, str]) -> Reply:
        """One POST; anything but 200 TwiML fails the test here."""
        response = self.twilio.post(request_target(url), params,
                                    signature=headers["X-Twilio-Signature"])
        twiml(response)
        return Reply(response.status_code, response.mimetype, response.data)


class Walk:
    """One call: posts each answer where the current document says, and hears everything."""

    def __init__(self, twilio, caller: str = CALLER, sid: str | None = None):
        """A new call from `caller`."""
        self.twilio = twilio
        self.caller = caller
        self.sid = sid or twilio.new_sid()
        self.answers = OneAnswer()
        self.walker = Walker(TwimlTransport(twilio), self.answers, token=TOKEN, caller=caller,
                             sid=self.sid, max_steps=100_000)
        self.doc = None
        self.root = None
        self.heard: list[str] = []

    def post(self, url: str, **form):
        """Post a webhook of this call; the parsed answer becomes the current document."""
        return self._current(self.walker.fetch(self.walker.url(url),
                                               {**self.walker.call_params(), **form}))

    def answer(self, **form):
        """Answer the document's <Record> or <Gather>; with no answer, go on to its <Redirect>."""
        self.answers.pending = Answer.form(form)
        return self._current(self.walker.execute(self.doc))

    def silence(self):
        """Say nothing: Twilio goes on to the verb after the Gather or Record."""
        return self.answer()

    def hang_up(self):
        """The caller hangs up: Twilio posts the final status callback (it answers 204)."""
        response = self.twilio.post("/voice/status", call_params(
            self.sid, self.caller, CallStatus="completed", CallDuration="42",
            SequenceNumber="1"))
        assert response.status_code == 204

    def _current(self, doc):
        """The document the call is at now; its words are heard."""
        self.doc, self.root = doc, doc.root
        self.heard.append(spoken(self.root))
        return self.root

    @property
    def words(self) -> str:
        """Everything the caller has heard so far."""
        return " ".join(self.heard)
