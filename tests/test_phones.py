"""Phone numbers: caller IDs in E.164, and the callback numbers a caller may key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.domain.phones import mask_phone, parse_keyed_phone, parse_phone

# What a caller keys when asked for another number to be called back on.
ACCEPTED = [
    ("02124713239", "+582124713239"),  # Caracas landline (the published line)
    ("02127143934", "+582127143934"),
    ("02617123456", "+582617123456"),  # Maracaibo landline
    ("02411234567", "+582411234567"),  # Valencia landline
    ("04140143913", "+584140143913"),  # Movistar
    ("04241234567", "+584241234567"),  # Movistar
    ("04161234567", "+584161234567"),  # Movilnet
    ("04261234567", "+584261234567"),  # Movilnet
    ("04121234567", "+584121234567"),  # Digitel
    ("04221234567", "+584221234567"),  # Digitel
    ("4140143913", "+584140143913"),  # without the trunk 0
    ("584140143913", "+584140143913"),  # with the country code
    ("00584140143913", "+584140143913"),  # with the international prefix
    ("+584140143913", "+584140143913"),  # typed, not keyed
    ("+582124713239", "+582124713239"),
]

REFUSED = [
    "09001234567",  # Venezuelan premium rate
    "+589001234567",
    "589001234567",
    "08001234567",  # Venezuelan toll free: not a phone anyone answers a callback on
    "05011234567",  # Venezuelan UAN
    "0019005550100",  # US premium rate through the international prefix
    "0014155552671",  # a US landline: foreign
    "00442079460958",  # a London landline: foreign
    "00881612345678",  # Iridium satellite
    "008816123456",
    "00870123456789",  # Inmarsat
    "171", "911", "112", "0800", "1", "58",  # short codes and fragments
    "0414014391",  # a digit short
    "041401439133",  # a digit long
    "0000000000", "99999999999",
    "", None, "*", "#", "0414*014#3913", "0414 014 3913",
    "٠٤١٤٠١٤٣٩١٣",  # Arabic-Indic digits: isdigit() says yes, a phone pad never sends them
    "²²²²²²²²²²²", "+", "++584140143913", "0" * 41,
]


@pytest.mark.parametrize(("keyed", "expected"), ACCEPTED)
def test_keyed_callback_number_accepted(keyed, expected):
    """Venezuelan landlines and mobiles, however they are keyed, in E.164."""
    assert parse_keyed_phone(keyed) == expected


@pytest.mark.parametrize("keyed", REFUSED)
def test_keyed_callback_number_refused(keyed):
    """Premium-rate, toll-free, satellite, foreign numbers, short codes: None, like garbage,
    so the line asks again instead of ever ringing a number that bills the centre."""
    assert parse_keyed_phone(keyed) is None


@pytest.mark.parametrize("keyed", ["0019005550100", "00881612345678", "09001234567"])
def test_refused_numbers_are_valid_numbers(keyed):
    """The refused ones are real numbers (parse_phone takes them): refused for their kind."""
    assert parse_phone(keyed) is not None


@given(st.text(alphabet="0123456789*#+", max_size=25))
def test_keyed_callback_number_is_venezuelan_or_none(keyed):
    """Whatever is keyed: None, or a Venezuelan E.164 number."""
    number = parse_keyed_phone(keyed)
    assert number is None or (number.startswith("+58") and number[1:].isdigit())


@pytest.mark.parametrize(("raw", "expected"), [
    ("+584140143913", "+584140143913"),
    ("(0414) 014.39.13", "+584140143913"),
    ("+14155552671", "+14155552671"),
    ("anonymous", None), ("+266696687", None), ("", None), (None, None),
])
def test_parse_phone(raw, expected):
    """Caller IDs: any valid number in E.164; withheld or odd IDs are None."""
    assert parse_phone(raw) == expected


def test_mask_phone():
    """All but the last two digits are masked for logs."""
    assert mask_phone("+584140143913") == "***********13"
    assert mask_phone(None) == "-"
