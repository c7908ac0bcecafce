"""The dashboard's figures and the wallboard's state, from what the calls, legs, cases, calls
back and waits on hold record.

- Calls by hour of the day, Caracas time; outcomes: answered by an analyst, sent to the
  callback queue, hung up while being put through, emergencies (answered or a message), hung
  up in the menu (no case, no routing), a report or a lookup without a put-through, still
  live; and how many came when the centre was closed (the line's own schedule).
- Time to answer: from the moment the caller asked for a person (the hunt's start) to the
  analyst's acceptance. Time to call back: from the case's opening to its first call back.
- Per contract company: of the cases opened in the period, the share that got an answer (an
  analyst taking their call, or a call back) within the contract's response time in business
  hours; cases still inside their time are not counted yet.
- Per analyst: put-throughs taken and missed (no answer, busy, failed, voicemail), calls back
  made on the cases assigned to them.
- The hold queue: of the waits that ended in the period, how many were put through to an
  analyst, moved to the callback queue by the caller's 1 or by the longest wait, or ended
  with a hang-up; the average and the longest wait.
- The wallboard: each analyst's state (on a call, ringing, closing a call in the wrap-up
  time, or their status), the callers on hold now in the line's order, the callback queue.

Flask-free: the console calls these with a `Tx`, the schedule and `now`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from ivr.domain.business_hours import (
    CARACAS,
    SEARCH_DAYS,
    Schedule,
    to_caracas,
    to_naive_utc,
)
from ivr.domain.statuses import (
    FINAL_CALL_STATUSES,
    MISSED_DIAL_OUTCOMES,
    AnalystStatus,
    CallbackState,
    CallOutcome,
    CaseStatus,
    DialOutcome,
    HoldState,
)
from ivr.services import hold as hold_service
from ivr.services import routing
from ivr.store import analysts as analyst_rows
from ivr.store import dashboard as store
from ivr.store.tx import Rec, Tx

# Outcome keys, in the order the dashboard lists them (CallOutcome members where one fits).
EMERGENCY = "emergency"
IN_MENU = "menu"
NO_PUT_THROUGH = "no_put_through"
LIVE = "live"
OUTCOMES = (CallOutcome.ANSWERED, CallOutcome.CALLBACK, CallOutcome.ABANDONED, EMERGENCY,
            IN_MENU, NO_PUT_THROUGH, LIVE)
EMERGENCY_OUTCOMES = (CallOutcome.EMERGENCY_ANSWERED, CallOutcome.EMERGENCY_MESSAGE)
DAYS = 30
OVERDUE_SHOWN = 8
LIVE_LEG_HOURS = 4  # a leg older than this without an end lost its status callback
EPOCH = datetime(2000, 1, 1)  # before any due time


@dataclass(frozen=True)
class Period:
    """A period of the dashboard: from a Caracas midnight to now (naive UTC bounds)."""

    key: str  # "today" | "30d"
    since: datetime
    until: datetime
    days: int


def periods(now: datetime) -> tuple[Period, Period]:
    """Today (since Caracas midnight) and the last 30 days (today and the 29 before)."""
    midnight = datetime.combine(to_caracas(now).date(), time(0), tzinfo=CARACAS)
    until = now + timedelta(microseconds=1)  # now included
    return (Period("today", to_naive_utc(midnight), until, 1),
            Period("30d", to_naive_utc(midnight - timedelta(days=DAYS - 1)), until, DAYS))


@dataclass(frozen=True)
class Spread:
    """Durations in seconds: how many, the median and the 90th percentile (nearest rank)."""

    count: int
    median: int | None
    p90: int | None


def spread(seconds: list[float]) -> Spread:
    """The median and 90th percentile of durations (nearest-rank: a value that occurred)."""
    if not seconds:
        return Spread(0, None, None)
    ordered = sorted(seconds)

    def rank(p: float) -> int:
        index = max(0, -(-len(ordered) * p // 100) - 1)  # ceil(n * p / 100) - 1
        return round(ordered[int(index)])

    return Spread(len(ordered), rank(50), rank(90))


@dataclass(frozen=True)
class ContractShare:
    """A contract company's cases in the period: answered in time, late, still in time."""

    company: str
    hours: int
    in_time: int
    late: int
    open: int

    @property
    def share(self) -> float | None:
        """The share answered within the contract's time, of those decided."""
        decided = self.in_time + self.late
        return self.in_time / decided if decided else None


@dataclass(frozen=True)
class AnalystFigures:
    """One analyst's work in the period."""

    analyst_id: int | None
    name: str
    taken: int
    missed: int
    callbacks: int


# How a wait on hold can end, in the order the dashboard lists them.
HOLD_ENDS = (HoldState.BRIDGED, HoldState.LEFT, HoldState.TIMED_OUT, HoldState.ABANDONED)


@dataclass(frozen=True)
class Waits:
    """Waits on hold: how many, and how long they lasted (seconds; None without any)."""

    count: int = 0
    average: int | None = None
    longest: int | None = None


@dataclass(frozen=True)
class HoldFigures:
    """The waits on hold that ended in a period, by how they ended (HOLD_ENDS: put through
    to an analyst, 1 pressed for a callback, the longest wait reached, a hang-up), and all
    together. A wait put through ends when the analyst's phone starts ringing."""

    by_end: dict[str, Waits] = field(default_factory=dict)
    total: Waits = Waits()

    def count(self, end: str) -> int:
        """How many waits ended this way."""
        return self.by_end.get(end, Waits()).count


@dataclass
class Figures:
    """The dashboard's figures for one period."""

    period: Period
    by_hour: list[int]  # Caracas hour 0..23
    outcomes: dict[str, int]
    total: int
    after_hours: int
    answer: Spread
    callback: Spread
    contracts: list[ContractShare] = field(default_factory=list)
    analysts: list[AnalystFigures] = field(default_factory=list)
    holds: HoldFigures = field(default_factory=HoldFigures)


def outcome_key(row: Rec) -> str:
    """Which outcome of the dashboard a group of calls belongs to."""
    if row.outcome in EMERGENCY_OUTCOMES:
        return EMERGENCY
    if row.outcome:
        return row.outcome
    if row.status not in FINAL_CALL_STATUSES:
        return LIVE
    return NO_PUT_THROUGH if row.with_case else IN_MENU


def figures(tx: Tx, schedule: Schedule, period: Period, now: datetime) -> Figures:
    """Every figure of the dashboard for a period."""
    by_hour = [0] * 24
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for row in store.calls_by_hour(tx, period.since, period.until):
        hour = to_caracas(datetime.fromisoformat(f"{row.hour}:00")).hour
        by_hour[hour] += row.calls
        key = outcome_key(row)
        outcomes[key] = outcomes.get(key, 0) + row.calls
    total = sum(by_hour)
    return Figures(period, by_hour, outcomes, total,
                   total - calls_in_hours(tx, schedule, period),
                   *response_figures(tx, schedule, period, now),
                   analysts=analyst_figures(tx, period), holds=hold_figures(tx, period))


def hold_figures(tx: Tx, period: Period) -> HoldFigures:
    """The waits on hold that ended in the period (one grouped statement)."""
    by_end: dict[str, Waits] = {}
    count, seconds, longest = 0, 0, None
    for row in hold_service.ended_by_state(tx, period.since, period.until):
        total = int(row.seconds or 0)
        most = None if row.longest is None else int(row.longest)
        by_end[row.state] = Waits(row.waits, round(total / row.waits), most)
        count, seconds = count + row.waits, seconds + total
        longest = most if longest is None else max(longest, most or 0)
    return HoldFigures(by_end, Waits(count, round(seconds / count) if count else None,
                                     longest))


def calls_in_hours(tx: Tx, schedule: Schedule, period: Period) -> int:
    """Clients' calls that came while the centre was open (one count per open interval)."""
    count = 0
    day = to_caracas(period.since).date()
    last = to_caracas(period.until).date()
    while day <= last:
        for start, end in schedule.open_intervals(day):
            since = max(to_naive_utc(start), period.since)
            until = min(to_naive_utc(end), period.until)
            if since < until:
                count += store.calls_between(tx, since, until)
        day += timedelta(days=1)
    return count


class Deadlines:
    """Business-hours deadlines for many start times at once: the open intervals (naive UTC)
    from a first day on, each with the open time before it, searched by bisection. Gives the
    moments Schedule.add_business_hours gives for positive hours (the tests compare them),
    without walking the calendar again for every case."""

    def __init__(self, schedule: Schedule, first_day: date):
        """Start at a Caracas day; intervals are added as far as the deadlines need."""
        self.schedule = schedule
        self.day = first_day
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self.before: list[timedelta] = []  # open time before each interval
        self.through: list[timedelta] = []  # open time up to each interval's end
        self.days_without = 0

    def _more(self) -> bool:
        """Add the next day's intervals; False after SEARCH_DAYS days without any."""
        if self.days_without >= SEARCH_DAYS:
            return False
        intervals = self.schedule.open_intervals(self.day)
        self.days_without = 0 if intervals else self.days_without + 1
        for start, end in intervals:
            total = self.through[-1] if self.through else timedelta(0)
            self.starts.append(to_naive_utc(start))
            self.ends.append(to_naive_utc(end))
            self.before.append(total)
            self.through.append(total + (end - start))
        self.day += timedelta(days=1)
        return True

    def add(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` open hours after `start` (naive UTC both)."""
        if hours <= 0 or (self.starts and start < self.starts[0]):
            return to_naive_utc(self.schedule.add_business_hours(start, hours))
        while not self.ends or self.ends[-1] <= start:
            if not self._more():
                return to_naive_utc(self.schedule.add_business_hours(start, hours))
        i = bisect_right(self.ends, start)
        target = self.before[i] + max(start - self.starts[i], timedelta(0)) \
            + timedelta(hours=hours)
        while self.through[-1] < target:
            if not self._more():
                return to_naive_utc(self.schedule.add_business_hours(start, hours))
        j = bisect_left(self.through, target)
        return self.starts[j] + (target - self.before[j])


def response_figures(tx: Tx, schedule: Schedule, period: Period, now: datetime
                     ) -> tuple[Spread, Spread, list[ContractShare]]:
    """Time to answer, time to call back, and the contracts' shares."""
    waits = store.answer_seconds(tx, period.since, period.until, DialOutcome.ACCEPTED)
    callbacks = store.callback_seconds(tx, period.since, period.until)
    shares: dict[int, list] = {}
    deadlines = Deadlines(schedule, to_caracas(period.since).date())
    for case in store.contract_cases(tx, period.since, period.until):
        entry = shares.setdefault(case.company_id, [case.company_name, case.contract_hours,
                                                    0, 0, 0])
        deadline = deadlines.add(case.created_at, case.contract_hours)
        answers = [t for t in (case.first_callback_at, case.first_accepted_at) if t]
        answered = min(answers) if answers else None
        if answered is not None and answered <= deadline:
            entry[2] += 1
        elif answered is not None or now > deadline:
            entry[3] += 1
        elif case.callback_state == CallbackState.PENDING:
            entry[4] += 1
    contracts = sorted((ContractShare(*values) for values in shares.values()),
                       key=lambda c: (c.share if c.share is not None else 2, c.company))
    return spread(waits), spread(callbacks), contracts


def analyst_figures(tx: Tx, period: Period) -> list[AnalystFigures]:
    """Per analyst: put-throughs taken and missed, calls back made (active analysts and any
    with work in the period), by name."""
    taken: dict = defaultdict(int)
    missed: dict = defaultdict(int)
    for row in store.legs_by_analyst(tx, period.since, period.until):
        if row.outcome == DialOutcome.ACCEPTED:
            taken[row.analyst_id] += row.legs
        elif row.outcome in MISSED_DIAL_OUTCOMES:
            missed[row.analyst_id] += row.legs
    made = {row.analyst_id: row.made
            for row in store.callbacks_by_analyst(tx, period.since, period.until)}
    rows = []
    for analyst in analyst_rows.all_analysts(tx):
        key = analyst.id
        if analyst.deactivated_at is not None and not (taken[key] or missed[key]
                                                       or made.get(key)):
            continue
        rows.append(AnalystFigures(key, analyst.name, taken[key], missed[key],
                                   made.get(key, 0)))
    if made.get(None):
        rows.append(AnalystFigures(None, "", 0, 0, made[None]))
    return sorted(rows, key=lambda r: (r.analyst_id is None, r.name.lower()))


@dataclass(frozen=True)
class Queue:
    """The callback queue now."""

    waiting: int
    due_today: int
    overdue: int


def callback_queue(tx: Tx, now: datetime) -> Queue:
    """Callbacks waiting, due before Caracas midnight, and overdue (a resolved case leaves
    the queue when it is resolved, so the queue's state is enough)."""
    local = to_caracas(now)
    day_end = to_naive_utc(datetime.combine(local.date() + timedelta(days=1), time(0),
                                            tzinfo=CARACAS))
    pending = CallbackState.PENDING
    return Queue(store.callbacks_waiting(tx, pending),
                 store.callbacks_due_between(tx, pending, now, day_end),
                 store.callbacks_due_between(tx, pending, EPOCH, now))


# --- the wallboard -----------------------------------------------------------------------------

RINGING = DialOutcome.RINGING  # the wallboard's states: the three statuses, and these three
ON_CALL = "on_call"
WRAP_UP = "wrap_up"


@dataclass(frozen=True)
class Seat:
    """An analyst on the wallboard: their state now, and the call they are on."""

    name: str
    state: str  # AnalystStatus, or RINGING / ON_CALL / WRAP_UP
    since: datetime | None  # on the call, or ringing, since
    with_whom: str | None  # the company (or the caller's name) and the case number
    until: datetime | None = None  # the end of the wrap-up time


@dataclass(frozen=True)
class Waiter:
    """A caller on hold, as the wallboard lists them."""

    place: int  # 1: the next to be offered
    case_number: str
    company: str | None  # None: not identified
    contract: bool
    since: datetime  # waiting since (kept when an offer fell through)
    offered_to: str | None  # the analyst being rung for them now


@dataclass(frozen=True)
class Wall:
    """The wallboard."""

    seats: list[Seat]
    queue: Queue
    overdue: list[Rec]
    answered: int
    abandoned: int
    calls: int
    holds: list[Waiter] = field(default_factory=list)

    @property
    def longest_wait_since(self) -> datetime | None:
        """Since when the longest-waiting caller on hold waits."""
        return min((w.since for w in self.holds), default=None)


SEAT_ORDER = {ON_CALL: 0, RINGING: 1, WRAP_UP: 2, AnalystStatus.AVAILABLE: 3,
              AnalystStatus.AWAY: 4, AnalystStatus.UNAVAILABLE: 5}


def waiters(tx: Tx) -> list[Waiter]:
    """The callers on hold now, in the line's order (one statement)."""
    return [Waiter(place, row.case_number, row.company_name or None, bool(row.contract),
                   row.waiting_since,
                   row.analyst_name if row.state == HoldState.OFFERED else None)
            for place, row in enumerate(hold_service.board(tx), start=1)]


def wall(tx: Tx, now: datetime) -> Wall:
    """Who is available, ringing, on a call (with whom, since when), closing a call or away;
    the callers on hold; callbacks overdue; today's answered and abandoned calls."""
    live: dict[int, Rec] = {}
    for leg in store.live_legs(tx, now - timedelta(hours=LIVE_LEG_HOURS)):
        live.setdefault(leg.analyst_id, leg)  # the newest leg of each analyst
    seats = []
    for analyst in analyst_rows.all_analysts(tx):
        if analyst.deactivated_at is not None:
            continue
        leg = live.get(analyst.id)
        leased = analyst.lease_until is not None and analyst.lease_until > now
        wrap_up = routing.wrap_up_until(analyst, now)
        if wrap_up is not None:
            seats.append(Seat(analyst.name, WRAP_UP, None, None, wrap_up))
        elif leg is not None and leased:
            on_call = leg.outcome == DialOutcome.ACCEPTED
            who = " · ".join(x for x in (leg.company_name or leg.caller_name, leg.number) if x)
            seats.append(Seat(analyst.name, ON_CALL if on_call else RINGING,
                              leg.accepted_at if on_call else leg.started_at, who or None))
        elif leased:  # busy on a call no leg shows (a call back placed from the console)
            seats.append(Seat(analyst.name, ON_CALL, None, None))
        else:
            seats.append(Seat(analyst.name, analyst.status, None, None))
    seats.sort(key=lambda s: (SEAT_ORDER.get(s.state, 9), s.since or s.until or now,
                              s.name.lower()))
    today = periods(now)[0]
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for row in store.calls_by_hour(tx, today.since, today.until):
        key = outcome_key(row)
        outcomes[key] = outcomes.get(key, 0) + row.calls
    return Wall(seats, callback_queue(tx, now),
                store.overdue_callbacks(tx, pending=CallbackState.PENDING,
                                        resolved=CaseStatus.RESOLVED, now=now,
                                        limit=OVERDUE_SHOWN),
                outcomes[CallOutcome.ANSWERED],
                outcomes[CallOutcome.ABANDONED] + outcomes[IN_MENU],
                sum(outcomes.values()), waiters(tx))
