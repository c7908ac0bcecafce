"""Phone numbers: caller IDs and typed numbers normalised to E.164 (region VE)."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "VE"
# The numbers a specialist may be asked to call back: Venezuelan landlines and mobiles. Not
# premium-rate, toll-free, shared-cost or UAN numbers, satellite phones or other countries'
# (a caller must not be able to make the centre ring a number that bills it).
CALLBACK_TYPES = frozenset({
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
})


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
    """A Venezuelan landline or mobile keyed as a callback number ("04140143913",
    "584140143913"), in E.164; None for anything else, unparsable and refused alike."""
    if not digits:
        return None
    plus = digits.startswith("+")  # typed rather than keyed: a phone pad has no "+"
    keyed = digits[1:] if plus else digits
    if not (keyed.isascii() and keyed.isdigit()) or len(keyed) > 20:
        return None
    if plus or (keyed.startswith("58") and len(keyed) == 12):
        keyed = "+" + keyed
    try:
        number = phonenumbers.parse(keyed, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) \
            or phonenumbers.region_code_for_number(number) != DEFAULT_REGION \
            or phonenumbers.number_type(number) not in CALLBACK_TYPES:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(number: str | None) -> str:
    """Mask all but the last two digits, for logs."""
    if not number:
        return "-"
    keep = number[-2:]
    return "*" * max(len(number) - 2, 0) + keep


def display_phone(number: str) -> str:
    """A phone as the centre prints it: Venezuelan ones as '(0212) 471.32.39', others in
    international format."""
    try:
        parsed = phonenumbers.parse(number, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return number
    national = str(parsed.national_number)
    if parsed.country_code == 58 and len(national) == 10:
        rest = national[3:]
        return f"(0{national[:3]}) {rest[:3]}.{rest[3:5]}.{rest[5:]}"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def is_venezuelan_mobile(phone: str | None) -> bool:
    """Whether an E.164 number is a Venezuelan mobile (the numbers written confirmations go
    to: never landlines, withheld or foreign numbers)."""
    if not phone:
        return False
    try:
        number = phonenumbers.parse(phone, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.region_code_for_number(number) == DEFAULT_REGION and \
        phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
