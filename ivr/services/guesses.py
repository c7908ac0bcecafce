"""Guessing bounded (rule: a case's details only to whoever gives its number): case numbers per
call and per caller ID a day, analysts' PINs per analyst across calls. Counted in the database,
so every server and every call sees the same counts; each limit reached is logged once for the
coordinator."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ivr.domain.business_hours import to_caracas, to_naive_utc
from ivr.domain.phones import mask_phone
from ivr.domain.statuses import GuessKind
from ivr.store import guesses
from ivr.store.tx import Tx

log = logging.getLogger("ivr.guesses")


def start_of_day(now: datetime) -> datetime:
    """The start of today in Caracas, as naive UTC (the day the per-caller count covers)."""
    local = to_caracas(now)
    return to_naive_utc(local.replace(hour=0, minute=0, second=0, microsecond=0))


def case_misses(tx: Tx, call_sid: str, caller: str | None, now: datetime) -> tuple[int, int]:
    """Case numbers that were no case: in this call, and from this caller ID today (Caracas;
    withheld caller IDs share one count)."""
    return guesses.in_call_and_by_caller(tx, GuessKind.CASE_NUMBER, call_sid, caller,
                                         start_of_day(now))


def case_number_missed(tx: Tx, call_sid: str, caller: str | None, now: datetime,
                       today_before: int, per_day: int) -> None:
    """A well-formed case number that is no case: counted, and logged for the coordinator
    when it takes the caller ID to its daily limit (`today_before`: the count before it)."""
    guesses.record(tx, GuessKind.CASE_NUMBER, call_sid, caller, None, now)
    if today_before + 1 == per_day:
        log.warning("case lookups: caller %s reached %d misses today; their lookups go to a "
                    "person", mask_phone(caller) if caller else "withheld", per_day)



def pin_locked(tx: Tx, analyst_id: int, now: datetime, failures: int, minutes: int) -> bool:
    """Whether an analyst's phone menu is locked: `failures` wrong PINs within `minutes`."""
    since = now - timedelta(minutes=minutes)
    return guesses.for_analyst_since(tx, GuessKind.PIN, analyst_id, since) >= failures


def pin_failed(tx: Tx, call_sid: str, caller: str | None, analyst_id: int | None,
               now: datetime, failures: int, minutes: int) -> None:
    """A wrong PIN: counted against the analyst whose phone it came from (logged when that
    locks their menu)."""
    guesses.record(tx, GuessKind.PIN, call_sid, caller, analyst_id, now)
    if analyst_id is not None and guesses.for_analyst_since(
            tx, GuessKind.PIN, analyst_id, now - timedelta(minutes=minutes)) == failures:
        log.warning("analyst %s: %d wrong PINs in %d minutes; phone menu locked for %d minutes",
                    analyst_id, failures, minutes, minutes)
