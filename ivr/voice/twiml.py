"""TwiML building: prompts by id, questions with bounded retries, the XML response."""

from __future__ import annotations

import json

from flask import Response
from twilio.twiml import TwiML
from twilio.twiml.voice_response import Gather, VoiceResponse

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

    def say(self, node, prompt_id: str, **values) -> None:
        """Add one prompt to a response or a Gather."""
        audio = None if values else self.catalogue.audio_file(prompt_id)
        if audio:
            node.play(url_for("audio.prompt", name=audio))
        else:
            node.say(self.catalogue.text(prompt_id, **values), voice=self.voice,
                     language=self.language)

    def say_text(self, node, text: str) -> None:
        """Speak words already put together from several prompts."""
        node.say(text, voice=self.voice, language=self.language)

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
    return Response(render(response), status=200, mimetype="text/xml")


# The escapes of xml.etree.ElementTree, which twilio's builder serialises through.
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                            "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"})


def render(response: TwiML) -> str:
    """The document twilio's `str(response)` gives, written straight to a string.

    twilio builds an ElementTree and serialises it: a third of a webhook's TwiML time went
    there. This walks the same verbs (name, attributes in sorted order, text, nested verbs)
    with the same escaping; tests/test_twiml_render.py checks the output is identical.
    """
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    _write(response, out)
    return "".join(out)


def _write(node: TwiML, out: list[str]) -> None:
    out.append("<" + node.name)
    for name in sorted(node.attrs):
        value = node.attrs[name]
        value = str(value).lower() if isinstance(value, bool) else str(value)
        out.append(f' {name}="{value.translate(_ATTRIBUTE)}"')
    text = node.value
    if isinstance(text, dict):
        text = json.dumps(text)
    if not text and not node.verbs:
        out.append(" />")
        return
    out.append(">")
    if text:
        out.append(text.translate(_TEXT))
    for child in node.verbs:
        if isinstance(child, str):
            out.append(child.translate(_TEXT))
        else:
            _write(child, out)
    out.append(f"</{node.name}>")


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
