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


def opening_words(catalogue: Catalogue, schedule: Schedule, now: datetime) -> list[str]:
    """What an unknown caller hears at `now`, sentence by sentence, up to the menu."""
    status = schedule.status(now)
    words = [catalogue.text("greeting"), catalogue.text("recording_notice")]
    if not status.is_open:
        words.append(closed_words(catalogue, status, now))
    words.append(catalogue.text("menu" if status.is_open else "menu_closed"))
    return words
