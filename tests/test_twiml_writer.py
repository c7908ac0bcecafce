"""The contract of the line's TwiML writer: twilio's public builder writes the same bytes.

The writer (ivr/voice/twiml_writer.py) stands in for `twilio.twiml.voice_response` as a
measured exception. For every verb and keyword the line uses, with any text and attribute
values, empty and nested verbs included, both are given the same calls and must write the
same document. Only twilio's public API is used: `VoiceResponse`, its verb methods and
`str()` / `to_xml()`.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.voice_response import VoiceResponse as TwilioResponse

from ivr.voice.twiml_writer import VoiceResponse, attribute_name

text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=60)
maybe_text = st.one_of(st.none(), text)
value = st.one_of(st.none(), text, st.integers(-5, 3600), st.booleans())


def build(response, say, action, hints, digits, beep, number, nested, loop, extra, dial_to):
    """The same calls on either builder: every verb and keyword the line uses."""
    gather = response.gather(input="dtmf speech", action=action, hints=hints, num_digits=digits,
                             speech_timeout="auto", language="es-US", finish_on_key=extra,
                             method="POST", timeout=loop)
    gather.say(say, voice="Polly.Mia-Neural", language="es-MX", loop=loop)
    if nested:
        gather.play("https://example.com/a.mp3?x=1&y=2", loop=loop)
        gather.pause(length=loop)
    response.say("")
    response.say(say)
    response.play(action)
    response.pause(length=extra)
    response.record(action=action, max_length=120, play_beep=beep, finish_on_key="#",
                    trim="trim-silence", recording_status_callback=action, timeout=extra,
                    recording_status_callback_event="completed absent",
                    recording_status_callback_method="POST", method="POST")
    dial = response.dial(dial_to, action=action, timeout=20, answer_on_bridge=beep,
                         time_limit=3600, method=extra, caller_id=number, record=extra)
    dial.number(number, url=action, status_callback_event="initiated ringing answered",
                status_callback=extra, status_callback_method="POST", method="POST")
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
    theirs = build(TwilioResponse(), *args)
    assert ours.to_xml() == str(ours) == str(theirs) == theirs.to_xml()
    assert ours.to_xml(xml_declaration=False) == theirs.to_xml(xml_declaration=False)


def test_empty_response():
    """An empty <Response/> bridges a whispered call: written the same way."""
    assert VoiceResponse().to_xml() == str(TwilioResponse())


@settings(max_examples=200, deadline=None)
@given(words=text, voice=text, language=text)
def test_say_as_twilio_would(words, voice, language):
    """The speaker's <Say>, in any voice and language: the same bytes as twilio's say()."""
    ours, theirs = VoiceResponse(), TwilioResponse()
    ours.gather(action="/x").say(words, voice=voice, language=language)
    theirs.gather(action="/x").say(words, voice=voice, language=language)
    assert ours.to_xml() == str(theirs)


@given(st.lists(st.text("abcdefghij", min_size=1, max_size=6), min_size=1, max_size=4))
def test_attribute_names_as_twilio_spells_them(words):
    """Any snake_case keyword becomes the attribute name twilio writes for it."""
    keyword = "_".join(words)
    theirs = TwilioResponse()
    theirs.pause(**{keyword: "1"})
    assert str(theirs).endswith(f'<Response><Pause {attribute_name(keyword)}="1" /></Response>')
