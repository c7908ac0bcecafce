"""Phone numbers: caller IDs and typed numbers normalised to E.164 (region VE)."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "VE"


@lru_cache(maxsize=4096)
def parse_phone(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """Return the E.164 form of a valid number, or None for anything else."""
    if not text:
        return None
    text = text.strip()
    if not text or len(text) > 40:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # Withheld caller IDs come as words or as odd numbers ("+266696687" spells ANONYMOUS):
    # only a number phonenumbers calls valid is a caller we can recognise or call back.
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_keyed_phone(digits: str | None) -> str | None:
    """Parse a number keyed on a Venezuelan phone pad ("04140143913", "584140143913")."""
    if not digits or not digits.isdigit():
        return None
    if digits.startswith("58") and len(digits) == 12:
        return parse_phone("+" + digits)
    return parse_phone(digits)


def mask_phone(number: str | None) -> str:
    """Mask all but the last two digits, for logs."""
    if not number:
        return "-"
    keep = number[-2:]
    return "*" * max(len(number) - 2, 0) + keep
