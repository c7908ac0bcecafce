"""Tests for ivr.domain.business_hours: opening status, next opening, business-time sums."""

import time as time_module
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.domain.business_hours import (
    CARACAS,
    DEFAULT_WINDOWS,
    Closure,
    OpenStatus,
    Schedule,
    Window,
    parse_hhmm,
    to_caracas,
    to_naive_utc,
)

KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14: a different calendar day from Caracas
DEFAULT = Schedule()

# A plain week with no holidays: Monday 7 to Sunday 13 December 2026.
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 12, d) for d in range(7, 14))
NEXT_MON = date(2026, 12, 14)


def ccs(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware Caracas datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=CARACAS)


def as_naive_utc(dt: datetime) -> datetime:
    """The same instant as the database stores it."""
    return dt.astimezone(UTC).replace(tzinfo=None)


def as_kiritimati(dt: datetime) -> datetime:
    """The same instant as seen from the far side of the date line."""
    return dt.astimezone(KIRITIMATI)


SAME_INSTANT = pytest.mark.parametrize(
    "convert",
    [lambda dt: dt, as_naive_utc, as_kiritimati],
    ids=["caracas", "naive-utc", "kiritimati"],
)


def test_default_windows_are_the_procedure_hours():
    """Ten windows: mornings and afternoons, Monday to Friday."""
    assert len(DEFAULT_WINDOWS) == 10
    assert {w.weekday for w in DEFAULT_WINDOWS} == {0, 1, 2, 3, 4}
    assert {(w.opens, w.closes) for w in DEFAULT_WINDOWS} == {
        (time(8, 30), time(12, 0)),
        (time(14, 0), time(17, 30)),
    }


@pytest.mark.parametrize(
    ("now", "is_open", "reason", "detail", "reopens_at", "closes_at"),
    [
        (ccs(WED, 0, 0), False, "night", None, ccs(WED, 8, 30), None),
        (ccs(WED, 8, 29), False, "night", None, ccs(WED, 8, 30), None),
        (ccs(WED, 8, 30), True, None, None, None, ccs(WED, 12, 0)),
        (ccs(WED, 11, 59), True, None, None, None, ccs(WED, 12, 0)),
        (ccs(WED, 12, 0), False, "lunch", None, ccs(WED, 14, 0), None),
        (ccs(WED, 13, 59), False, "lunch", None, ccs(WED, 14, 0), None),
        (ccs(WED, 14, 0), True, None, None, None, ccs(WED, 17, 30)),
        (ccs(WED, 17, 29), True, None, None, None, ccs(WED, 17, 30)),
        (ccs(WED, 17, 30), False, "night", None, ccs(THU, 8, 30), None),
        (ccs(WED, 23, 59), False, "night", None, ccs(THU, 8, 30), None),
        (ccs(FRI, 17, 30), False, "night", None, ccs(NEXT_MON, 8, 30), None),
        (ccs(SAT, 10, 0), False, "weekend", None, ccs(NEXT_MON, 8, 30), None),
        (ccs(SUN, 8, 30), False, "weekend", None, ccs(NEXT_MON, 8, 30), None),
        (ccs(SUN, 23, 59), False, "weekend", None, ccs(NEXT_MON, 8, 30), None),
        (
            ccs(date(2027, 2, 8), 10, 0),
            False,
            "holiday",
            "Lunes de Carnaval",
            ccs(date(2027, 2, 10), 8, 30),
            None,
        ),
        (
            ccs(date(2027, 2, 9), 15, 0),
            False,
            "holiday",
            "Martes de Carnaval",
            ccs(date(2027, 2, 10), 8, 30),
            None,
        ),
        (
            ccs(date(2027, 3, 25), 9, 0),
            False,
            "holiday",
            "Jueves Santo",
            ccs(date(2027, 3, 29), 8, 30),
            None,
        ),
        (
            ccs(date(2026, 12, 24), 10, 0),
            False,
            "holiday",
            "Nochebuena",
            ccs(date(2026, 12, 28), 8, 30),
            None,
        ),
        (
            ccs(date(2026, 12, 31), 16, 0),
            False,
            "holiday",
            "Fiesta de Fin de Año",
            ccs(date(2027, 1, 4), 8, 30),
            None,
        ),
        # A holiday on a Sunday is reported as the holiday, not the weekend.
        (
            ccs(date(2026, 4, 19), 10, 0),
            False,
            "holiday",
            "Declaración de la Independencia",
            ccs(date(2026, 4, 20), 8, 30),
            None,
        ),
        # The evening before a holiday is night, reopening after the holiday.
        (ccs(date(2027, 2, 5), 18, 0), False, "night", None, ccs(date(2027, 2, 10), 8, 30), None),
    ],
)
@SAME_INSTANT
def test_status_default_schedule(convert, now, is_open, reason, detail, reopens_at, closes_at):
    """Status matches the procedure's hours, whatever zone the moment is given in."""
    status = DEFAULT.status(convert(now))
    assert status == OpenStatus(is_open, reason, detail, reopens_at, closes_at)
    assert DEFAULT.is_open(convert(now)) is is_open
    for moment in (status.reopens_at, status.closes_at):
        if moment is not None:
            assert moment.tzinfo is CARACAS


WHOLE_DAY = Closure(WED, reason="Inventario anual")
AFTERNOON = Closure(WED, time(14, 0), time(17, 30), "Decreto presidencial")
MID_MORNING = Closure(WED, time(10, 0), time(11, 0), "Simulacro de evacuación")


@pytest.mark.parametrize(
    ("closures", "now", "is_open", "reason", "detail", "reopens_at", "closes_at"),
    [
        ([WHOLE_DAY], ccs(WED, 10, 0), False, "closure", "Inventario anual", ccs(THU, 8, 30), None),
        ([WHOLE_DAY], ccs(WED, 7, 0), False, "closure", "Inventario anual", ccs(THU, 8, 30), None),
        ([WHOLE_DAY], ccs(WED, 20, 0), False, "closure", "Inventario anual", ccs(THU, 8, 30), None),
        ([WHOLE_DAY], ccs(TUE, 18, 0), False, "night", None, ccs(THU, 8, 30), None),
        ([AFTERNOON], ccs(WED, 10, 0), True, None, None, None, ccs(WED, 12, 0)),
        (
            [AFTERNOON],
            ccs(WED, 15, 0),
            False,
            "closure",
            "Decreto presidencial",
            ccs(THU, 8, 30),
            None,
        ),
        # The afternoon will not open, so midday is no lunch break: the day is over.
        ([AFTERNOON], ccs(WED, 13, 0), False, "night", None, ccs(THU, 8, 30), None),
        ([AFTERNOON], ccs(WED, 17, 30), False, "night", None, ccs(THU, 8, 30), None),
        ([MID_MORNING], ccs(WED, 9, 0), True, None, None, None, ccs(WED, 10, 0)),
        (
            [MID_MORNING],
            ccs(WED, 10, 0),
            False,
            "closure",
            "Simulacro de evacuación",
            ccs(WED, 11, 0),
            None,
        ),
        ([MID_MORNING], ccs(WED, 11, 0), True, None, None, None, ccs(WED, 12, 0)),
        ([MID_MORNING], ccs(WED, 12, 30), False, "lunch", None, ccs(WED, 14, 0), None),
        # A closure outranks the weekend and a holiday.
        (
            [Closure(SAT, reason="Mudanza")],
            ccs(SAT, 9, 0),
            False,
            "closure",
            "Mudanza",
            ccs(NEXT_MON, 8, 30),
            None,
        ),
        (
            [Closure(date(2027, 2, 8), reason="Carnaval extendido")],
            ccs(date(2027, 2, 8), 9, 0),
            False,
            "closure",
            "Carnaval extendido",
            ccs(date(2027, 2, 10), 8, 30),
            None,
        ),
        # A closure with no reason given has no detail to read out.
        ([Closure(WED)], ccs(WED, 9, 0), False, "closure", None, ccs(THU, 8, 30), None),
        # A closure running until midnight from mid-afternoon, and one from midnight to 10:00.
        (
            [Closure(WED, starts=time(15, 0), reason="Corte eléctrico")],
            ccs(WED, 14, 30),
            True,
            None,
            None,
            None,
            ccs(WED, 15, 0),
        ),
        (
            [Closure(WED, ends=time(10, 0), reason="Llegada tardía")],
            ccs(WED, 8, 45),
            False,
            "closure",
            "Llegada tardía",
            ccs(WED, 10, 0),
            None,
        ),
    ],
)
@SAME_INSTANT
def test_status_with_closures(
    convert, closures, now, is_open, reason, detail, reopens_at, closes_at
):
    """Whole-day and part-day closures close the centre and give their reason."""
    schedule = Schedule(DEFAULT_WINDOWS, closures)
    status = schedule.status(convert(now))
    assert status == OpenStatus(is_open, reason, detail, reopens_at, closes_at)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2027, 2, 8), "Lunes de Carnaval"),
        (date(2027, 2, 9), "Martes de Carnaval"),
        (date(2027, 3, 25), "Jueves Santo"),
        (date(2027, 3, 26), "Viernes Santo"),
        (date(2026, 12, 24), "Nochebuena"),
        (date(2026, 12, 25), "Día de Navidad"),
        (date(2026, 12, 31), "Fiesta de Fin de Año"),
        (date(2027, 1, 1), "Año Nuevo"),
        (WED, None),
        (date(2027, 2, 10), None),
    ],
)
def test_holiday_name(day, name):
    """Venezuelan public holidays carry their Spanish names."""
    assert DEFAULT.holiday_name(day) == name


def test_holiday_name_of_a_datetime_uses_the_caracas_date():
    """A naive-UTC datetime early on the 25th is still the 24th in Caracas."""
    assert DEFAULT.holiday_name(datetime(2026, 12, 25, 2, 0)) == "Nochebuena"


@pytest.mark.parametrize(
    ("closures", "day", "expected"),
    [
        ([], WED, [((8, 30), (12, 0)), ((14, 0), (17, 30))]),
        ([], SAT, []),
        ([], date(2027, 2, 8), []),
        ([WHOLE_DAY], WED, []),
        ([AFTERNOON], WED, [((8, 30), (12, 0))]),
        ([MID_MORNING], WED, [((8, 30), (10, 0)), ((11, 0), (12, 0)), ((14, 0), (17, 30))]),
        ([Closure(WED, starts=time(11, 0))], WED, [((8, 30), (11, 0))]),
        ([Closure(WED, ends=time(10, 0))], WED, [((10, 0), (12, 0)), ((14, 0), (17, 30))]),
        (
            [Closure(WED, time(11, 0), time(15, 0)), Closure(WED, time(14, 30), time(16, 0))],
            WED,
            [((8, 30), (11, 0)), ((16, 0), (17, 30))],
        ),
        (
            [Closure(WED, time(12, 30), time(13, 30))],
            WED,
            [((8, 30), (12, 0)), ((14, 0), (17, 30))],
        ),
        ([AFTERNOON], THU, [((8, 30), (12, 0)), ((14, 0), (17, 30))]),
    ],
)
def test_open_intervals(closures, day, expected):
    """A day's open intervals are its windows minus holidays and closures."""
    intervals = Schedule(DEFAULT_WINDOWS, closures).open_intervals(day)
    assert intervals == [(ccs(day, *start), ccs(day, *end)) for start, end in expected]
    assert all(s.tzinfo is CARACAS and e.tzinfo is CARACAS for s, e in intervals)


def test_open_intervals_returns_a_copy():
    """Changing the returned list does not change the cached day."""
    DEFAULT.open_intervals(WED).clear()
    assert len(DEFAULT.open_intervals(WED)) == 2


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (ccs(FRI, 17, 0), 4, ccs(NEXT_MON, 12, 0)),
        (ccs(WED, 11, 0), 2, ccs(WED, 15, 0)),
        (ccs(WED, 11, 0), 1, ccs(WED, 12, 0)),
        (ccs(WED, 8, 30), 3.5, ccs(WED, 12, 0)),
        (ccs(WED, 8, 30), 7, ccs(WED, 17, 30)),
        (ccs(WED, 8, 30), 7.5, ccs(THU, 9, 0)),
        (ccs(WED, 11, 50), 0.25, ccs(WED, 14, 5)),
        (ccs(MON, 8, 30), 35, ccs(FRI, 17, 30)),
        (ccs(MON, 8, 30), 35.5, ccs(NEXT_MON, 9, 0)),
        (ccs(WED, 7, 0), 1, ccs(WED, 9, 30)),
        (ccs(WED, 12, 30), 1, ccs(WED, 15, 0)),
        (ccs(SAT, 10, 0), 2, ccs(NEXT_MON, 10, 30)),
        # Zero hours: unchanged while open, the next opening while closed.
        (ccs(WED, 10, 0), 0, ccs(WED, 10, 0)),
        (ccs(WED, 8, 30), 0, ccs(WED, 8, 30)),
        (ccs(WED, 12, 0), 0, ccs(WED, 14, 0)),
        (ccs(WED, 12, 30), 0, ccs(WED, 14, 0)),
        (ccs(WED, 17, 30), 0, ccs(THU, 8, 30)),
        (ccs(SAT, 10, 0), 0, ccs(NEXT_MON, 8, 30)),
        # Holidays: Carnival 2027, Holy Week 2027, Christmas and New Year 2026.
        (ccs(date(2027, 2, 5), 16, 0), 4, ccs(date(2027, 2, 10), 11, 0)),
        (ccs(date(2027, 3, 24), 17, 0), 1, ccs(date(2027, 3, 29), 9, 0)),
        (ccs(date(2026, 12, 23), 17, 0), 1, ccs(date(2026, 12, 28), 9, 0)),
        (ccs(date(2026, 12, 30), 17, 30), 0.5, ccs(date(2027, 1, 4), 9, 0)),
    ],
)
@SAME_INSTANT
def test_add_business_hours(convert, start, hours, expected):
    """Only open time counts; a due time on a closing time stays there."""
    result = DEFAULT.add_business_hours(convert(start), hours)
    assert result == expected
    assert result.tzinfo is CARACAS


@pytest.mark.parametrize(
    ("closures", "start", "hours", "expected"),
    [
        ([AFTERNOON], ccs(WED, 11, 0), 2, ccs(THU, 9, 30)),
        ([AFTERNOON], ccs(WED, 11, 0), 1, ccs(WED, 12, 0)),
        ([AFTERNOON], ccs(WED, 15, 0), 0, ccs(THU, 8, 30)),
        ([MID_MORNING], ccs(WED, 9, 30), 1, ccs(WED, 11, 30)),
        ([MID_MORNING], ccs(WED, 10, 30), 0, ccs(WED, 11, 0)),
        ([WHOLE_DAY], ccs(TUE, 17, 0), 1, ccs(THU, 9, 0)),
    ],
)
def test_add_business_hours_with_closures(closures, start, hours, expected):
    """Closures are skipped like any other closed time."""
    assert Schedule(DEFAULT_WINDOWS, closures).add_business_hours(start, hours) == expected


@pytest.mark.parametrize("hours", [-0.5, float("nan"), float("inf")])
def test_add_business_hours_rejects_bad_hours(hours):
    """Negative or non-finite durations are errors, not silent nonsense."""
    with pytest.raises(ValueError, match="finite, non-negative"):
        DEFAULT.add_business_hours(ccs(WED, 10, 0), hours)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (ccs(WED, 10, 0), ccs(WED, 10, 0)),
        (ccs(WED, 8, 0), ccs(WED, 8, 30)),
        (ccs(WED, 12, 0), ccs(WED, 14, 0)),
        (ccs(FRI, 17, 30), ccs(NEXT_MON, 8, 30)),
        (ccs(date(2027, 2, 8), 8, 0), ccs(date(2027, 2, 10), 8, 30)),
    ],
)
@SAME_INSTANT
def test_next_opening(convert, now, expected):
    """The next opening is now while open, else the start of the next open interval."""
    assert DEFAULT.next_opening(convert(now)) == expected


def test_custom_windows_are_data():
    """Other hours, such as Saturday mornings, come from the windows passed in."""
    saturday = Window(5, time(9, 0), time(13, 0))
    schedule = Schedule([*DEFAULT_WINDOWS, saturday])
    assert schedule.status(ccs(SAT, 10, 0)) == OpenStatus(True, None, None, None, ccs(SAT, 13, 0))
    assert schedule.status(ccs(FRI, 18, 0)).reopens_at == ccs(SAT, 9, 0)
    assert schedule.add_business_hours(ccs(FRI, 17, 0), 4) == ccs(SAT, 12, 30)


def test_touching_windows_merge_into_one_interval():
    """Adjacent windows close only once, at the end of the second."""
    schedule = Schedule([Window(2, time(8, 0), time(12, 0)), Window(2, time(12, 0), time(16, 0))])
    assert schedule.status(ccs(WED, 11, 0)).closes_at == ccs(WED, 16, 0)
    assert schedule.open_intervals(WED) == [(ccs(WED, 8, 0), ccs(WED, 16, 0))]


def test_a_new_schedule_sees_new_closures():
    """Cached days belong to one Schedule; the rebuilt one sees the added closure."""
    before = Schedule()
    assert before.is_open(ccs(WED, 10, 0))
    after = Schedule(DEFAULT_WINDOWS, [WHOLE_DAY])
    assert not after.is_open(ccs(WED, 10, 0))
    assert before.is_open(ccs(WED, 10, 0))


def test_a_schedule_that_never_opens_says_so():
    """With no windows at all the search for an opening gives up instead of looping."""
    schedule = Schedule([])
    assert schedule.status(ccs(WED, 10, 0)) == OpenStatus(False, "weekend", None, None, None)
    with pytest.raises(LookupError):
        schedule.next_opening(ccs(WED, 10, 0))
    with pytest.raises(LookupError):
        schedule.add_business_hours(ccs(WED, 10, 0), 1)


@pytest.mark.parametrize(
    ("windows", "closures", "message"),
    [
        ([Window(7, time(8, 0), time(9, 0))], [], "weekday must be"),
        ([Window(0, time(12, 0), time(8, 0))], [], "open before it closes"),
        ([Window(0, time(8, 0), time(8, 0))], [], "open before it closes"),
        ([Window(0, time(8, 0, tzinfo=UTC), time(9, 0))], [], "wall-clock"),
        (DEFAULT_WINDOWS, [Closure(WED, time(15, 0), time(14, 0))], "start before it ends"),
    ],
)
def test_invalid_data_is_rejected(windows, closures, message):
    """Impossible windows and closures fail when the schedule is built."""
    with pytest.raises(ValueError, match=message):
        Schedule(windows, closures)


@pytest.fixture
def far_server_zone(monkeypatch):
    """Run with the process's local zone on the other side of the date line."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time_module.tzset()
    yield
    monkeypatch.undo()
    time_module.tzset()


@pytest.mark.usefixtures("far_server_zone")
def test_server_time_zone_does_not_matter():
    """The server's own zone never leaks into the answer."""
    assert DEFAULT.status(datetime(2026, 12, 9, 15, 0)).closes_at == ccs(WED, 12, 0)
    assert DEFAULT.add_business_hours(datetime(2026, 12, 11, 21, 0), 4) == ccs(NEXT_MON, 12, 0)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (datetime(2026, 12, 9, 16, 0), datetime(2026, 12, 9, 16, 0)),
        (ccs(WED, 12, 0), datetime(2026, 12, 9, 16, 0)),
        (datetime(2026, 12, 10, 6, 0, tzinfo=KIRITIMATI), datetime(2026, 12, 9, 16, 0)),
    ],
)
def test_to_naive_utc(given, expected):
    """Aware datetimes become naive UTC; naive ones are already UTC."""
    result = to_naive_utc(given)
    assert result == expected
    assert result.tzinfo is None


@pytest.mark.parametrize(
    "given",
    [datetime(2026, 12, 9, 16, 0), datetime(2026, 12, 10, 6, 0, tzinfo=KIRITIMATI)],
)
def test_to_caracas(given):
    """Naive datetimes are read as UTC and land in Caracas wall-clock time."""
    result = to_caracas(given)
    assert result == ccs(WED, 12, 0)
    assert (result.tzinfo, result.hour, result.utcoffset()) == (CARACAS, 12, timedelta(hours=-4))


@pytest.mark.parametrize(("text", "expected"), [("08:30", time(8, 30)), (" 17:05 ", time(17, 5))])
def test_parse_hhmm(text, expected):
    """Clock times stored as HH:MM parse to times."""
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize("text", ["8h30", "25:00", "08:3", "", "aa:bb"])
def test_parse_hhmm_rejects_garbage(text):
    """Anything but a valid HH:MM is an error."""
    with pytest.raises(ValueError, match="not an HH:MM time"):
        parse_hhmm(text)


def test_status_is_cheap_once_warm():
    """Status answers on the webhook path without rebuilding holiday tables."""
    schedule = Schedule()
    moments = [datetime(2026, 12, 9, 12, 0) + timedelta(minutes=7 * i) for i in range(2000)]
    schedule.status(moments[0])
    began = time_module.perf_counter()
    for moment in moments:
        schedule.status(moment)
    assert time_module.perf_counter() - began < 1.0


SCHEDULES = [
    DEFAULT,
    Schedule(DEFAULT_WINDOWS, [WHOLE_DAY, Closure(THU, time(14, 0), time(17, 30))]),
    Schedule(DEFAULT_WINDOWS, [MID_MORNING, Closure(date(2027, 1, 5), time(9, 0), time(16, 0))]),
]
MOMENTS = st.datetimes(min_value=datetime(2026, 11, 1), max_value=datetime(2027, 12, 15))
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(
    schedule=st.sampled_from(SCHEDULES),
    start=MOMENTS,
    a=st.integers(min_value=0, max_value=60 * 60),
    b=st.integers(min_value=1, max_value=60 * 60),
)
def test_adding_business_hours_composes(schedule, start, a, b):
    """Adding a then b minutes equals adding a+b, and lands in or at the end of an interval."""
    stepwise = schedule.add_business_hours(schedule.add_business_hours(start, a / 60), b / 60)
    at_once = schedule.add_business_hours(start, (a + b) / 60)
    assert stepwise == at_once
    assert any(s <= at_once <= e for s, e in schedule.open_intervals(at_once.date()))
    assert at_once > to_caracas(start)


@PROPERTY_SETTINGS
@given(schedule=st.sampled_from(SCHEDULES), now=MOMENTS)
def test_status_is_consistent(schedule, now):
    """Closed moments reopen at an open moment later; open moments close at a closed one."""
    status = schedule.status(now)
    assert status.is_open is schedule.is_open(now)
    assert (status.reason is None) is status.is_open
    if status.is_open:
        assert status.closes_at > to_caracas(now)
        assert not schedule.is_open(status.closes_at)
        assert schedule.next_opening(now) == to_caracas(now)
    else:
        assert status.reopens_at > to_caracas(now)
        assert schedule.is_open(status.reopens_at)
        assert not schedule.is_open(status.reopens_at - timedelta(microseconds=1))
