"""Opening hours of the support centre: windows, holidays, closures, business-time arithmetic."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

CARACAS = ZoneInfo("America/Caracas")

# How far ahead to look for an opening before deciding the schedule never opens.
SEARCH_DAYS = 400
# Per-schedule cache of computed days: a call touches today and a few days ahead.
DAY_CACHE_SIZE = 128

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """A weekly opening window in Caracas time (weekday 0 = Monday)."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class Closure:
    """A coordinator's closure: the whole day when starts and ends are both None."""

    day: date
    starts: time | None = None
    ends: time | None = None
    reason: str = ""

    @property
    def whole_day(self) -> bool:
        """Whether the closure takes the whole day."""
        return self.starts is None and self.ends is None


@dataclass(frozen=True)
class OpenStatus:
    """Whether the centre is open at a moment, and why not or until when."""

    is_open: bool
    reason: str | None  # None when open; 'closure', 'holiday', 'weekend', 'lunch' or 'night'
    detail: str | None  # holiday name or closure reason
    reopens_at: datetime | None  # aware, Caracas, when closed
    closes_at: datetime | None  # aware, Caracas, when open


DEFAULT_WINDOWS: tuple[Window, ...] = tuple(
    Window(weekday, opens, closes)
    for weekday in range(5)
    for opens, closes in ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
)


def to_caracas(dt: datetime) -> datetime:
    """Convert a naive-UTC or aware datetime to an aware Caracas datetime."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(CARACAS)


def to_naive_utc(dt: datetime) -> datetime:
    """Convert an aware datetime to naive UTC for storage; naive input is taken as UTC already."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        return dt.replace(tzinfo=None)
    return dt.astimezone(UTC).replace(tzinfo=None)


def parse_hhmm(text: str) -> time:
    """Parse an 'HH:MM' clock time as stored in the database."""
    hours, _, minutes = text.strip().partition(":")
    if hours.isdigit() and minutes.isdigit() and len(minutes) == 2:
        try:
            return time(int(hours), int(minutes))
        except ValueError:
            pass
    raise ValueError(f"not an HH:MM time: {text!r}")


@lru_cache(maxsize=64)
def _holiday_table(country: str, year: int) -> Mapping[date, str]:
    """Public holidays of one country and year, with Spanish names (computed once)."""
    # Building the table costs ~100 ms, far too slow to repeat on every webhook.
    table = holidays.country_holidays(country, years=year, language="es")
    return MappingProxyType(dict(table.items()))


def _offset(t: time) -> timedelta:
    """Time since midnight of a clock time."""
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _merge(spans: Iterable[tuple[timedelta, timedelta]]) -> list[tuple[timedelta, timedelta]]:
    """Sort spans and join those that overlap or touch."""
    merged: list[tuple[timedelta, timedelta]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _closure_span(closure: Closure) -> tuple[timedelta, timedelta]:
    """The part of its day a closure takes, with a missing bound meaning midnight."""
    start = _offset(closure.starts) if closure.starts is not None else timedelta(0)
    end = _offset(closure.ends) if closure.ends is not None else _DAY
    return start, end


def _subtract(
    spans: list[tuple[timedelta, timedelta]], holes: list[tuple[timedelta, timedelta]]
) -> list[tuple[timedelta, timedelta]]:
    """Remove the holes from sorted, disjoint spans."""
    result = []
    for start, end in spans:
        pieces = [(start, end)]
        for hole_start, hole_end in holes:
            next_pieces = []
            for piece_start, piece_end in pieces:
                if hole_end <= piece_start or hole_start >= piece_end:
                    next_pieces.append((piece_start, piece_end))
                    continue
                if piece_start < hole_start:
                    next_pieces.append((piece_start, hole_start))
                if hole_end < piece_end:
                    next_pieces.append((hole_end, piece_end))
            pieces = next_pieces
        result.extend(pieces)
    return result


class Schedule:
    """The centre's weekly windows, public holidays and coordinator closures."""

    def __init__(
        self,
        windows: Iterable[Window] = DEFAULT_WINDOWS,
        closures: Iterable[Closure] = (),
        country: str = "VE",
    ) -> None:
        """Validate and index the windows and closures."""
        self.windows = tuple(windows)
        self.closures = tuple(closures)
        self.country = country
        by_weekday: dict[int, list[tuple[timedelta, timedelta]]] = defaultdict(list)
        for window in self.windows:
            if not 0 <= window.weekday <= 6:
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday): {window!r}")
            if window.opens.tzinfo is not None or window.closes.tzinfo is not None:
                raise ValueError(f"window times are Caracas wall-clock times: {window!r}")
            if window.opens >= window.closes:
                raise ValueError(f"a window must open before it closes: {window!r}")
            by_weekday[window.weekday].append((_offset(window.opens), _offset(window.closes)))
        self._weekday_spans = {day: tuple(_merge(spans)) for day, spans in by_weekday.items()}
        by_day: dict[date, list[Closure]] = defaultdict(list)
        for closure in self.closures:
            start, end = _closure_span(closure)
            if start >= end:
                raise ValueError(f"a closure must start before it ends: {closure!r}")
            # A datetime never equals a date as a dict key, so keep only its calendar date.
            day = closure.day.date() if isinstance(closure.day, datetime) else closure.day
            by_day[day].append(closure)
        self._closures_by_day = {day: tuple(items) for day, items in by_day.items()}
        # A cache per instance: building a new Schedule (closures edited) starts afresh.
        self._day_intervals = lru_cache(maxsize=DAY_CACHE_SIZE)(self._compute_day)

    def __repr__(self) -> str:
        """Summarise the schedule."""
        return (
            f"Schedule({len(self.windows)} windows, {len(self.closures)} closures, "
            f"country={self.country!r})"
        )

    def holiday_name(self, day: date) -> str | None:
        """The public holiday's Spanish name on a day, or None."""
        day = _as_day(day)
        return _holiday_table(self.country, day.year).get(day)

    def closures_on(self, day: date) -> tuple[Closure, ...]:
        """The coordinator's closures on a day."""
        return self._closures_by_day.get(_as_day(day), ())

    def open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's open intervals (aware, Caracas): windows minus holidays and closures."""
        return list(self._day_intervals(_as_day(day)))

    def _compute_day(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """Work out one day's open intervals."""
        spans = list(self._weekday_spans.get(day.weekday(), ()))
        if not spans or self.holiday_name(day) is not None:
            return ()
        holes = [_closure_span(closure) for closure in self._closures_by_day.get(day, ())]
        if holes:
            spans = _subtract(spans, _merge(holes))
        midnight = datetime.combine(day, time(0), tzinfo=CARACAS)
        return tuple((midnight + start, midnight + end) for start, end in spans)

    def status(self, now: datetime) -> OpenStatus:
        """Whether the centre is open at a moment, with the reason and the next change."""
        local = to_caracas(now)
        day = local.date()
        intervals = self._day_intervals(day)
        for start, end in intervals:
            if start <= local < end:
                return OpenStatus(True, None, None, None, end)
        reason, detail = self._closed_reason(local, intervals)
        try:
            reopens_at = self.next_opening(local)
        except LookupError:
            # A schedule emptied by mistake must still let the caller hear that it is closed.
            reopens_at = None
        return OpenStatus(False, reason, detail, reopens_at, None)

    def _closed_reason(
        self, local: datetime, intervals: tuple[tuple[datetime, datetime], ...]
    ) -> tuple[str, str | None]:
        """Why the centre is closed at a Caracas moment, most specific cause first."""
        day = local.date()
        offset = local - datetime.combine(day, time(0), tzinfo=CARACAS)
        for closure in self._closures_by_day.get(day, ()):
            start, end = _closure_span(closure)
            if start <= offset < end:
                return "closure", closure.reason or None
        name = self.holiday_name(day)
        if name is not None:
            return "holiday", name
        if day.weekday() not in self._weekday_spans:
            return "weekend", None
        if any(end <= local for _, end in intervals) and any(local < s for s, _ in intervals):
            return "lunch", None
        return "night", None

    def is_open(self, now: datetime) -> bool:
        """Whether the centre is open at a moment."""
        local = to_caracas(now)
        return any(start <= local < end for start, end in self._day_intervals(local.date()))

    def next_opening(self, now: datetime) -> datetime:
        """The earliest moment at or after now when the centre is open (aware, Caracas)."""
        local = to_caracas(now)
        day = local.date()
        for _ in range(SEARCH_DAYS):
            for start, end in self._day_intervals(day):
                if end > local:
                    return max(start, local)
            day += _DAY
        raise LookupError(f"the centre does not open within {SEARCH_DAYS} days of {local}")

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """The moment after counting the given open hours from start (aware, Caracas)."""
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite, non-negative number: {hours!r}")
        local = to_caracas(start)
        remaining = timedelta(hours=hours)
        day = local.date()
        days_without_opening = 0
        while days_without_opening < SEARCH_DAYS:
            intervals = self._day_intervals(day)
            days_without_opening = 0 if intervals else days_without_opening + 1
            for interval_start, interval_end in intervals:
                if interval_end <= local:
                    continue
                begin = max(interval_start, local)
                available = interval_end - begin
                # '<=' keeps a due time that falls exactly on a closing time at that time.
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += _DAY
        raise LookupError(f"the centre does not open within {SEARCH_DAYS} days of {local}")


def _as_day(day: date) -> date:
    """A calendar date in Caracas, from either a date or a datetime."""
    if isinstance(day, datetime):
        return to_caracas(day).date()
    return day
