"""Text that reaches TwiML: what XML 1.0 forbids is found, named and stripped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from twilio.twiml.voice_response import VoiceResponse

from ivr.domain.text import (
    Forbidden,
    ForbiddenCharacter,
    check_text,
    fill,
    find_forbidden,
    strip_forbidden,
)

FORBIDDEN = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + [
    "\ufffe", "\uffff", "\ud800", "\udbff", "\udc00", "\udfff"]
# Any character at all, with the forbidden ones and line ends drawn often. A list joined, not
# st.text(): st.text() never draws lone surrogates, U+FFFE or U+FFFF, even from an alphabet.
ANY_TEXT = st.lists(st.one_of(st.characters(),
                              st.sampled_from([*FORBIDDEN, "\r", "\n", "&"]))).map("".join)
ALLOWED = ["\t", "\n", "\r", " ", "ñ", "á", "€", "\x7f", "\x85", "\u200b", "\ud7ff", "\ue000",
           "\ufffd", "\U00010000", "\U0001f600", "\U0010ffff", "&", "<", "]]>"]


def parsed_say(text: str) -> str:
    """The text of <Say> after TwiML built by twilio's library is serialised and parsed."""
    response = VoiceResponse()
    response.say(text)
    document = response.to_xml().encode("utf-8")
    return ET.fromstring(document).find("Say").text or ""


def test_control_character_in_a_closure_reason_breaks_twiml_unless_stripped():
    """The finding of issue 13: a form feed in a spoken text makes the TwiML unparsable."""
    reason = "Inventario\x0c anual"
    with pytest.raises(ET.ParseError):
        parsed_say(reason)
    assert strip_forbidden(reason) == "Inventario anual"
    assert parsed_say(strip_forbidden(reason)) == "Inventario anual"


@pytest.mark.parametrize("char", FORBIDDEN)
def test_each_forbidden_character_is_found_and_stripped(char):
    """Every C0 control but tab, newline and return; U+FFFE, U+FFFF; lone surrogates."""
    text = f"Ana{char} Prueba"
    assert strip_forbidden(text) == "Ana Prueba"
    assert find_forbidden(text) == Forbidden(char, 3)


@pytest.mark.parametrize("char", ALLOWED)
def test_allowed_characters_are_kept(char):
    """Everything XML 1.0 allows stays, escaping being the serialiser's business."""
    text = f"Ana{char} Prueba"
    assert strip_forbidden(text) == text
    assert find_forbidden(text) is None


def test_forbidden_named_for_a_person():
    """The checker says which character and where, counted from 1."""
    assert str(find_forbidden("Cerrado\x0c hoy")) == "U+000C at position 8"
    assert str(find_forbidden("ok\uffff")) == "U+FFFF at position 3"


def test_check_text_raises_naming_the_field_and_the_character():
    """For the command line: one message naming the option and the character."""
    assert check_text("Inventario anual", "--reason") == "Inventario anual"
    with pytest.raises(ForbiddenCharacter) as error:
        check_text("Inventario\x0c anual", "--reason")
    assert str(error.value).startswith("--reason: character U+000C at position 11 ")
    assert error.value.found == Forbidden("\x0c", 10)
    assert isinstance(error.value, ValueError)


@given(ANY_TEXT)
@example("\x00\x0b\x0c\x1f\ufffe\uffff\ud800\udfff")
@example("a\r\nb\rc")
def test_stripped_text_always_parses_inside_an_element(text):
    """Whatever the text: stripped, it parses inside an XML element, and nothing else in it
    was changed (XML parsers turn line ends into \\n)."""
    clean = strip_forbidden(text)
    assert find_forbidden(clean) is None
    document = f"<Say>{escape(clean)}</Say>".encode()
    parsed = ET.fromstring(document).text or ""
    assert parsed == clean.replace("\r\n", "\n").replace("\r", "\n")
    assert parsed_say(clean) == parsed


@given(ANY_TEXT)
def test_find_forbidden_agrees_with_strip(text):
    """find_forbidden is None exactly when stripping changes nothing."""
    found = find_forbidden(text)
    assert (found is None) == (strip_forbidden(text) == text)
    if found is not None:
        assert text[found.position] == found.char
        assert find_forbidden(text[:found.position]) is None


@pytest.mark.parametrize(("template", "values", "said"), [
    ("Tenemos sus datos, {name}, de {company}.",
     {"name": "Rosa Linares", "company": "Farmacia El Ávila, C.A."},
     "Tenemos sus datos, Rosa Linares, de Farmacia El Ávila, C.A."),
    ("Tenemos sus datos, {name}, de {company}.", {"name": "Ana", "company": "Empresa Demo"},
     "Tenemos sus datos, Ana, de Empresa Demo."),
    ("Llamada de {company}, caso {digits}.", {"company": "Inversiones S.A.", "digits": "1 2"},
     "Llamada de Inversiones S.A., caso 1 2."),
    ("Hola, {name}. Su estado es: {status}.", {"name": "Dr. Luis Pérez Jr.", "status": "¡listo!"},
     "Hola, Dr. Luis Pérez Jr. Su estado es: ¡listo!"),
    ("Costo {cost:>6}.", {"cost": "45.00"}, "Costo  45.00."),
])
def test_fill_never_doubles_a_full_stop(template, values, said):
    """A value that ends a sentence is not followed by the template's full stop."""
    assert fill(template, **values) == said


@given(st.text(), st.text())
def test_fill_is_format_but_for_doubled_stops(name, company):
    """Otherwise fill is str.format: same text, at most one full stop less."""
    template = "Tenemos sus datos, {name}, de {company}."
    formatted = template.format(name=name, company=company)
    filled = fill(template, name=name, company=company)
    assert filled in (formatted, formatted[:-1])
    assert ".." not in filled[-2:] or company.endswith("..")
