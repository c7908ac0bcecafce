"""TwiML building: prompts by id, questions with bounded retries, the XML response."""

from __future__ import annotations

from flask import Response
from twilio.twiml import TwiML, lower_camel

from ivr.config import Settings
from ivr.prompts import Catalogue
from ivr.voice.urls import url_for

MAX_TRIES = 3


class Speaker:
    """Speaks catalogue prompts in the configured voice, or plays their recordings."""

    def __init__(self, catalogue: Catalogue, settings: Settings):
        """Keep the catalogue and the voice settings."""
        self.catalogue = catalogue
        self.voice = settings.voice
        self.language = settings.voice_language
        self.speech_language = settings.speech_language
        self.gather_timeout = settings.gather_timeout
        # Every <Say> has the same attributes: written once.
        self._say = _Verb("Say", {"voice": self.voice, "language": self.language}).opening

    def say(self, node: _Verb, prompt_id: str, **values) -> None:
        """Add one prompt to a response or a Gather."""
        audio = None if values else self.catalogue.audio_file(prompt_id)
        if audio:
            node.play(url_for("audio.prompt", name=audio))
        else:
            self.say_text(node, self.catalogue.text(prompt_id, **values))

    def say_text(self, node: _Verb, text: str) -> None:
        """Speak words already put together from several prompts."""
        node.parts.append(f"{self._say}>{text.translate(_TEXT)}</Say>" if text
                          else f"{self._say} />")

    def text(self, prompt_id: str, **values) -> str:
        """A prompt's words, to be combined into a longer sentence."""
        return self.catalogue.text(prompt_id, **values)

    def ask(
        self,
        response: VoiceResponse,
        endpoint: str,
        prompts: list,
        attempt: int = 1,
        *,
        num_digits: int | None = 1,
        hints: str | None = None,
        speech: bool = True,
        finish_on_key: str | None = None,
        timeout: int | None = None,
        on_silence: str | None = None,
        **url_args,
    ) -> Gather:
        """Ask a question: a Gather posting to endpoint, then a redirect there on silence."""
        action = url_for(endpoint, t=attempt, **url_args)
        gather = response.gather(
            input="dtmf speech" if speech else "dtmf",
            action=action,
            method="POST",
            timeout=timeout or self.gather_timeout,
            num_digits=num_digits,
            finish_on_key=finish_on_key,
            speech_timeout="auto" if speech else None,
            language=self.speech_language if speech else None,
            hints=self.catalogue.hints.get(hints) if hints else None,
        )
        for prompt in prompts:
            if isinstance(prompt, tuple):
                self.say(gather, prompt[0], **prompt[1])
            else:
                self.say(gather, prompt)
        # Silence falls through the Gather to here; the handler sees no input and re-asks.
        response.redirect(on_silence or action, method="POST")
        return gather


def twiml(response: VoiceResponse) -> Response:
    """Answer TwiML with the XML content type."""
    return Response(response.to_xml(), status=200, mimetype="text/xml")


# The escapes of xml.etree.ElementTree, which twilio's builder serialises through.
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                            "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"})
_CAMEL: dict[str, str] = {}  # snake_case keyword -> TwiML attribute, as twilio names them


def _attributes(kwargs: dict) -> str:
    """A verb's attributes as twilio writes them: camelCase names in sorted order, None
    left out, booleans as true/false, values escaped."""
    items = []
    for key, value in kwargs.items():
        if value is None:
            continue
        name = _CAMEL.get(key)
        if name is None:
            name = _CAMEL[key] = lower_camel(TwiML.MAP.get(key, key))
        text = ("true" if value else "false") if value is True or value is False else str(value)
        items.append((name, text))
    items.sort()
    return "".join([f' {name}="{text.translate(_ATTRIBUTE)}"' for name, text in items])


def _leaf(name: str, text, kwargs: dict) -> str:
    attributes = _attributes(kwargs) if kwargs else ""
    if not text:
        return f"<{name}{attributes} />"
    return f"<{name}{attributes}>{str(text).translate(_TEXT)}</{name}>"


class _Verb:
    """A TwiML element whose children are added after it is made (Response, Gather, Dial).

    The line's own builder, with twilio's method names and keywords for the verbs the line
    speaks: twilio's builds an object per verb, then an ElementTree, then serialises it, and
    that was a tenth of a webhook's time. Leaves are written as they are added; the document
    is byte for byte what twilio's `str(response)` gives for the same calls
    (tests/test_twiml_render.py checks it against twilio's builder).
    """

    __slots__ = ("name", "opening", "parts")

    def __init__(self, name: str, kwargs: dict):
        self.name = name
        self.opening = f"<{name}{_attributes(kwargs)}" if kwargs else f"<{name}"
        self.parts: list = []

    def say(self, message=None, voice=None, loop=None, language=None, **kwargs) -> None:
        """<Say>: words in a voice."""
        self.parts.append(_leaf("Say", message, dict(voice=voice, loop=loop,
                                                     language=language, **kwargs)))

    def play(self, url=None, loop=None, digits=None, **kwargs) -> None:
        """<Play>: a recording by URL."""
        self.parts.append(_leaf("Play", url, dict(loop=loop, digits=digits, **kwargs)))

    def pause(self, length=None, **kwargs) -> None:
        """<Pause>: silence."""
        self.parts.append(_leaf("Pause", None, dict(length=length, **kwargs)))

    def _write(self, out: list[str]) -> None:
        if not self.parts:
            out.append(self.opening + " />")
            return
        out.append(self.opening + ">")
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                part._write(out)
        out.append(f"</{self.name}>")


class Gather(_Verb):
    """<Gather>: keys or speech, with prompts inside."""

    __slots__ = ()


class Dial(_Verb):
    """<Dial>: one or more numbers to ring."""

    __slots__ = ()

    def number(self, phone_number, **kwargs) -> None:
        """<Number>: a phone to ring, with its whisper URL and callbacks."""
        self.parts.append(_leaf("Number", phone_number, kwargs))


class VoiceResponse(_Verb):
    """<Response>: the document a voice webhook answers."""

    __slots__ = ()

    def __init__(self):
        super().__init__("Response", {})

    def gather(self, **kwargs) -> Gather:
        """<Gather>, returned so that prompts can go inside."""
        gather = Gather("Gather", kwargs)
        self.parts.append(gather)
        return gather

    def dial(self, number=None, **kwargs) -> Dial:
        """<Dial>, returned so that numbers can go inside."""
        dial = Dial("Dial", kwargs)
        if number:
            dial.parts.append(str(number).translate(_TEXT))
        self.parts.append(dial)
        return dial

    def redirect(self, url, method=None, **kwargs) -> None:
        """<Redirect>: fetch the next TwiML from url."""
        self.parts.append(_leaf("Redirect", url, dict(method=method, **kwargs)))

    def hangup(self, **kwargs) -> None:
        """<Hangup>."""
        self.parts.append(_leaf("Hangup", None, kwargs))

    def record(self, **kwargs) -> None:
        """<Record>: the caller's message."""
        self.parts.append(_leaf("Record", None, kwargs))

    def to_xml(self) -> str:
        """The document, with its XML declaration."""
        out = ['<?xml version="1.0" encoding="UTF-8"?>']
        self._write(out)
        return "".join(out)

    __str__ = to_xml


def no_content() -> Response:
    """Answer a callback that needs no TwiML."""
    return Response(status=204)


def attempt_number() -> int:
    """The try counter carried in the question's URL (1 when absent or odd)."""
    from flask import request

    raw = request.args.get("t", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 3 else 1


def heard(request) -> tuple[str, str]:
    """The keys pressed and the words said in answer to a Gather."""
    digits = (request.form.get("Digits") or "").strip()[:32]
    speech = (request.form.get("SpeechResult") or "").strip()[:300]
    return digits, speech
