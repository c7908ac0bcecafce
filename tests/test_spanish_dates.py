"""Tests for ivr.domain.spanish_dates: moments worded for a Spanish-speaking caller."""

from datetime import UTC, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.domain.business_hours import CARACAS, Schedule
from ivr.domain.spanish_dates import (
    describe_day,
    describe_moment,
    describe_money,
    describe_time,
    minutes_words,
)

KIRITIMATI = ZoneInfo("Pacific/Kiritimati")


def ccs(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An aware Caracas datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=CARACAS)


@pytest.mark.parametrize(
    ("t", "spoken"),
    [
        (time(8, 30), "las ocho y media de la mañana"),
        (time(6, 5), "las seis y cinco de la mañana"),
        (time(11, 59), "las once y cincuenta y nueve de la mañana"),
        (time(12, 0), "las doce del mediodía"),
        (time(13, 0), "la una de la tarde"),
        (time(14, 0), "las dos de la tarde"),
        (time(17, 30), "las cinco y media de la tarde"),
        (time(18, 59), "las seis y cincuenta y nueve de la tarde"),
        (time(19, 0), "las siete de la noche"),
        (time(20, 0), "las ocho de la noche"),
        (time(0, 0), "las doce de la noche"),
        (time(1, 15), "la una y cuarto de la madrugada"),
        (time(5, 45, 59), "las cinco y cuarenta y cinco de la madrugada"),
    ],
)
def test_describe_time(t, spoken):
    """Twelve-hour clock in words, quarter and half as people say them, then the period."""
    assert describe_time(t) == spoken


NOW = ccs(2026, 12, 9, 10, 0)  # a Wednesday


@pytest.mark.parametrize(
    ("when", "now", "spoken"),
    [
        (ccs(2026, 12, 9, 14, 0), NOW, "hoy a las dos de la tarde"),
        (ccs(2026, 12, 9, 12, 0), NOW, "hoy a las doce del mediodía"),
        (ccs(2026, 12, 9, 17, 30), NOW, "hoy a las cinco y media de la tarde"),
        (ccs(2026, 12, 9, 20, 0), NOW, "hoy a las ocho de la noche"),
        (ccs(2026, 12, 10, 8, 30), NOW, "mañana a las ocho y media de la mañana"),
        (ccs(2026, 12, 8, 15, 0), NOW, "ayer a las tres de la tarde"),
        (
            ccs(2026, 12, 7, 8, 30),
            ccs(2026, 12, 4, 18, 0),
            "el lunes 7 de diciembre a las ocho y media de la mañana",
        ),
        (ccs(2026, 12, 11, 13, 0), NOW, "el viernes 11 de diciembre a la una de la tarde"),
        (ccs(2026, 12, 28, 8, 30), NOW, "el lunes 28 de diciembre a las ocho y media de la mañana"),
        (
            ccs(2027, 2, 10, 8, 30),
            ccs(2027, 2, 8, 9, 0),
            "el miércoles 10 de febrero a las ocho y media de la mañana",
        ),
        (
            ccs(2027, 1, 4, 8, 30),
            ccs(2026, 12, 31, 9, 0),
            "el lunes 4 de enero de 2027 a las ocho y media de la mañana",
        ),
        (ccs(2027, 1, 1, 12, 0), ccs(2026, 12, 31, 23, 0), "mañana a las doce del mediodía"),
    ],
)
@pytest.mark.parametrize(
    "convert",
    [
        lambda dt: dt,
        lambda dt: dt.astimezone(UTC).replace(tzinfo=None),
        lambda dt: dt.astimezone(KIRITIMATI),
    ],
    ids=["caracas", "naive-utc", "kiritimati"],
)
def test_describe_moment(convert, when, now, spoken):
    """Today and tomorrow by name, other days by weekday and date, in Caracas time."""
    assert describe_moment(convert(when), convert(now)) == spoken


@pytest.mark.parametrize(
    ("when", "now", "spoken"),
    [
        # 00:30 UTC on the 10th is still the evening of the 9th in Caracas.
        (datetime(2026, 12, 10, 0, 30), datetime(2026, 12, 9, 14, 0),
         "hoy a las ocho y media de la noche"),
        # 02:00 UTC on the 10th is 22:00 on the 9th in Caracas, so 08:30 on the 10th is tomorrow.
        (ccs(2026, 12, 10, 8, 30), datetime(2026, 12, 10, 2, 0),
         "mañana a las ocho y media de la mañana"),
    ],
)
def test_describe_moment_uses_the_caracas_calendar(when, now, spoken):
    """The day is judged by the Caracas date, not the UTC date."""
    assert describe_moment(when, now) == spoken


@pytest.mark.parametrize(
    ("now", "spoken"),
    [
        (ccs(2027, 2, 8, 10, 0), "el miércoles 10 de febrero a las ocho y media de la mañana"),
        (ccs(2027, 3, 25, 9, 0), "el lunes 29 de marzo a las ocho y media de la mañana"),
        (ccs(2026, 12, 24, 10, 0), "el lunes 28 de diciembre a las ocho y media de la mañana"),
        (ccs(2026, 12, 9, 12, 30), "hoy a las dos de la tarde"),
        (ccs(2026, 12, 9, 17, 30), "mañana a las ocho y media de la mañana"),
    ],
)
def test_reopening_announcement(now, spoken):
    """The closed greeting can say when the line opens again."""
    status = Schedule().status(now)
    assert describe_moment(status.reopens_at, now) == spoken


@settings(max_examples=100, deadline=None, database=None)
@given(
    when=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)),
    now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)),
)
def test_describe_moment_always_names_day_and_time(when, now):
    """Any pair of moments gives one sentence: a day, ' a la(s) ', a time, a period."""
    spoken = describe_moment(when, now)
    day, _, clock = spoken.partition(" a la")
    assert day == describe_day(when, now)
    assert clock.startswith(("s ", " "))
    assert spoken.endswith(("mañana", "mediodía", "tarde", "noche", "madrugada"))
    if day.startswith("el "):
        year = when.replace(tzinfo=UTC).astimezone(CARACAS).year
        assert (str(year) in day) is (year != now.replace(tzinfo=UTC).astimezone(CARACAS).year)


def test_describe_day_accepts_dates_in_other_years_backwards():
    """A past date in another year still carries its year."""
    spoken = describe_day(ccs(2025, 12, 1, 9), ccs(2026, 1, 15, 9))
    assert spoken == "el lunes 1 de diciembre de 2025"


@pytest.mark.parametrize(("amount", "spoken"), [
    ("45", "45 dólares"), ("45.00", "45 dólares"), ("45.50", "45 dólares con 50 centavos"),
    ("1", "1 dólar"), ("1.01", "1 dólar con 1 centavo"), ("0.50", "50 centavos"),
    ("120.05", "120 dólares con 5 centavos")])
def test_describe_money(amount, spoken):
    """Dollars and cents as people say them, never '45.00'."""
    assert describe_money(Decimal(amount)) == spoken


@pytest.mark.parametrize(("minutes", "words"), [
    (0, "un minuto"), (1, "un minuto"), (2, "dos minutos"), (21, "veintiún minutos"),
    (31, "treinta y un minutos"), (45, "cuarenta y cinco minutos"),
    (59, "cincuenta y nueve minutos"), (60, "más de una hora"), (200, "más de una hora")])
def test_minutes_words_as_a_wait_is_said(minutes, words):
    """A wait in minutes: 'un' and 'veintiún' before the noun, never 'uno minutos'."""
    assert minutes_words(minutes) == words
