"""Map short spoken answers (Spanish speech-recognition results) to menu keys.

Each prompt offers keypad options, and a caller may instead say the option
("opción uno"), the digit ("1") or what they want ("reportar una falla").
Everything here returns the key the caller would have pressed, or None.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TypeVar

_T = TypeVar("_T")

_PUNCTUATION = re.compile(r"[^\w\s*]+")
_SPACES = re.compile(r"\s+")

# Words that may surround a bare option ("la opción número uno, por favor")
# without changing which option it is.
_OPTION_FILLERS = frozenset(
    {
        "a", "al", "bueno", "el", "eh", "este", "favor", "gracias", "la", "las", "los",
        "marcar", "marco", "marque", "numero", "oprimir", "oprimo", "opcion", "pues",
        "por", "presionar", "presiono", "quiero", "tecla", "ok", "okey",
    }
)

_DIGIT_WORDS = {
    "0": "0", "cero": "0",
    "1": "1", "uno": "1",
    "2": "2", "dos": "2",
    "3": "3", "tres": "3",
    "*": "*", "asterisco": "*", "estrella": "*",
}


def _normalise(text: str | None) -> str:
    """Lowercase `text`, strip accents and punctuation, and collapse spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    # "*" survives because a recogniser may transcribe "asterisco" as the symbol.
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", folded)).strip()


def _bare_option(normalised: str, allowed: str) -> str | None:
    """Return the key when the utterance is only an option digit among `allowed`."""
    words = [w for w in normalised.split() if w not in _OPTION_FILLERS]
    if len(words) != 1:
        return None
    key = _DIGIT_WORDS.get(words[0])
    return key if key is not None and key in allowed else None


def _digit_among_words(normalised: str, allowed: str) -> str | None:
    """Return the key when exactly one option digit among `allowed` occurs in the utterance."""
    keys = {_DIGIT_WORDS[w] for w in normalised.split() if w in _DIGIT_WORDS}
    keys &= set(allowed)
    return keys.pop() if len(keys) == 1 else None


def _compile(*patterns: str) -> re.Pattern[str]:
    """Compile alternatives that must match whole words of a normalised utterance."""
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b")


def _first_match(normalised: str, rules: tuple[tuple[_T, re.Pattern[str]], ...]) -> _T | None:
    """Return the value of the first rule whose pattern occurs in the utterance."""
    for value, pattern in rules:
        if pattern.search(normalised):
            return value
    return None


# Order matters: earlier rules win when an utterance mentions several things.
_MENU_RULES = (
    # A person first: someone saying "emergencia" must never end up in a form.
    ("0", _compile(
        r"persona", r"operador(?:a)?", r"analista", r"agente", r"asesor(?:a)?", r"humano",
        r"representante", r"especialista", r"alguien", r"hablar con",
        r"emergencia", r"recepcion(?:ista)?",
    )),
    # Phrases that can only mean an existing case.
    ("1", _compile(
        r"numero de caso", r"mi caso", r"ya tengo", r"consultar", r"consulta de", r"seguimiento",
        r"estado de",
    )),
    ("2", _compile(
        r"fallas?", r"reportar", r"reporte", r"problemas?", r"averia", r"dano", r"danado",
        r"no funciona\w*", r"no sirve\w*", r"se (?:cayo|dano|rompio)", r"nuevo caso",
        r"caso nuevo", r"abrir (?:un )?caso", r"crear (?:un )?caso", r"registrar",
    )),
    # "caso" alone leans to an existing case once the fault words have had their turn.
    ("1", _compile(r"casos?", r"tengo (?:un )?numero")),
    ("*", _compile(
        r"repet\w*", r"repit\w*", r"otra vez", r"de nuevo", r"nuevamente",
        r"no (?:le )?(?:escuche|oi|entendi)", r"las opciones", r"el menu", r"como dijo",
    )),
)

_YES_NO_RULES = (
    # Unsure answers are not a "no", even though they start with one.
    (None, _compile(r"no se", r"no estoy segur[oa]", r"tal vez", r"quizas?")),
    # Negatives before positives so "no es correcto" is a no; a stray "no" in a
    # yes only costs a repeated question, while a false yes would confirm a mistake.
    (False, _compile(
        r"no", r"negativo", r"incorrecto", r"equivocado", r"para nada", r"nunca", r"tampoco",
        r"dos", r"2",
    )),
    (True, _compile(
        r"si", r"claro", r"correcto", r"afirmativo", r"exacto", r"eso es", r"asi es",
        r"por supuesto", r"de acuerdo", r"dale", r"ok", r"okey", r"esta bien", r"confirmo",
        r"uno", r"1",
    )),
)

# A negated urgency ("no es tan urgente") says nothing about severity 1.
_NOT_URGENT = re.compile(r"\bno (?:es|esta|era) (?:tan |muy |nada )?urgente\b")

_SEVERITY_RULES = (
    (1, _compile(
        r"todo parado", r"parad[oa]s?", r"paralizad[oa]s?", r"no puedo trabajar",
        r"no podemos trabajar", r"urgente", r"urgencia", r"detenid[oa]s?", r"caid[oa]s?",
        r"se cayo", r"nada funciona", r"no funciona nada", r"critico", r"grave",
    )),
    (2, _compile(
        r"parcial\w*", r"algunas cosas", r"algun[oa]s?", r"lent[oa]s?", r"a medias",
        r"intermitente", r"a veces", r"mas o menos", r"en parte",
    )),
    (3, _compile(
        r"consultas?", r"preguntas?", r"dudas?", r"informacion", r"saber",
    )),
)


def menu_choice(text: str | None) -> str | None:
    """Return the main-menu key ('1', '2', '0' or '*') the utterance asks for, or None."""
    normalised = _normalise(text)
    if not normalised:
        return None
    bare = _bare_option(normalised, "120*")
    if bare is not None:
        return bare
    matched = _first_match(normalised, _MENU_RULES)
    if matched is not None:
        return matched
    # A digit among other words ("creo que la uno") still names the option.
    return _digit_among_words(normalised, "120*")


def yes_no(text: str | None) -> bool | None:
    """Return True for a yes, False for a no, None when the answer is neither."""
    normalised = _normalise(text)
    if not normalised:
        return None
    bare = _bare_option(normalised, "12")
    if bare is not None:
        return bare == "1"
    return _first_match(normalised, _YES_NO_RULES)


def severity(text: str | None) -> int | None:
    """Return the severity 1 (stopped), 2 (partly affected) or 3 (a question), or None."""
    normalised = _normalise(text)
    if not normalised:
        return None
    bare = _bare_option(normalised, "123")
    if bare is not None:
        return int(bare)
    normalised = _NOT_URGENT.sub(" ", normalised)
    matched = _first_match(normalised, _SEVERITY_RULES)
    if matched is not None:
        return matched
    # A digit among other words ("nivel dos", "prioridad uno") still names the level.
    key = _digit_among_words(normalised, "123")
    return int(key) if key is not None else None


_AREA_RULES = (
    ("printer", _compile(r"impresoras?", r"imprim\w*", r"impresion", r"escaner", r"fotocopiadora")),
    ("email", _compile(r"correos?", r"e ?mails?", r"outlook", r"gmail", r"buzon")),
    ("network", _compile(
        r"internet", r"red", r"redes", r"wi ?fi", r"conexion", r"router", r"cantv",
        r"sin linea", r"telefonos?", r"centralita", r"servidor no responde", r"vpn")),
    ("software", _compile(
        r"programas?", r"sistemas?", r"aplicacion\w*", r"software", r"saint", r"profit",
        r"excel", r"word", r"windows", r"facturacion", r"nomina", r"contabilidad", r"licencias?",
        r"actualizacion", r"virus")),
    ("equipment", _compile(
        r"computadora\w*", r"computador\w*", r"pc", r"laptop", r"portatil", r"equipos?",
        r"servidor\w*", r"pantalla", r"monitor", r"teclado", r"raton", r"mouse", r"disco",
        r"no (?:enciende|prende)")),
)


def fault_area(text: str | None) -> str | None:
    """What a fault is about ('printer', 'email', 'network', 'software', 'equipment' — the
    words of FaultArea), or None when the words do not say."""
    normalised = _normalise(text)
    return _first_match(normalised, _AREA_RULES) if normalised else None


# Rule 9: asking for a particular person rather than for the centre.
_ANYONE = _compile(
    r"una persona", r"alguien", r"(?:un|una|el|la) (?:operador|operadora|analista|agente|"
    r"asesor|asesora|especialista|representante|recepcionista)", r"un humano",
    r"soporte", r"el centro", r"la central",
)
_SOMEONE = re.compile(
    r"\b(?:hablar|comuniqu\w*|pasar|pase|pasame|pasenme|comunicar\w*|buscando|busco)\b.*?"
    r"\bcon (?:el |la )?(?P<who>\w+)|"
    r"\b(?:el|la) (?P<role>tecnic[oa]|ingenier[oa]|licenciad[oa]|senor|senora|senorita|"
    r"muchach[oa])\b|"
    r"\bcon (?:el |la )?(?P<role2>tecnic[oa]|ingenier[oa]|licenciad[oa])\b"
)
_NOT_A_NAME = frozenset({"una", "un", "alguien", "persona", "operador", "operadora", "analista",
                         "agente", "asesor", "asesora", "especialista", "representante",
                         "recepcionista", "humano", "soporte", "centro", "central",
                         "emergencia", "usted", "ustedes"})


def asks_for_someone(text: str | None) -> bool:
    """Whether the caller asks for a particular person — by name ("quiero hablar con Pedro")
    or by role ("con el técnico") — rather than for the centre (rule 9)."""
    normalised = _normalise(text)
    if not normalised or "emergencia" in normalised:
        return False
    match = _SOMEONE.search(normalised)
    if match is None:
        return False
    if match["role"] or match["role2"]:
        return True
    who = match["who"]
    return who not in _NOT_A_NAME and not _ANYONE.search(normalised)


_SCORE_WORDS = {"1": 1, "uno": 1, "una": 1, "2": 2, "dos": 2, "3": 3, "tres": 3, "4": 4,
                "cuatro": 4, "5": 5, "cinco": 5}


def score(text: str | None) -> int | None:
    """A mark from 1 to 5 said in words or digits ("un cinco", "cuatro"), or None when the
    answer names none or several."""
    marks = {_SCORE_WORDS[w] for w in _normalise(text).split() if w in _SCORE_WORDS}
    return marks.pop() if len(marks) == 1 else None
