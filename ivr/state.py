"""What the application holds between requests: settings, engine, prompts, the schedule."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import date
from datetime import time as dtime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ivr.config import Settings
from ivr.domain.business_hours import DEFAULT_WINDOWS, Closure, Schedule, Window
from ivr.prompts import Catalogue
from ivr.store.directory import business_hours, closures
from ivr.store.tx import Tx

log = logging.getLogger("ivr.schedule")
SCHEDULE_TTL_SECONDS = 30.0


def _hhmm(text: str) -> dtime:
    """Parse 'HH:MM'."""
    hours, minutes = text.split(":")
    return dtime(int(hours), int(minutes))


def load_schedule(tx: Tx) -> tuple[Schedule, dict]:
    """Read hours and closures from the database; also return them as plain data."""
    data = {
        "windows": [[r.weekday, r.opens, r.closes] for r in business_hours(tx)],
        # SQLite keeps dates as ISO text, PostgreSQL as dates.
        "closures": [[r.day if isinstance(r.day, str) else r.day.isoformat(), r.starts, r.ends,
                      r.reason] for r in closures(tx)],
    }
    return schedule_from_data(data), data


def schedule_from_data(data: dict) -> Schedule:
    """Build a Schedule from its plain-data form (no rows: the default hours)."""
    windows = [Window(w, _hhmm(o), _hhmm(c)) for w, o, c in data.get("windows", [])]
    closures = [
        Closure(date.fromisoformat(d), _hhmm(s) if s else None, _hhmm(e) if e else None, r)
        for d, s, e, r in data.get("closures", [])
    ]
    return Schedule(windows or DEFAULT_WINDOWS, closures)


class ScheduleCache:
    """The opening schedule, reloaded every 30 s and kept on disk for when the DB is down."""

    def __init__(self, path: str):
        """Remember where the on-disk copy lives."""
        self.path = path
        self._lock = threading.Lock()
        self._schedule: Schedule | None = None
        self._loaded_at = 0.0

    def get(self, tx: Tx) -> Schedule:
        """The current schedule, from memory, the database (in the caller's transaction) or
        disk."""
        schedule = self._schedule
        if schedule is not None and time.monotonic() - self._loaded_at < SCHEDULE_TTL_SECONDS:
            return schedule
        with self._lock:
            try:
                schedule, data = load_schedule(tx)
                self._save(data)
            except SQLAlchemyError:
                tx.rollback()
                log.warning("schedule: database unavailable, using the saved copy")
                schedule = self._schedule or self.saved()
            self._schedule, self._loaded_at = schedule, time.monotonic()
            return schedule

    def saved(self) -> Schedule:
        """The copy saved on disk, or the default hours when there is none."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                return schedule_from_data(json.load(handle))
        except (OSError, ValueError):
            return schedule_from_data({})

    def offline(self) -> Schedule:
        """A schedule without touching the database (for the fallback URL)."""
        return self._schedule or self.saved()

    def invalidate(self) -> None:
        """Forget the cached schedule (after hours or closures change)."""
        self._schedule = None

    def _save(self, data: dict) -> None:
        """Write the copy atomically so a reader never sees half a file."""
        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(temporary, self.path)
        except OSError:
            log.warning("schedule: could not save the offline copy")


@dataclass
class AppState:
    """Everything built once at start-up and shared by requests."""

    settings: Settings
    engine: Engine
    catalogue: Catalogue
    signatures: object  # ivr.voice.signature.SignatureCheck
    schedules: ScheduleCache
    speaker: object | None = None
    replayer: object | None = None
    apologies: int = 0  # handlers that failed with a bug
    degraded: int = 0  # answers given without the database
