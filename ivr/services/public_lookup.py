"""The public page /ayuda: a case's status for whoever gives its number and the phone it was
opened from (or its contact's e-mail), and how to reach the centre.

The number alone is not enough (unlike on the phone, where it is said by the caller on a live
call): the page answers only when the phone or e-mail matches too, and gives the same answer
for a number that is no case and for a phone that is not the case's, so it tells nobody which
numbers exist. Misses are counted in the database (every server process sees them): after
FAILURES_PER_CASE for one case number, or FAILURES_PER_ADDRESS from one client address, within
THROTTLE_WINDOW (the console's login window), lookups are refused until it has passed.

Flask-free: the public blueprint calls these with a `Tx` and `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ivr.domain.business_hours import OpenStatus, Schedule
from ivr.domain.case_numbers import is_valid_case_number
from ivr.domain.phones import parse_phone
from ivr.domain.statuses import VISIT_STATUSES_TOLD, CallbackState, CaseStatus
from ivr.services.cases import CaseView
from ivr.services.users import THROTTLE_WINDOW, normalise_email
from ivr.store import cases, directory, lookups
from ivr.store.tx import Rec, Tx

FAILURES_PER_CASE = 5
FAILURES_PER_ADDRESS = 20
MAX_WHO = 200


class NextStep:
    """What the client can expect next (the page words each one)."""

    COMPLETE_REPORT = "complete_report"  # incomplete: a specialist calls to complete it
    CALLBACK = "call_back"  # a specialist will call back before the due time
    WORKING = "working"  # a specialist is on it
    VISIT = "visit"  # wait for the visit
    CLIENT = "client"  # the centre waits for the client's information
    RESOLVED = "solved"  # nothing; call again if the fault comes back


@dataclass(frozen=True)
class Lookup:
    """What a lookup gave: the case as the page may show it, or nothing (and whether it was
    refused for too many misses)."""

    view: CaseView | None = None
    next_step: str | None = None
    throttled: bool = False


def same_person(tx: Tx, case: Rec, who: str) -> bool:
    """Whether a phone (any format, normalised) or e-mail is the case's own: the caller ID it
    was opened from or the callback number it gave; the e-mail it gave or its contact's."""
    who = (who or "").strip()[:MAX_WHO]
    if not who:
        return False
    if "@" in who:
        email = normalise_email(who)
        known = {normalise_email(case.email or "")}
        if case.contact_id is not None:
            contact = directory.contact_by_id(tx, case.contact_id)
            if contact is not None:
                known.add(normalise_email(contact.email or ""))
        return email in known - {""}
    phone = parse_phone(who)
    return phone is not None and phone in {case.caller_number, case.callback_number}


def next_step(case: Rec, now: datetime) -> str:
    """What comes next for a case, as the page tells it."""
    if case.status == CaseStatus.RESOLVED:
        return NextStep.RESOLVED
    if case.status == CaseStatus.INCOMPLETE:
        return NextStep.COMPLETE_REPORT
    if case.status == CaseStatus.WAITING_CLIENT:
        return NextStep.CLIENT
    if case.status == CaseStatus.VISIT_SCHEDULED:
        return NextStep.VISIT
    if case.status == CaseStatus.RECEIVED:
        return NextStep.CALLBACK
    return NextStep.WORKING


def look_up(tx: Tx, number: str, who: str, address: str | None, now: datetime) -> Lookup:
    """The case of a well-formed number if `who` is its phone or e-mail; the miss is counted
    in `tx` (commit it whatever the result). Throttled lookups are refused before any read."""
    number = number.strip()
    if not is_valid_case_number(number):
        raise ValueError("the view checks the case number first")
    since = now - THROTTLE_WINDOW
    if lookups.failures_of_case(tx, number, since) >= FAILURES_PER_CASE or (
            address and lookups.failures_of_address(tx, address, since)
            >= FAILURES_PER_ADDRESS):
        return Lookup(throttled=True)
    case = cases.by_number(tx, number)
    if case is None or not same_person(tx, case, who):
        lookups.record_failure(tx, number, (address or "")[:45] or None, now)
        return Lookup()
    lookups.forget_failures(tx, since)
    return Lookup(view=web_view(case), next_step=next_step(case, now))


def web_view(case: Rec) -> CaseView:
    """The case as the page shows it: status, the visit while it is to come, the callback's
    due time while one is pending (the same view the phone gives the company's contacts)."""
    visit = case.visit_at is not None and case.visit_status in VISIT_STATUSES_TOLD
    pending = case.callback_state == CallbackState.PENDING and case.status != CaseStatus.RESOLVED
    return CaseView(number=case.number, status=case.status,
                    visit_at=case.visit_at if visit else None,
                    visit_cost=case.visit_cost if visit else None,
                    due_at=case.due_at if pending else None, callback_pending=pending)


@dataclass(frozen=True)
class Centre:
    """How to reach the centre, and whether it is open now."""

    lines: tuple[tuple[str, str], ...]  # (as shown, E.164)
    email: str
    hours: list[tuple[str, str]]  # (days, times)
    now: OpenStatus


def centre(schedule: Schedule, lines: tuple[tuple[str, str], ...], email: str,
           now: datetime) -> Centre:
    """The centre's lines, e-mail, weekly hours and whether it is open now (the phone line's
    own schedule: holidays and closures included)."""
    return Centre(lines, email, opening_hours(schedule), schedule.status(now))


WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def opening_hours(schedule: Schedule) -> list[tuple[str, str]]:
    """The weekly windows in words, consecutive days with the same hours together:
    [('lunes a viernes', '8:30 a 12:00 y 14:00 a 17:30')]."""
    by_day: dict[int, list[str]] = {}
    for window in sorted(schedule.windows, key=lambda w: (w.weekday, w.opens)):
        by_day.setdefault(window.weekday, []).append(
            f"{_clock(window.opens)} a {_clock(window.closes)}")
    groups: list[tuple[int, int, str]] = []
    for day in sorted(by_day):
        times = " y ".join(by_day[day])
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == times:
            groups[-1] = (groups[-1][0], day, times)
        else:
            groups.append((day, day, times))
    out = []
    for first, last, times in groups:
        days = WEEKDAYS[first] if first == last else (
            f"{WEEKDAYS[first]} y {WEEKDAYS[last]}" if last == first + 1
            else f"{WEEKDAYS[first]} a {WEEKDAYS[last]}")
        out.append((days, times))
    return out


def _clock(t) -> str:
    """A window's time as the page shows it: 8:30, 14:00."""
    return f"{t.hour}:{t.minute:02d}"

