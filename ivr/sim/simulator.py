"""A telephone in the terminal: the caller's script grammar, HTTP, and the transcript.

The walking itself is `ivr.sim.walker.Walker` (the one walker of the project). This module
adds what a person at a terminal needs around it: answers written as a `--script` or typed at
the keyboard, a transport to a running server over HTTP, and an `Output` that prints the
walker's transcript (in colour on a terminal). `ivr.cli.call` wires them into
`flask --app wsgi call`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from urllib.parse import urlencode

from ivr.sim.walker import (
    DIAL_CHOICES,
    TWILIO_BUDGET_SECONDS,
    Answer,
    Question,
    Reply,
    ScriptError,
)

RECORD_BEFORE_HANGUP = 10  # seconds spoken by "rec:hangup" before the caller hangs up

GRAMMAR = (
    'answers are separated by ";": keys such as 2 or 123# ("#" ends keyed input), '
    "say:WORDS (speech), - or nothing (silence), hangup, rec:SECONDS, rec:hangup or "
    "rec:SECONDS:hangup (at a <Record>), dial:accept[:SECONDS], dial:decline, dial:ring, "
    "dial:busy, dial:voicemail or dial:fail (one per ringing <Number>)"
)
_KEYS = re.compile(r"[0-9*#]+")


class TransportError(RuntimeError):
    """The server could not be reached at all."""


# --- the caller's answers ------------------------------------------------------------------


def parse_answer(token: str, context: str | None = None) -> Answer:
    """Parse one answer; `context` (gather, record, dial) allows shorthands typed by hand."""
    raw = token
    text = token.strip()
    low = text.lower()
    if text in ("", "-"):
        return Answer("silence", raw=raw)
    if low == "hangup":
        return Answer("hangup", raw=raw)
    if low.startswith("say:"):
        words = " ".join(text[4:].split())
        if not words:
            raise ScriptError(f"{raw!r}: say: needs words, e.g. say:Empresa Demo")
        return Answer("speech", words, raw=raw)
    if context == "record" and (low.isdigit() or low.endswith(":hangup")) \
            and not low.startswith("rec:"):
        low = "rec:" + low
    if context == "dial" and (low.split(":")[0] in DIAL_CHOICES):
        low = "dial:" + low
    if low.startswith("rec:"):
        return _parse_record(low[4:].strip(), raw)
    if low.startswith("dial:"):
        return _parse_dial(low[5:].strip(), raw)
    if _KEYS.fullmatch(text):
        return Answer("keys", text, raw=raw)
    raise ScriptError(f"{raw!r} is not an answer; {GRAMMAR}")


def _parse_record(rest: str, raw: str) -> Answer:
    """rec:SECONDS, rec:hangup, rec:SECONDS:hangup."""
    if rest == "hangup":
        return Answer("record", seconds=RECORD_BEFORE_HANGUP, then_hangup=True, raw=raw)
    seconds, _sep, tail = rest.partition(":")
    if seconds.isdigit() and len(seconds) <= 5 and tail in ("", "hangup"):
        return Answer("record", seconds=int(seconds), then_hangup=tail == "hangup", raw=raw)
    raise ScriptError(f"{raw!r}: a recording is rec:SECONDS, rec:hangup or rec:SECONDS:hangup")


def _parse_dial(rest: str, raw: str) -> Answer:
    """dial:CHOICE, or dial:accept:SECONDS (how long the conversation lasts)."""
    choice, _sep, talk = rest.partition(":")
    if choice not in DIAL_CHOICES:
        raise ScriptError(f"{raw!r}: a callee can {', '.join(DIAL_CHOICES)} (dial:accept…)")
    if talk and not (choice == "accept" and talk.isdigit() and len(talk) <= 5):
        raise ScriptError(f"{raw!r}: only dial:accept takes a length, as dial:accept:SECONDS")
    return Answer("dial", choice, seconds=int(talk) if talk else None, raw=raw)


def parse_script(text: str) -> list[Answer]:
    """All the answers of a --script, checked before the call is placed."""
    answers: list[Answer] = []
    if not text.strip():
        return answers  # no answers: the caller hangs up at the first question
    for index, token in enumerate(text.split(";"), start=1):
        try:
            answers.append(parse_answer(token))
        except ScriptError as error:
            raise ScriptError(f"--script answer {index}: {error}") from None
    return answers


class PromptAnswers:
    """Answers typed at the keyboard; end of input (Ctrl-D) hangs up."""

    def __init__(self, prompt: Callable[[str], str | None], warn: Callable[[str], None]):
        """prompt(text) returns a typed line, or None at end of input."""
        self.prompt = prompt
        self.warn = warn
        self.exhausted = False
        self.end_words = "end of input"

    def next(self, question: Question) -> Answer | None:
        """Ask until the line parses."""
        while True:
            typed = self.prompt(question.prompt)
            if typed is None:
                self.exhausted = True
                return None
            try:
                return parse_answer(typed, question.kind)
            except ScriptError as error:
                self.warn(str(error))

    def refused(self, answer: Answer, reason: str) -> None:
        """Say why, then ask again."""
        self.warn(reason)


# --- HTTP ----------------------------------------------------------------------------------


class HttpTransport:
    """Requests to a running server, with urllib."""

    def __init__(self, base: str, timeout: float = TWILIO_BUDGET_SECONDS):
        """base: e.g. http://127.0.0.1:8000."""
        self.base = base.rstrip("/")
        self.timeout = timeout

    def send(self, method: str, url: str, params: dict[str, str],
             headers: dict[str, str]) -> Reply:
        """One request; HTTP errors are replies, unreachable servers raise TransportError."""
        import urllib.error
        import urllib.request

        data = urlencode(params).encode() if method == "POST" else None
        all_headers = dict(headers)
        if data is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)  # noqa: S310 - http(s) checked by the CLI
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read()
                return Reply(response.status, response.headers.get_content_type(), body,
                             (time.perf_counter() - started) * 1000)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.headers.get_content_type(), error.read(),
                         (time.perf_counter() - started) * 1000)
        except TimeoutError:
            return Reply(0, "", b"", (time.perf_counter() - started) * 1000)
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError):
                return Reply(0, "", b"", (time.perf_counter() - started) * 1000)
            raise TransportError(f"cannot reach {url}: {reason}") from None


# --- the transcript ------------------------------------------------------------------------

_STYLES = {
    "header": "\x1b[2m", "say": "\x1b[1;36m", "play": "\x1b[36m", "caller": "\x1b[1;32m",
    "callee": "\x1b[35m", "note": "\x1b[2m", "warn": "\x1b[1;33m", "end": "\x1b[1m",
}
_RESET = "\x1b[0m"


class Output:
    """Prints the walker's transcript lines, in colour only when asked to (a terminal, no
    NO_COLOR)."""

    def __init__(self, write: Callable[[str], None], color: bool = False):
        """write(line) prints one line."""
        self.write = write
        self.color = color
        self.gutter = ""

    def line(self, kind: str, text: str) -> None:
        """One line of a kind (header, say, play, caller, callee, note, warn, end)."""
        if self.color and kind in _STYLES:
            text = f"{_STYLES[kind]}{text}{_RESET}"
        self.write(f"{self.gutter}{text}")
