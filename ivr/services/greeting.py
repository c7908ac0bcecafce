"""What the line says when it answers: the greeting, why it is closed and when it opens again,
and the menu. The voice webhook (ivr/voice/menu.py) and the console's preview of the opening
hours use these same functions, so the preview is what a caller hears."""

from __future__ import annotations

from datetime import datetime

from ivr.domain.business_hours import OpenStatus, Schedule
from ivr.domain.spanish_dates import describe_moment
from ivr.prompts import Catalogue


def closed_words(catalogue: Catalogue, status: OpenStatus, now: datetime) -> str:
    """Why the centre is closed and when it opens again, as one spoken sentence."""
    reason = catalogue.text(f"closed_{status.reason}", detail=status.detail or "")
    if status.reopens_at is None:
        return reason
    return f"{reason} {catalogue.text('reopens', when=describe_moment(status.reopens_at, now))}"


def before_menu(catalogue: Catalogue, status: OpenStatus, notices: list[str],
                now: datetime) -> list[str]:
    """What is said between the greeting and the menu: the notices on now, then why the
    centre is closed and when it opens (when it is)."""
    words = list(notices)
    if not status.is_open:
        words.append(closed_words(catalogue, status, now))
    return words


def opening_words(catalogue: Catalogue, schedule: Schedule, now: datetime,
                  notices: list[str] = ()) -> list[str]:
    """What an unknown caller hears at `now`, sentence by sentence, up to the menu."""
    status = schedule.status(now)
    return [catalogue.text("greeting"), *before_menu(catalogue, status, list(notices), now),
            catalogue.text("menu" if status.is_open else "menu_closed")]
