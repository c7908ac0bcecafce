"""The line's TwiML builder writes exactly the document twilio's builder serialises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.voice_response import VoiceResponse as TwilioResponse

from ivr.voice.twiml import VoiceResponse

text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=60)
maybe_text = st.one_of(st.none(), text)
value = st.one_of(st.none(), text, st.integers(-5, 3600), st.booleans())


def build(response, say, action, hints, digits, beep, number, nested, loop, extra, dial_to):
    """The same calls on either builder: every verb and keyword the line uses."""
    gather = response.gather(input="dtmf speech", action=action, hints=hints, num_digits=digits,
                             speech_timeout="auto", language="es-US", finish_on_key=extra)
    gather.say(say, voice="Polly.Mia-Neural", language="es-MX", loop=loop)
    if nested:
        gather.play("https://example.com/a.mp3?x=1&y=2", loop=loop)
        gather.pause(length=loop)
    response.say("")
    response.say(say)
    response.record(action=action, max_length=120, play_beep=beep, finish_on_key="#",
                    trim="trim-silence", recording_status_callback=action, timeout=extra)
    dial = response.dial(dial_to, action=action, timeout=20, answer_on_bridge=beep,
                         time_limit=3600, method=extra)
    dial.number(number, url=action, status_callback_event="initiated ringing answered",
                status_callback=extra, method="POST")
    response.gather(input="dtmf", num_digits=1, timeout=8, action=action)  # empty
    response.redirect(action, method="POST")
    response.redirect(say)
    response.hangup()
    return response


@settings(max_examples=400, deadline=None)
@given(say=text, action=text, hints=maybe_text, digits=st.integers(0, 20), beep=st.booleans(),
       number=text, nested=st.booleans(), loop=value, extra=value, dial_to=maybe_text)
def test_same_document_as_twilio(say, action, hints, digits, beep, number, nested, loop, extra,
                                 dial_to):
    """Odd text and attribute values, empty and nested verbs: the same bytes."""
    args = (say, action, hints, digits, beep, number, nested, loop, extra, dial_to)
    ours = build(VoiceResponse(), *args)
    assert ours.to_xml() == str(ours) == str(build(TwilioResponse(), *args))


def test_empty_response():
    """An empty <Response/> bridges a whispered call: written the same way."""
    assert VoiceResponse().to_xml() == str(TwilioResponse())


@settings(max_examples=200, deadline=None)
@given(words=text, voice=text, language=text)
def test_speaker_says_as_twilio_would(words, voice, language):
    """The speaker writes its <Say> opening once: the same bytes as twilio's say()."""
    from types import SimpleNamespace

    from ivr.voice.twiml import Speaker

    settings_ = SimpleNamespace(voice=voice, voice_language=language, speech_language="es-US",
                                gather_timeout=6)
    ours = VoiceResponse()
    Speaker(None, settings_).say_text(ours.gather(action="/x"), words)
    theirs = TwilioResponse()
    theirs.gather(action="/x").say(words, voice=voice, language=language)
    assert ours.to_xml() == str(theirs)
