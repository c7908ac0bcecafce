"""Turn a Spanish speech-recognition transcript of a number into its digits.

Callers read case numbers in many ways: digit by digit ("uno cero cuatro"),
as one number ("diez mil cuatrocientos veintinueve"), or in groups ("ciento
cuatro, veintinueve"); Twilio may hand back words, digits, or a mix. Groups
are concatenated, since a caller reading "doce, treinta y cuatro" means 1234.
"""

from __future__ import annotations

import re
import unicodedata

from text_to_num import alpha2digit

_UNITS = ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve")
_TEENS = (
    "diez", "once", "doce", "trece", "catorce", "quince",
    "dieciseis", "diecisiete", "dieciocho", "diecinueve",
)
_TWENTIES = (
    "veinte", "veintiuno", "veintidos", "veintitres", "veinticuatro",
    "veinticinco", "veintiseis", "veintisiete", "veintiocho", "veintinueve",
)
_TENS = ("", "", "veinte", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta",
         "noventa")
_HUNDREDS = ("", "ciento", "doscientos", "trescientos", "cuatrocientos", "quinientos",
             "seiscientos", "setecientos", "ochocientos", "novecientos")
_MULTIPLIERS = frozenset({"mil", "millon", "millones"})

# Every word that can be part of a number once accents are stripped. "un" and
# "una" are left out: they are usually articles and are decided by context.
_NUMBER_WORDS = frozenset(
    {*_UNITS, *_TEENS, *_TWENTIES, *_TENS[2:], *_HUNDREDS[1:], *_MULTIPLIERS}
    | {"veintiun", "veintiuna", "cien"}
    | {h[:-2] + "as" for h in _HUNDREDS[2:]}
)
_ARTICLES = frozenset({"un", "una"})
# Words that can only sit between the parts of one number.
_GLUE = "y"

# text2num wants some words spelled exactly; after accent stripping these are
# the ones it would otherwise not recognise.
_CANONICAL = {
    "veintidos": "veintidós",
    "veintitres": "veintitrés",
    "veintiun": "veintiuno",
}

# Hesitations and politeness that may interrupt a number without ending it.
_FILLERS = re.compile(
    r"\b(?:e+h+|e+m+|m+|a+h+|este|bueno|pues|entonces|por favor|gracias|a ver|o sea|ok|okey"
    r"|vale|perdon|disculpe|disculpa|guion)\b"
)
# Old-style spelling of 16-19 and 21-29 that text2num reads as two numbers.
_SPLIT_COMPOUND = re.compile(
    r"\b(?:(diez) y (seis|siete|ocho|nueve)|(veinte) y (uno|dos|tres|cuatro|cinco|seis|siete"
    r"|ocho|nueve))\b"
)
_TOKEN = re.compile(r"[a-z]+|[0-9]+")
_NON_DIGIT = re.compile(r"[^0-9]+")


def _fold(text: str) -> str:
    """Lowercase `text` and strip its accents (NFKD also maps "²" and fullwidth digits)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _join_compound(match: re.Match[str]) -> str:
    """Rewrite "diez y seis" as "dieciseis" and "veinte y uno" as "veintiuno"."""
    if match.group(1):
        return "dieci" + match.group(2)
    return "veinti" + match.group(4)


def _below_thousand(n: int) -> str:
    """Spell 1..999 in the forms text2num accepts."""
    hundreds, rest = divmod(n, 100)
    words = []
    if hundreds:
        words.append("cien" if n == 100 else _HUNDREDS[hundreds])
    if rest >= 30:
        tens, unit = divmod(rest, 10)
        words.append(_TENS[tens])
        if unit:
            words += ["y", _UNITS[unit]]
    elif rest >= 20:
        words.append(_CANONICAL.get(_TWENTIES[rest - 20], _TWENTIES[rest - 20]))
    elif rest >= 10:
        words.append(_TEENS[rest - 10])
    elif rest:
        words.append(_UNITS[rest])
    return " ".join(words)


def _is_numeric(token: str) -> bool:
    """Return True for a digit token or an unambiguous number word."""
    return token.isdigit() or token in _NUMBER_WORDS


def _resolve_articles(tokens: list[str]) -> list[str]:
    """Keep "un"/"una" only where a neighbouring number shows they are numbers."""
    resolved = []
    for i, token in enumerate(tokens):
        if token not in _ARTICLES:
            resolved.append(token)
            continue
        # Look past "y" so "treinta y un mil" still counts as one number.
        before = next((t for t in reversed(tokens[:i]) if t != _GLUE), "")
        after = next((t for t in tokens[i + 1:] if t != _GLUE), "")
        if _is_numeric(before) or _is_numeric(after):
            resolved.append(token)
        else:
            # An article ("tengo un caso") ends any number like any other word.
            resolved.append("_")
    return resolved


def _spell_digit_groups(run: list[str]) -> list[str]:
    """Spell digit groups next to "mil"/"millón" so text2num can do the arithmetic."""
    # Twilio sometimes mixes forms ("10 mil 429"), which text2num reads as
    # three separate numbers.
    if not any(t in _MULTIPLIERS for t in run):
        return run
    spelled = []
    for i, token in enumerate(run):
        near_multiplier = (i + 1 < len(run) and run[i + 1] in _MULTIPLIERS) or (
            i > 0 and run[i - 1] in _MULTIPLIERS
        )
        if near_multiplier and token.isdigit() and token[0] != "0" and len(token) <= 3:
            spelled.append(_below_thousand(int(token)))
        else:
            spelled.append(token)
    return spelled


def _drop_leading_one(run: list[str]) -> list[str]:
    """Drop the "un" in "un mil", which text2num would read as 1 followed by 1000."""
    kept = []
    for i, token in enumerate(run):
        starts_thousand = (
            token in {"un", "uno", "1"}
            and i + 1 < len(run)
            and run[i + 1] == "mil"
            and (i == 0 or run[i - 1] in _MULTIPLIERS)
        )
        if not starts_thousand:
            kept.append(token)
    return kept


def _run_digits(run: list[str]) -> str:
    """Return the digits spoken in one uninterrupted run of number tokens."""
    words = _drop_leading_one(_spell_digit_groups(run))
    text = " ".join(_CANONICAL.get(w, w) for w in words)
    return _NON_DIGIT.sub("", alpha2digit(text, "es", threshold=0))


def digits_from_speech(text: str | None) -> str | None:
    """Return the digits a caller said in `text`, or None when it holds no number."""
    if not text:
        return None
    folded = _FILLERS.sub(" ", _fold(text))
    folded = _SPLIT_COMPOUND.sub(_join_compound, folded)
    # Punctuation is dropped rather than treated as a break: recognisers put
    # commas and dots between groups of one number ("10.429", "ciento cuatro,
    # veintinueve").
    tokens = _resolve_articles(_TOKEN.findall(folded))

    runs: list[list[str]] = []
    current: list[str] = []
    for token in tokens:
        # "y" only continues a number already under way; on its own it is a word.
        if _is_numeric(token) or token in _ARTICLES or (token == _GLUE and current):
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)

    # Other words split the transcript into runs ("tengo 2 casos, el 10429");
    # the longest run is the case number, the latest one winning a tie because
    # callers correct themselves forwards.
    best = ""
    for run in runs:
        digits = _run_digits(run)
        if digits and len(digits) >= len(best):
            best = digits
    return best or None
