"""Dates and times worded in Spanish the way a caller expects to hear them."""

from __future__ import annotations

from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal

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


_UNITS = ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve",
          "diez", "once", "doce", "trece", "catorce", "quince", "dieciséis", "diecisiete",
          "dieciocho", "diecinueve", "veinte", "veintiuno", "veintidós", "veintitrés",
          "veinticuatro", "veinticinco", "veintiséis", "veintisiete", "veintiocho", "veintinueve")
_TENS = {3: "treinta", 4: "cuarenta", 5: "cincuenta"}
# The hour as it is said before its period: "la una", "las dos"… ("uno" is "una" for hours).
_HOURS = ("doce", "una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve",
          "diez", "once")


def number_words(n: int) -> str:
    """0 to 59 in words, as minutes are said: 'veinte', 'cuarenta y cinco'."""
    if not 0 <= n < 60:
        raise ValueError(f"minutes are 0 to 59, not {n}")
    if n < 30:
        return _UNITS[n]
    tens, units = divmod(n, 10)
    return _TENS[tens] + (f" y {_UNITS[units]}" if units else "")


def describe_time(t: time) -> str:
    """A clock time as people say it, with its article and period: 'las ocho y media de la
    mañana', 'las doce del mediodía', 'la una y cuarto de la tarde'."""
    hour12 = t.hour % 12
    # One o'clock is singular in Spanish: "a la una", never "a las una".
    article = "la" if hour12 == 1 else "las"
    minutes = {0: "", 15: " y cuarto", 30: " y media"}.get(t.minute,
                                                           f" y {number_words(t.minute)}")
    return f"{article} {_HOURS[hour12]}{minutes} {_period(t.hour)}"


def describe_money(amount: Decimal | float | int) -> str:
    """A sum in dollars as people say it: '45 dólares', '45 dólares con 50 centavos',
    '1 dólar', '50 centavos'."""
    cents_total = int(Decimal(str(amount)).quantize(Decimal("0.01"), ROUND_HALF_UP) * 100)
    dollars, cents = divmod(cents_total, 100)
    dollar_words = f"{dollars} dólar" if dollars == 1 else f"{dollars} dólares"
    cent_words = f"{cents} centavo" if cents == 1 else f"{cents} centavos"
    if not cents:
        return dollar_words
    return cent_words if not dollars else f"{dollar_words} con {cent_words}"


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


def apocopated(words: str) -> str:
    """A number's words before a masculine noun: 'uno' becomes 'un' ('veintiún minutos',
    'treinta y un minutos', 'un minuto')."""
    if words == "uno" or words.endswith(" y uno"):
        return words[:-1]
    if words == "veintiuno":
        return "veintiún"
    return words


def minutes_words(minutes: int) -> str:
    """A wait in minutes as it is said: 'un minuto', 'cinco minutos', 'veintiún minutos',
    'más de una hora' from 60 on."""
    if minutes >= 60:
        return "más de una hora"
    minutes = max(minutes, 1)
    return f"{apocopated(number_words(minutes))} minuto{'s' if minutes != 1 else ''}"
