"""Dates and times worded in Spanish the way a caller expects to hear them."""

from __future__ import annotations

from datetime import datetime, time

from babel.dates import format_date

from ivr.domain.business_hours import to_caracas

LOCALE = "es_VE"


def _period(hour: int) -> str:
    """The part of the day a 24-hour clock hour falls in, as spoken after the time."""
    if hour == 0:
        return "de la noche"
    if hour < 6:
        return "de la madrugada"
    if hour < 12:
        return "de la mañana"
    if hour == 12:
        return "del mediodía"
    if hour < 19:
        return "de la tarde"
    return "de la noche"


def describe_time(t: time) -> str:
    """A clock time on the 12-hour clock with its article and period: 'las 8:30 de la mañana'."""
    hour12 = t.hour % 12 or 12
    # One o'clock is singular in Spanish: "a la una", never "a las una".
    article = "la" if hour12 == 1 else "las"
    return f"{article} {hour12}:{t.minute:02d} {_period(t.hour)}"


def describe_day(when: datetime, now: datetime) -> str:
    """The day of a moment relative to now: 'hoy', 'mañana', or 'el lunes 7 de diciembre'."""
    day = to_caracas(when).date()
    today = to_caracas(now).date()
    delta = (day - today).days
    if delta == 0:
        return "hoy"
    if delta == 1:
        return "mañana"
    if delta == -1:
        return "ayer"
    # Weekday plus date even within the week, so nobody mistakes which Monday is meant.
    pattern = "EEEE d 'de' MMMM" if day.year == today.year else "EEEE d 'de' MMMM 'de' y"
    return "el " + format_date(day, pattern, locale=LOCALE)


def describe_moment(when: datetime, now: datetime) -> str:
    """A moment in Caracas time relative to now: 'mañana a las 8:30 de la mañana'."""
    local = to_caracas(when)
    return f"{describe_day(local, now)} a {describe_time(local.time())}"


def describe_deadline(when: datetime, now: datetime) -> str:
    """A time limit: 'hoy antes de las 2:30 de la tarde', 'antes del lunes 7 de diciembre a…'."""
    local = to_caracas(when)
    day = describe_day(local, now)
    clock = describe_time(local.time())
    if day.startswith("el "):
        return f"antes del {day[3:]} a {clock}"
    return f"{day} antes de {clock}"


def describe_within(minutes: int) -> str:
    """A span to call back within: 'una hora', '30 minutos', '2 horas'."""
    if minutes == 60:
        return "una hora"
    if minutes > 60 and minutes % 60 == 0:
        return f"{minutes // 60} horas"
    return f"{minutes} minutos"
