"""TwiML as Twilio reads it, from the line's writer and from twilio's builder alike.

ivr/voice/twiml.py is the seam between the views and a TwiML builder: the line's writer
(ivr/voice/twiml_writer.py) or twilio's `VoiceResponse`. Each test runs on both, so the seam
stays open. Documents are parsed back, never compared as strings: whatever odd text or
attribute value a verb is given arrives intact in the XML, empty and nested verbs included;
the speaker says and asks in its voice. (tests/test_twiml_writer.py holds the byte contract.)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.twiml import voice_response

from ivr.prompts import Catalogue
from ivr.voice import twiml_writer
from ivr.voice.twiml import Speaker, VoiceResponse, twiml

BUILDERS = pytest.mark.parametrize("builder", [VoiceResponse, voice_response.VoiceResponse],
                                   ids=["writer", "twilio"])

# What XML 1.0 can carry (no control characters but tab and newline; no lone surrogates);
# a carriage return in element text reads back as a newline, so none in text.
text = st.text(st.one_of(st.characters(blacklist_categories=("Cs", "Cc")),
                         st.sampled_from("\t\n&<>\"'")), max_size=60)
attribute_text = st.text(st.one_of(st.characters(blacklist_categories=("Cs", "Cc")),
                                   st.sampled_from("\t\n\r&<>\"'")), max_size=60)
maybe_text = st.one_of(st.none(), text)
value = st.one_of(st.none(), attribute_text, st.integers(-5, 3600), st.booleans())
SETTINGS = SimpleNamespace(voice="Polly.Mia-Neural", voice_language="es-MX",
                           speech_language="es-US", gather_timeout=6)


def as_attribute(given_value) -> str | None:
    """What an attribute given this value reads back as (None: left out)."""
    if given_value is None:
        return None
    if isinstance(given_value, bool):
        return "true" if given_value else "false"
    return str(given_value)


def as_text(given_text: str) -> str:
    """What element text reads back as: XML turns every line end into a newline."""
    return given_text.replace("\r\n", "\n").replace("\r", "\n")


def parsed(response) -> ET.Element:
    """The document as Twilio gets it: through twiml(), XML declaration and all."""
    answer = twiml(response)
    assert answer.status_code == 200 and answer.mimetype == "text/xml"
    body = answer.get_data()
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(body)


def test_the_seam():
    """The views build with the line's writer, which has every method they call on twilio's."""
    assert VoiceResponse is twiml_writer.VoiceResponse
    for verb in ("say", "play", "pause", "gather", "dial", "redirect", "hangup", "record",
                 "to_xml"):
        assert callable(getattr(voice_response.VoiceResponse, verb)), verb
        assert callable(getattr(VoiceResponse, verb)), verb
    assert callable(voice_response.Dial.number) and callable(twiml_writer.Dial.number)


@BUILDERS
@settings(max_examples=400, deadline=None)
@given(say=text, action=attribute_text, hints=maybe_text, digits=st.integers(0, 20),
       beep=st.booleans(), number=text, nested=st.booleans(), loop=value, extra=value,
       dial_to=maybe_text)
def test_every_verb_reads_back(builder, say, action, hints, digits, beep, number, nested, loop,
                               extra, dial_to):
    """Every verb and keyword the line uses, with odd text and attribute values, empty and
    nested verbs: each value arrives in the attribute twilio names, text as given."""
    response = builder()
    gather = response.gather(input="dtmf speech", action=action, hints=hints,
                             num_digits=digits, speech_timeout="auto", language="es-US",
                             finish_on_key=extra)
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

    root = parsed(response)
    assert root.tag == "Response" and root.attrib == {}
    verbs = list(root)
    assert [v.tag for v in verbs] == ["Gather", "Say", "Say", "Record", "Dial", "Gather",
                                      "Redirect", "Redirect", "Hangup"]
    first, empty_say, said, record, dialled, second, redirect, bare, hangup = verbs
    assert first.attrib == {k: v for k, v in {
        "input": "dtmf speech", "action": action, "hints": hints, "numDigits": str(digits),
        "speechTimeout": "auto", "language": "es-US", "finishOnKey": as_attribute(extra),
    }.items() if v is not None}
    inside = list(first)
    assert [v.tag for v in inside] == (["Say", "Play", "Pause"] if nested else ["Say"])
    assert (inside[0].text or "") == say
    assert inside[0].get("voice") == "Polly.Mia-Neural" and inside[0].get("language") == "es-MX"
    assert inside[0].get("loop") == as_attribute(loop)
    if nested:
        assert inside[1].text == "https://example.com/a.mp3?x=1&y=2"
        assert inside[2].get("length") == as_attribute(loop) and inside[2].text is None
    assert empty_say.text is None and empty_say.attrib == {}
    assert (said.text or "") == say
    assert record.attrib == {k: v for k, v in {
        "action": action, "maxLength": "120", "playBeep": as_attribute(beep),
        "finishOnKey": "#", "trim": "trim-silence", "recordingStatusCallback": action,
        "timeout": as_attribute(extra)}.items() if v is not None}
    assert dialled.attrib == {k: v for k, v in {
        "action": action, "timeout": "20", "answerOnBridge": as_attribute(beep),
        "timeLimit": "3600", "method": as_attribute(extra)}.items() if v is not None}
    assert (dialled.text or "") == (dial_to or "")
    [leg] = list(dialled)
    assert (leg.tag, leg.text or "") == ("Number", number)
    assert leg.attrib == {k: v for k, v in {
        "url": action, "statusCallbackEvent": "initiated ringing answered",
        "statusCallback": as_attribute(extra), "method": "POST"}.items() if v is not None}
    assert list(second) == [] and second.get("numDigits") == "1"
    assert (redirect.text or "", redirect.get("method")) == (as_text(action), "POST")
    assert ((bare.text or ""), bare.attrib) == (say, {})
    assert hangup.attrib == {} and list(hangup) == []


@BUILDERS
def test_empty_response(builder):
    """An empty <Response/> bridges a whispered call: a document with nothing in it."""
    root = parsed(builder())
    assert root.tag == "Response" and list(root) == [] and root.text is None


@BUILDERS
@settings(max_examples=200, deadline=None)
@given(words=text, voice=attribute_text, language=attribute_text)
def test_speaker_says_in_its_voice(builder, words, voice, language):
    """The speaker's <Say> carries the configured voice and language and the words as given
    (an empty text is an empty <Say>)."""
    settings_ = SimpleNamespace(voice=voice, voice_language=language, speech_language="es-US",
                                gather_timeout=6)
    response = builder()
    Speaker(None, settings_).say_text(response.gather(action="/x"), words)
    [gather] = list(parsed(response))
    [say] = list(gather)
    assert say.tag == "Say" and say.attrib == {"voice": voice, "language": language}
    assert (say.text or "") == words


CATALOGUE = Catalogue(texts={"ask": "Marque {n}.", "hello": "Hola & bienvenido"},
                      hints={"menu": "uno, dos"}, audio={"hello": "hello.mp3"})


@BUILDERS
def test_speaker_asks(app, builder):
    """ask(): a Gather posting to the endpoint with the try counter, its prompts inside (a
    recording played where there is one), then a Redirect there for silence."""
    with app.test_request_context("/voice/incoming", method="POST"):
        response = builder()
        Speaker(CATALOGUE, SETTINGS).ask(response, "voice.menu", ["hello", ("ask", {"n": 1})],
                                         attempt=2, hints="menu")
        gather, redirect = list(parsed(response))
    assert gather.attrib == {"input": "dtmf speech", "action": "/voice/menu?t=2",
                             "method": "POST", "timeout": "6", "numDigits": "1",
                             "speechTimeout": "auto", "language": "es-US", "hints": "uno, dos"}
    play, say = list(gather)
    assert (play.tag, play.text) == ("Play", "/audio/hello.mp3")
    assert (say.tag, say.text, say.get("voice")) == ("Say", "Marque 1.", "Polly.Mia-Neural")
    assert (redirect.tag, redirect.text, redirect.get("method")) == (
        "Redirect", "/voice/menu?t=2", "POST")


@BUILDERS
@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attempt=st.integers(1, 3), speech=st.booleans(), silence=st.booleans())
def test_speaker_asks_keys_only(app, builder, attempt, speech, silence):
    """Without speech: keys only, no speech attributes; the silence target when given."""
    with app.test_request_context("/voice/incoming", method="POST"):
        response = builder()
        Speaker(CATALOGUE, SETTINGS).ask(response, "voice.menu", [], attempt=attempt,
                                         speech=speech, num_digits=None,
                                         on_silence="/voice/goodbye" if silence else None)
        gather, redirect = list(parsed(response))
    assert gather.get("input") == ("dtmf speech" if speech else "dtmf")
    assert ("speechTimeout" in gather.attrib) is speech and ("language" in gather.attrib) is speech
    assert "numDigits" not in gather.attrib and list(gather) == []
    assert redirect.text == ("/voice/goodbye" if silence else f"/voice/menu?t={attempt}")
