"""What operators type, read strictly: days, moments, amounts, row ids, PINs and e-mails.

Each reader returns the value or raises InputError with a message naming the option and
showing the expected form, so that no surface (the command line, the console) ever stores
something it misread, and no odd value reaches the database to fail there with a traceback.
Dates are refused outside 2000–2099: nothing the centre arranges lies outside, and a year like
9999 would overflow the arithmetic on it ("the day after").
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from ivr.domain.errors import InputError

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
# Row ids are INTEGER columns: PostgreSQL's 4-byte integer.
MAX_ROW_ID = 2**31 - 1
MIN_PIN_DIGITS = 6
MAX_PIN_DIGITS = 12

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})")
_HHMM = re.compile(r"\d{1,2}:\d{2}")
# An amount as operators write it: 45, 45.00 or 45,00 (Venezuelan habit); no thousands marks,
# which "1.234" would make ambiguous.
_AMOUNT = re.compile(r"(\d{1,10})(?:[.,](\d{1,2}))?")
# RFC 5322's dot-atom for the local part; a domain of LDH labels with a dot and a letter TLD
# (no bare hosts like "elavila", no IP literals): what a client's mailbox looks like.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"({_LOCAL})@((?:{_LABEL}\.)+[A-Za-z]{{2,63}})")


def _ascii_digits(text: str) -> bool:
    """Only 0-9 ("²".isdigit() is True in Python, and int() reads Arabic-Indic digits)."""
    return text.isascii() and text.isdigit()


def _in_range(day: date, what: str, text: str) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(f"{what} {text!r} is out of range: give a day between "
                         f"{FIRST_DAY.year} and {LAST_DAY.year}")
    return day


def parse_day(text: str, what: str = "date") -> date:
    """A day written YYYY-MM-DD, between 2000-01-01 and 2099-12-31."""
    cleaned = text.strip()
    if not _DAY.fullmatch(cleaned) or not cleaned.isascii():
        raise InputError(f"{what} {text!r} is not a date like 2026-12-07")
    try:
        day = date.fromisoformat(cleaned)
    except ValueError:
        raise InputError(f"{what} {text!r} is not a date of the calendar") from None
    return _in_range(day, what, text)


def parse_hhmm(text: str, what: str = "time") -> time:
    """A time of day written HH:MM (00:00–23:59)."""
    cleaned = text.strip()
    if not cleaned.isascii() or not _HHMM.fullmatch(cleaned):
        raise InputError(f"{what} {text!r} is not a time like 14:00")
    hours, minutes = (int(part) for part in cleaned.split(":"))
    if hours > 23 or minutes > 59:
        raise InputError(f"{what} {text!r} is not a time of day (00:00 to 23:59)")
    return time(hours, minutes)


def parse_moment(text: str, what: str = "--at") -> datetime:
    """A day and a time, "YYYY-MM-DD HH:MM", as naive wall time; a day alone is refused (it
    would silently mean midnight)."""
    cleaned = text.strip()
    match = _MOMENT.fullmatch(cleaned) if cleaned.isascii() else None
    if match is None:
        if cleaned.isascii() and _DAY.fullmatch(cleaned):
            raise InputError(f"{what} {text!r} has no time: give the day and the time, "
                             "like \"2026-12-09 10:00\"")
        raise InputError(f"{what} {text!r} is not a time like \"2026-12-09 10:00\"")
    day = parse_day(match.group(1), what)
    return datetime.combine(day, parse_hhmm(match.group(2), what))


def parse_amount(text: str, what: str = "--cost") -> Decimal:
    """A non-negative amount with at most two decimals: "45", "45.00" or "45,00"."""
    cleaned = text.strip()
    match = _AMOUNT.fullmatch(cleaned) if cleaned.isascii() else None
    if match is None:
        raise InputError(f"{what} {text!r} is not an amount like 45.00 or 45,00 "
                         "(no thousands separator)")
    try:
        return Decimal(f"{match.group(1)}.{match.group(2) or '0'}").quantize(Decimal("0.01"))
    except InvalidOperation:  # pragma: no cover - the pattern leaves nothing Decimal refuses
        raise InputError(f"{what} {text!r} is not an amount") from None


def parse_row_id(text: str) -> int | None:
    """A row id if the text can be one (ASCII digits, 1 to 2**31-1); None otherwise (a name,
    a phone, or a number no row can have: the caller then says that nothing has it)."""
    cleaned = text.strip()
    if not _ascii_digits(cleaned):
        return None
    value = int(cleaned[:12]) if len(cleaned) <= 12 else MAX_ROW_ID + 1
    if not 1 <= value <= MAX_ROW_ID:
        return None
    return value


def check_new_pin(pin: str) -> str:
    """A new analyst PIN: 6 to 12 ASCII digits (a phone's keypad, and enough to resist the
    guessing that the line bounds anyway)."""
    if not _ascii_digits(pin) or not MIN_PIN_DIGITS <= len(pin) <= MAX_PIN_DIGITS:
        raise InputError(f"a PIN must be {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits 0-9")
    if len(set(pin)) == 1 or pin in "0123456789012" or pin in "9876543210987":
        raise InputError("that PIN is too easy to guess (one digit repeated, or a run like "
                         "123456): choose another")
    return pin


def check_email(text: str, what: str = "e-mail address") -> str:
    """An e-mail address a client could receive mail at: local@domain.tld, ASCII."""
    cleaned = text.strip()
    match = _EMAIL.fullmatch(cleaned) if cleaned.isascii() else None
    if match is None or len(match.group(1)) > 64 or len(cleaned) > 254:
        raise InputError(f"{what} {text!r} is not an e-mail address like "
                         "nombre@empresa.com")
    return cleaned
