"""TwiML building: prompts by id, questions with bounded retries, the XML response.

The seam for the TwiML builder: the views build documents with this module's `VoiceResponse`,
which is the line's writer (ivr/voice/twiml_writer.py, twilio's method names and bytes at a
third of the CPU, a measured exception kept under a contract test). Importing
`twilio.twiml.voice_response.VoiceResponse` here instead puts twilio's builder back with no
other change: everything below uses only the methods both have.
"""

from __future__ import annotations

from flask import Response

from ivr.config import Settings
from ivr.domain.text import strip_forbidden
from ivr.prompts import Catalogue
from ivr.services.reports import MAX_TRIES
from ivr.voice.twiml_writer import Gather, VoiceResponse
from ivr.voice.urls import url_for

__all__ = ["MAX_TRIES", "Gather", "Speaker", "VoiceResponse", "Words", "attempt_number",
           "heard", "no_content", "twiml"]


class Words(str):
    """Words already put together (a closed notice, a coordinator's notice): in a question's
    prompts, spoken as they are instead of looked up as a prompt id."""

    __slots__ = ()



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
            self.say_text(node, self.catalogue.text(prompt_id, **values))

    def say_text(self, node, text: str) -> None:
        """Speak words already put together from several prompts (characters XML forbids, from a
        closure's reason or a contact's name, dropped: one would make the document unreadable
        and every caller of the day would drop to the Fallback URL)."""
        node.say(strip_forbidden(text), voice=self.voice, language=self.language)

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
        hint_words: str | None = None,
        speech: bool = True,
        finish_on_key: str | None = None,
        timeout: int | None = None,
        on_silence: str | None = None,
        **url_args,
    ) -> Gather:
        """Ask a question: a Gather posting to endpoint, then a redirect there on silence.
        Speech hints: the catalogue's list `hints`, or `hint_words` as they are."""
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
            hints=hint_words or (self.catalogue.hints.get(hints) if hints else None),
        )
        for prompt in prompts:
            if isinstance(prompt, Words):
                self.say_text(gather, prompt)
            elif isinstance(prompt, tuple):
                self.say(gather, prompt[0], **prompt[1])
            else:
                self.say(gather, prompt)
        # Silence falls through the Gather to here; the handler sees no input and re-asks.
        response.redirect(on_silence or action, method="POST")
        return gather


def twiml(response: VoiceResponse) -> Response:
    """Answer TwiML with the XML content type."""
    return Response(response.to_xml(), status=200, mimetype="text/xml")


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
