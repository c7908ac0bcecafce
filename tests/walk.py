"""Walking a call's TwiML the way Twilio does, for the voice flow tests."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from tests.conftest import call_params, spoken, twiml

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


class Walk:
    """One call: posts each answer where the current document says, and hears everything."""

    def __init__(self, twilio, caller: str = CALLER, sid: str | None = None):
        """A new call from `caller`."""
        self.twilio = twilio
        self.caller = caller
        self.sid = sid or twilio.new_sid()
        self.root = None
        self.heard: list[str] = []

    def post(self, url: str, **form):
        """Post a webhook of this call; the parsed answer becomes the current document."""
        self.root = twiml(self.twilio.post(url, call_params(self.sid, self.caller, **form)))
        self.heard.append(spoken(self.root))
        return self.root

    def answer(self, **form):
        """Answer the document's <Record> or <Gather>; with no answer, follow the <Redirect>."""
        record = self.root.find("Record")
        gather = self.root.find("Gather")
        if record is not None and form:
            url = record.get("action")
        elif gather is not None and form:
            url = gather.get("action")
        else:
            url = self.root.find("Redirect").text
        return self.post(url, **form)

    def silence(self):
        """Say nothing: Twilio goes on to the verb after the Gather or Record."""
        return self.answer()

    def hang_up(self):
        """The caller hangs up: Twilio posts the final status callback (it answers 204)."""
        response = self.twilio.post("/voice/status", call_params(
            self.sid, self.caller, CallStatus="completed", CallDuration="42",
            SequenceNumber="1"))
        assert response.status_code == 204

    @property
    def words(self) -> str:
        """Everything the caller has heard so far."""
        return " ".join(self.heard)
