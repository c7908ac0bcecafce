"""Tests for ivr.domain.speech_intents."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.domain.speech_intents import menu_choice, severity, yes_no


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 1: the caller already has a case.
        ("tengo un número de caso", "1"),
        ("Tengo un numero de caso.", "1"),
        ("ya tengo caso", "1"),
        ("ya tengo un caso", "1"),
        ("consultar mi caso", "1"),
        ("número de caso", "1"),
        ("quiero saber el estado de mi caso", "1"),
        ("uno", "1"),
        ("Uno.", "1"),
        ("opción uno", "1"),
        ("la opción número uno, por favor", "1"),
        ("1", "1"),
        # 2: a new fault.
        ("reportar una falla", "2"),
        ("Quiero REPORTAR una FALLA!", "2"),
        ("tengo una falla", "2"),
        ("nuevo reporte", "2"),
        ("problema", "2"),
        ("tengo un problema con la impresora", "2"),
        ("la computadora no funciona", "2"),
        ("se cayó el sistema otra vez", "2"),
        ("abrir un caso nuevo", "2"),
        ("dos", "2"),
        ("opción dos", "2"),
        ("2", "2"),
        # 0: a person.
        ("hablar con una persona", "0"),
        ("quiero hablar con alguien", "0"),
        ("operador", "0"),
        ("operadora", "0"),
        ("un analista", "0"),
        ("agente", "0"),
        ("es una emergencia", "0"),
        ("emergencia", "0"),
        ("EMERGENCIA", "0"),
        ("tengo una emergencia con mi caso", "0"),
        ("cero", "0"),
        ("0", "0"),
        # *: hear the menu again.
        ("repetir", "*"),
        ("repita por favor", "*"),
        ("otra vez", "*"),
        ("no escuché", "*"),
        ("no escuche", "*"),
        ("no le entendí", "*"),
        ("escuchar de nuevo", "*"),
        ("asterisco", "*"),
        ("*", "*"),
        # A bare option digit among other words.
        ("creo que la dos", "2"),
        # Nothing the menu offers.
        ("hola", None),
        ("tres", None),
        ("3", None),
        ("nueve", None),
        ("buenas tardes", None),
        ("", None),
        ("   ", None),
        ("¿?", None),
        (None, None),
    ],
)
def test_menu_choice(text, expected):
    """Spoken main-menu answers map to the key they stand for."""
    assert menu_choice(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sí", True),
        ("si", True),
        ("Sí.", True),
        ("SÍ", True),
        ("claro", True),
        ("claro que sí", True),
        ("correcto", True),
        ("es correcto", True),
        ("afirmativo", True),
        ("así es", True),
        ("uno", True),
        ("1", True),
        ("opción uno", True),
        ("no", False),
        ("No.", False),
        ("negativo", False),
        ("no es correcto", False),
        ("incorrecto", False),
        ("dos", False),
        ("2", False),
        ("no, otro número", False),
        ("no sé", None),
        ("no estoy seguro", None),
        ("hola", None),
        ("tres", None),
        ("", None),
        (None, None),
    ],
)
def test_yes_no(text, expected):
    """Spoken confirmations map to True, False or None."""
    assert yes_no(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 1: operation stopped.
        ("uno", 1),
        ("1", 1),
        ("opción uno", 1),
        ("todo parado", 1),
        ("está todo parado", 1),
        ("no puedo trabajar", 1),
        ("no podemos trabajar", 1),
        ("urgente", 1),
        ("es urgente", 1),
        ("la operación está detenida", 1),
        ("detenida", 1),
        ("el sistema está caído", 1),
        # 2: partly affected.
        ("dos", 2),
        ("2", 2),
        ("parcialmente", 2),
        ("algunas cosas", 2),
        ("algunas cosas no funcionan", 2),
        ("lento", 2),
        ("está muy lento", 2),
        ("nivel dos", 2),
        # 3: a question.
        ("tres", 3),
        ("3", 3),
        ("consulta", 3),
        ("una pregunta", 3),
        ("tengo una duda", 3),
        ("no es urgente, es una pregunta", 3),
        # Neither.
        ("no es urgente", None),
        ("hola", None),
        ("cuatro", None),
        ("uno o dos", None),
        ("", None),
        (None, None),
    ],
)
def test_severity(text, expected):
    """Spoken severities map to 1, 2 or 3."""
    assert severity(text) == expected


@given(st.text(max_size=60))
def test_never_raises_on_arbitrary_text(text):
    """Whatever the recogniser returns, the mappers answer within their ranges."""
    assert menu_choice(text) in {None, "0", "1", "2", "*"}
    assert yes_no(text) in {None, True, False}
    assert severity(text) in {None, 1, 2, 3}
