"""Notices: what the coordinator wants every caller to hear before the menu, until it ends.

The command line (`flask --app wsgi notices …`) and the console call these functions; every
change leaves an audit entry (who — NULL for the command line — when, before → after).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ivr.domain.business_hours import CARACAS, to_caracas, to_naive_utc
from ivr.domain.errors import InputError
from ivr.domain.operator_input import parse_moment
from ivr.domain.text import strip_forbidden
from ivr.store import audit
from ivr.store import notices as store
from ivr.store.tx import Rec, Tx

MAX_CHARS = 300  # about 20 seconds of speech: a notice is a sentence or two, not a bulletin
MAX_DAYS = 31  # a notice left on for ever would greet callers long after the fault is fixed
LISTED = 50


class NoticeError(InputError):
    """A notice that cannot be stored or ended, with what to do."""


def utc_naive(local: datetime) -> datetime:
    """Caracas wall time (naive) as the naive UTC the database keeps."""
    return to_naive_utc(local.replace(tzinfo=CARACAS))


def add(tx: Tx, text: str, until: str, now: datetime, *, starts: str | None = None,
        user_id: int | None = None) -> Rec:
    """A notice said from `starts` (default now) until `until` ("YYYY-MM-DD HH:MM", Caracas);
    `now` naive UTC or aware."""
    words = " ".join(strip_forbidden(text or "").split())
    if not words:
        raise NoticeError("the notice has no words: give the sentence callers should hear")
    if len(words) > MAX_CHARS:
        raise NoticeError(f"the notice has {len(words)} characters: keep it under "
                          f"{MAX_CHARS} (a sentence or two)")
    now_naive = to_naive_utc(now)
    starts_at = utc_naive(parse_moment(starts, "--from")) if starts else now_naive
    ends_at = utc_naive(parse_moment(until, "--until"))
    if ends_at <= now_naive:
        raise NoticeError(f"--until {until!r} has passed already (Caracas time)")
    if ends_at <= starts_at:
        raise NoticeError(f"--until {until!r} is not after the start: a notice ends after it "
                          "begins")
    if ends_at - starts_at > timedelta(days=MAX_DAYS):
        raise NoticeError(f"a notice lasts at most {MAX_DAYS} days: add a new one after that")
    notice = store.insert_notice(tx, words, starts_at, ends_at, now_naive)
    for field, value in (("text", words), ("starts_at", local_text(starts_at)),
                         ("ends_at", local_text(ends_at))):
        audit.record(tx, user_id=user_id, table_name="notices", row_id=notice.id, field=field,
                     old=None, new=value, now=now_naive)
    return notice


def end(tx: Tx, notice_id: int, now: datetime, *, user_id: int | None = None) -> Rec:
    """End a notice now (callers stop hearing it at once)."""
    notice = store.notice_by_id(tx, notice_id)
    if notice is None:
        raise NoticeError(f"no notice {notice_id}: see `notices list`")
    now_naive = to_naive_utc(now)
    if not store.end_notice(tx, notice_id, now_naive):
        raise NoticeError(f"notice {notice_id} is over already")
    audit.record(tx, user_id=user_id, table_name="notices", row_id=notice_id,
                 field="ended_at", old=None, new=local_text(now_naive), now=now_naive)
    return store.notice_by_id(tx, notice_id)


def list_notices(tx: Tx, limit: int = LISTED) -> list[Rec]:
    """The latest notices, the latest starting first."""
    return store.recent_notices(tx, limit)


def current(tx: Tx, now: datetime) -> list[str]:
    """The words of the notices callers hear now, oldest first."""
    now_naive = to_naive_utc(now)
    return [notice.text for notice in store.current_notices(tx, now_naive)]


def state_of(notice: Rec, now: datetime) -> str:
    """'on', 'later', 'ended' or 'over', as `notices list` shows it."""
    now_naive = to_naive_utc(now)
    if notice.ended_at is not None:
        return "ended"
    if notice.ends_at <= now_naive:
        return "over"
    return "on" if notice.starts_at <= now_naive else "later"


def local_text(moment: datetime) -> str:
    """A naive UTC moment as Caracas wall time, "YYYY-MM-DD HH:MM"."""
    return to_caracas(moment).strftime("%Y-%m-%d %H:%M")
