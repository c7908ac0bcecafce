"""What operators type, read strictly (ivr/domain/operator_input.py): no app, no database."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.domain.errors import InputError
from ivr.domain.operator_input import (
    MAX_ROW_ID,
    check_email,
    check_new_pin,
    parse_amount,
    parse_day,
    parse_hhmm,
    parse_moment,
    parse_row_id,
)


@pytest.mark.parametrize(("text", "day"), [
    ("2026-12-07", date(2026, 12, 7)),
    (" 2000-01-01 ", date(2000, 1, 1)),
    ("2099-12-31", date(2099, 12, 31)),
])
def test_days_read(text, day):
    """ISO days between 2000 and 2099."""
    assert parse_day(text) == day


@pytest.mark.parametrize(("text", "message"), [
    ("9999-12-31", "out of range"),
    ("1999-12-31", "out of range"),
    ("0001-01-01", "out of range"),
    ("2100-01-01", "out of range"),
    ("2026-02-30", "not a date of the calendar"),
    ("07/12/2026", "not a date like"),
    ("2026-12-7", "not a date like"),
    ("２０２６-１２-０７", "not a date like"),  # fullwidth digits: isdigit() says yes
    ("", "not a date like"),
])
def test_days_refused(text, message):
    """Out of range, impossible, or another format: an InputError that says which."""
    with pytest.raises(InputError, match=message):
        parse_day(text, "--until")


@pytest.mark.parametrize(("text", "moment"), [
    ("2026-12-09 10:00", datetime(2026, 12, 9, 10, 0)),
    ("2026-12-09T08:05", datetime(2026, 12, 9, 8, 5)),
    ("2026-12-09 8:05", datetime(2026, 12, 9, 8, 5)),
])
def test_moments_read(text, moment):
    """A day and a time."""
    assert parse_moment(text) == moment


@pytest.mark.parametrize(("text", "message"), [
    ("2026-12-09", "has no time"),
    ("9999-12-31 23:00", "out of range"),
    ("1999-06-01 10:00", "out of range"),
    ("2026-12-09 24:00", "not a time of day"),
    ("2026-12-09 10:60", "not a time of day"),
    ("mañana 10:00", "not a time like"),
    ("2026-12-09 10:00:00", "not a time like"),
    ("2026-12-09 10:00-04:00", "not a time like"),
])
def test_moments_refused(text, message):
    """A day alone (it would be midnight), out of range, or not a time."""
    with pytest.raises(InputError, match=message):
        parse_moment(text)


def test_hhmm():
    """HH:MM within a day."""
    assert parse_hhmm("14:00") == time(14, 0)
    for bad in ("25:00", "14h", "1400", "١٤:٠٠"):
        with pytest.raises(InputError):
            parse_hhmm(bad)


@pytest.mark.parametrize(("text", "amount"), [
    ("45", Decimal("45.00")), ("45.00", Decimal("45.00")), ("45,00", Decimal("45.00")),
    ("45,5", Decimal("45.50")), ("0", Decimal("0.00")), ("9999999999.99", Decimal("9999999999.99")),
])
def test_amounts_read_both_ways(text, amount):
    """A point or a comma for the decimals (45,00 is how Venezuela writes it)."""
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["-1", "1.234,56", "1,234.56", "45.001", "mucho", "NaN",
                                  "Infinity", "1e3", "", "٤٥"])
def test_amounts_refused(text):
    """Signs, thousands marks, three decimals, words, NaN: refused."""
    with pytest.raises(InputError, match="is not an amount"):
        parse_amount(text)


@pytest.mark.parametrize(("text", "value"), [
    ("1", 1), ("42", 42), (str(MAX_ROW_ID), MAX_ROW_ID), (str(MAX_ROW_ID + 1), None),
    ("99999999999999999999", None), ("0", None), ("Ana", None), ("²", None), ("04125550123",
                                                                              None),
])
def test_row_ids(text, value):
    """A number a row can have; anything else is None (the caller then looks by name)."""
    assert parse_row_id(text) == value


@pytest.mark.parametrize("pin", ["432187", "184263", "098765432109"])
def test_pins_accepted(pin):
    """6 to 12 ASCII digits."""
    assert check_new_pin(pin) == pin


@pytest.mark.parametrize("pin", ["4321", "12345", "²²²²²²", "٤٣٢١٨٧", "43218a", "1234567890123",
                                 "111111", "123456", "987654", ""])
def test_pins_refused(pin):
    """Short, non-ASCII digits ("²".isdigit() is True), letters, too long, too easy."""
    assert "²²²²²²".isdigit()  # why isascii() is needed
    with pytest.raises(InputError):
        check_new_pin(pin)


@pytest.mark.parametrize("email", ["rosa@elavila.com", "ana.prueba+soporte@example.co.ve",
                                   "o'brien@empresa.com.ve"])
def test_emails_accepted(email):
    """Mailboxes a client could have."""
    assert check_email(email) == email


@pytest.mark.parametrize("email", ["a@", "@example.com", "rosa@elavila", "rosa@@elavila.com",
                                   "rosa@elavila..com", "rosa elavila@x.com", "rosa@-x.com",
                                   "josé@example.com", "rosa@example.c", ".rosa@example.com",
                                   "eva.example.com", "rosa@[127.0.0.1]"])
def test_emails_refused(email):
    """No domain, a bare host, double dots, spaces, a one-letter TLD, IP literals."""
    with pytest.raises(InputError, match="is not an e-mail address"):
        check_email(email)


@given(st.text(max_size=30))
def test_readers_raise_only_input_errors(text):
    """Whatever is typed, a reader returns a value or raises InputError, nothing else."""
    for reader in (parse_day, parse_moment, parse_amount, parse_hhmm, check_new_pin,
                   check_email):
        with contextlib.suppress(InputError):
            reader(text)
    assert parse_row_id(text) is None or 1 <= parse_row_id(text) <= MAX_ROW_ID
