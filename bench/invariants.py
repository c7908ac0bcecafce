"""The routing invariants, watched while the load runs and checked after it.

A sampler process reads the database every 50 ms in one snapshot and records any analyst with
two open legs (two calls ringing or bridged to one person), and any open leg whose analyst's
lease belongs to another call or to none. Afterwards, every leg the run made is checked for
overlaps in time on the same analyst, and nothing may be left open or leased.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sqlite3
import time
from datetime import datetime, timedelta

DOUBLE_LEGS = (
    "SELECT analyst_id, COUNT(*) FROM dial_attempts WHERE id > {m} AND ended_at IS NULL "
    "AND analyst_id IS NOT NULL GROUP BY analyst_id HAVING COUNT(*) > 1")
LEASE_MISMATCH = (
    "SELECT d.id, d.analyst_id, d.call_sid, a.lease_call_sid FROM dial_attempts d "
    "JOIN analysts a ON a.id = d.analyst_id WHERE d.id > {m} AND d.ended_at IS NULL "
    "AND (a.lease_call_sid IS NULL OR a.lease_call_sid <> d.call_sid)")
LIVE_LEASES = "SELECT COUNT(*) FROM analysts WHERE lease_call_sid IS NOT NULL"
OVERLAP_TOLERANCE = timedelta(milliseconds=50)


def _connect(kind: str, target: str):
    """A plain DB-API connection: psycopg for PostgreSQL, read-only sqlite3 for SQLite."""
    if kind != "sqlite":
        import psycopg

        conn = psycopg.connect(target, autocommit=False)
        conn.execute("SET default_transaction_isolation = 'repeatable read'")
        conn.commit()
        return conn
    return sqlite3.connect(f"file:{target}?mode=ro", uri=True, isolation_level=None,
                           timeout=5)


def _snapshot(conn, kind: str, seeded_max: int) -> tuple[list, list, int]:
    """Both checks and the live-lease count, in one read transaction."""
    cursor = conn.cursor()
    if kind == "sqlite":
        cursor.execute("BEGIN")
    cursor.execute(DOUBLE_LEGS.format(m=int(seeded_max)))
    doubles = cursor.fetchall()
    cursor.execute(LEASE_MISMATCH.format(m=int(seeded_max)))
    mismatches = cursor.fetchall()
    cursor.execute(LIVE_LEASES)
    leases = cursor.fetchone()[0]
    if kind == "sqlite":
        cursor.execute("COMMIT")
    else:
        conn.commit()
    return doubles, mismatches, leases


def _sample(kind: str, target: str, seeded_max: int, stop, results) -> None:
    """The sampler process's loop."""
    conn = _connect(kind, target)
    samples = failures = max_leases = 0
    violations: list[str] = []
    while not stop.is_set():
        try:
            doubles, mismatches, leases = _snapshot(conn, kind, seeded_max)
        except Exception as error:  # noqa: BLE001 - a busy database skips one sample
            failures += 1
            if failures <= 3:
                violations.append(f"(sample failed: {type(error).__name__})")
            with contextlib.suppress(Exception):  # nothing more to do for one sample
                conn.rollback()
            time.sleep(0.05)
            continue
        samples += 1
        max_leases = max(max_leases, leases)
        for analyst, count in doubles:
            violations.append(f"analyst {analyst} had {count} open legs at once")
        for leg, analyst, call, lease in mismatches:
            violations.append(f"leg {leg} of {call} open on analyst {analyst} leased to {lease}")
        del violations[50:]
        time.sleep(0.05)
    conn.close()
    results.put({"samples": samples, "failed_samples": failures, "max_live_leases": max_leases,
                 "violations": [v for v in violations if not v.startswith("(")],
                 "notes": [v for v in violations if v.startswith("(")]})


class Sampler:
    """Start and stop the sampler process."""

    def __init__(self, kind: str, target: str, seeded_max: int):
        """kind is sqlite (target: the file) or postgresql (target: a libpq URL)."""
        context = multiprocessing.get_context("spawn")
        self.stop = context.Event()
        self.results = context.Queue()
        self.process = context.Process(target=_sample, daemon=True,
                                       args=(kind, target, seeded_max, self.stop, self.results))
        self.process.start()

    def finish(self) -> dict:
        """Stop sampling; what was seen."""
        self.stop.set()
        try:
            outcome = self.results.get(timeout=15)
        except Exception:  # noqa: BLE001 - report a dead sampler rather than hang
            outcome = {"samples": 0, "violations": [], "notes": ["sampler gave no result"]}
        self.process.join(timeout=5)
        return outcome


def _as_datetime(value) -> datetime | None:
    """A timestamp from either database."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def after_run(kind: str, target: str, seeded_max: int, seeded_cases: int) -> dict:
    """Overlapping legs per analyst, legs and leases left open, the new cases' states."""
    conn = _connect(kind, target)
    cursor = conn.cursor()
    m = int(seeded_max)
    cursor.execute(f"SELECT analyst_id, started_at, ended_at FROM dial_attempts "  # noqa: S608
                   f"WHERE id > {m} AND analyst_id IS NOT NULL ORDER BY analyst_id, started_at")
    legs = cursor.fetchall()
    overlaps = strict = 0
    worst = timedelta(0)
    last: dict[int, datetime] = {}
    for analyst, started, ended in legs:
        started, ended = _as_datetime(started), _as_datetime(ended)
        previous_end = last.get(analyst)
        if previous_end is not None and started < previous_end:
            strict += 1
            worst = max(worst, previous_end - started)
            if previous_end - started > OVERLAP_TOLERANCE:
                overlaps += 1
        if ended is not None:
            last[analyst] = max(ended, previous_end or ended)
        else:
            last[analyst] = datetime.max
    cursor.execute(f"SELECT COUNT(*) FROM dial_attempts WHERE id > {m} "  # noqa: S608
                   f"AND ended_at IS NULL")
    open_legs = cursor.fetchone()[0]
    cursor.execute(LIVE_LEASES)
    leases = cursor.fetchone()[0]
    cursor.execute(f"SELECT status, COUNT(*) FROM cases WHERE id > {int(seeded_cases)} "  # noqa: S608
                   f"GROUP BY status ORDER BY status")
    new_cases = dict(cursor.fetchall())
    conn.close()
    return {"legs": len(legs), "overlapping_legs": overlaps, "overlaps_within_clock_skew": strict
            - overlaps, "worst_overlap_ms": round(worst.total_seconds() * 1000, 1),
            "open_legs_left": open_legs, "live_leases_left": leases, "new_cases": new_cases}
