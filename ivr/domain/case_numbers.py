"""Case numbers: a random digit body followed by one Damm check digit.

The check digit lets the IVR reject a mistyped or misheard number before it
touches the database: Damm catches every single-digit substitution and every
adjacent transposition, the two errors callers make most.
"""

from __future__ import annotations

import enum
import random
import re
import secrets

from stdnum import damm

# Lengths include the check digit. Numbers are issued at CURRENT_LENGTH; the
# longer ones are accepted already so that growing the length later does not
# invalidate numbers that callers have written down.
CURRENT_LENGTH = 7
ACCEPTED_LENGTHS = (7, 8, 9)

# ASCII only: str.isdigit() would also accept "²" or Arabic-Indic digits.
_DIGITS = re.compile(r"[0-9]+")

# Case numbers are secrets of sorts (knowing one lets a caller hear the case's
# status), so they come from the OS generator rather than a seeded PRNG.
_SYSTEM_RANDOM = secrets.SystemRandom()


class CaseNumberCheck(enum.StrEnum):
    """Outcome of checking a typed or spoken case number."""

    OK = "ok"
    EMPTY = "empty"
    WRONG_LENGTH = "wrong_length"
    # Right length but not a number we could have issued: the check digit
    # fails, it starts with 0 or it holds something other than digits.
    BAD_CHECK_DIGIT = "bad_check_digit"


def make_case_number(body: int) -> str:
    """Return `body` with its Damm check digit appended."""
    # bool is an int subclass, but True as a body is certainly a bug.
    if not isinstance(body, int) or isinstance(body, bool):
        raise TypeError(f"case number body must be an int, not {type(body).__name__}")
    # Only positive bodies: 0 would give a number starting with "0", which
    # keypads and speech recognisers tend to drop.
    if body < 1:
        raise ValueError(f"case number body must be a positive integer, got {body}")
    # The length policy lives in random_case_number/is_valid_case_number, so
    # this stays usable for any length (the tests sweep a shorter space).
    text = str(body)
    return text + damm.calc_check_digit(text)


def random_case_number(length: int = CURRENT_LENGTH, rng: random.Random | None = None) -> str:
    """Return a new random case number of `length` digits, check digit included."""
    if length not in ACCEPTED_LENGTHS:
        raise ValueError(f"case number length must be one of {ACCEPTED_LENGTHS}, got {length}")
    rng = rng if rng is not None else _SYSTEM_RANDOM
    # Random rather than sequential so that nobody can reach a neighbour's
    # case by adding one to their own number.
    body_digits = length - 1
    body = rng.randrange(10 ** (body_digits - 1), 10**body_digits)
    return make_case_number(body)


def check_case_number(text: str | None) -> CaseNumberCheck:
    """Classify `text` as a case number: OK, or why it cannot be one."""
    # Surrounding whitespace is forgiven: it comes from forms and logs, never from a caller.
    if text is None:
        return CaseNumberCheck.EMPTY
    text = text.strip()
    if not text:
        return CaseNumberCheck.EMPTY
    if len(text) not in ACCEPTED_LENGTHS:
        return CaseNumberCheck.WRONG_LENGTH
    if not _DIGITS.fullmatch(text) or text[0] == "0" or not damm.is_valid(text):
        return CaseNumberCheck.BAD_CHECK_DIGIT
    return CaseNumberCheck.OK


def is_valid_case_number(text: str | None) -> bool:
    """Return True when `text` is a well-formed case number of an accepted length."""
    return check_case_number(text) is CaseNumberCheck.OK


def spoken_digits(number: str) -> str:
    """Return the digits of `number` separated by ", " so TTS reads them one by one."""
    number = number.strip()
    if not _DIGITS.fullmatch(number):
        raise ValueError(f"expected only digits, got {number!r}")
    return ", ".join(number)
