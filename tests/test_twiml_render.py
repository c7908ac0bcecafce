"""Our TwiML writer gives exactly the document twilio's builder serialises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.voice_response import VoiceResponse

from ivr.voice.twiml import render

text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=60)


@settings(max_examples=300, deadline=None)
@given(say=text, action=text, hints=st.one_of(st.none(), text), digits=st.integers(0, 20),
       beep=st.booleans(), number=text, nested=st.booleans())
def test_same_document_as_twilio(say, action, hints, digits, beep, number, nested):
    """Every verb the line uses, with odd text and attributes: the same bytes."""
    response = VoiceResponse()
    gather = response.gather(input="dtmf speech", action=action, hints=hints, num_digits=digits,
                             speech_timeout="auto", language="es-US")
    gather.say(say, voice="Polly.Mia-Neural", language="es-MX")
    if nested:
        gather.play("https://example.com/a.mp3?x=1&y=2")
    response.say("")
    response.record(action=action, max_length=120, play_beep=beep, finish_on_key="#",
                    trim="trim-silence", recording_status_callback=action)
    dial = response.dial(action=action, timeout=20, answer_on_bridge=True, time_limit=3600)
    dial.number(number, url=action, status_callback_event="initiated ringing answered")
    response.redirect(action, method="POST")
    response.hangup()
    assert render(response) == str(response)


def test_empty_response():
    """An empty <Response/> bridges a whispered call: written the same way."""
    assert render(VoiceResponse()) == str(VoiceResponse())
