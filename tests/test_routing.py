"""Claiming free analysts: atomic under concurrency, in order, with leases that expire."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.domain.clock import utcnow
from ivr.services import routing
from ivr.services.directory import add_emergency
from ivr.store.engine import make_engine
from ivr.store.models import Analyst
from ivr.store.tx import transaction
from tests.conftest import call_params, spoken, twiml
from tests.routing_support import PIN, add_analysts, analyst_phone, analyst_rows

THREADS = 20
RING = 20  # seconds a leg rings (the Dial timeout); the lease adds LEASE_MARGIN_SECONDS


@pytest.fixture
def wide_engine(app, database_url):
    """An engine with a connection for every thread."""
    state = app.extensions["ivr"]
    engine = make_engine(state.settings.database_url, pool_size=THREADS + 2, max_overflow=0)
    yield engine
    engine.dispose()


def claim_round(engine, barrier, pool, round_no: int, threads: int, now, connect_first: bool):
    """Release `threads` claims at once, each in its own transaction; {call sid: analyst id}."""

    def claim(t: int):
        """One caller's claim, committed."""
        sid = f"CA{round_no:05d}{t:03d}"
        with transaction(engine) as tx:
            if connect_first:
                # PostgreSQL: hold a connection before the barrier, so that all the claims
                # reach the database together (SQLite would take its write lock here).
                tx.begin()
            barrier.wait()
            claimed = routing.claim_analyst(tx, sid, now, RING)
        return sid, claimed

    results = list(pool.map(claim, range(threads)))
    return {sid: claimed.analyst_id for sid, claimed in results if claimed is not None}


def live_leases(engine, now) -> dict[int, str]:
    """{analyst id: call sid} of every live lease, read in a fresh session."""
    with Session(engine) as session:
        return dict(session.execute(
            select(Analyst.id, Analyst.lease_call_sid).where(Analyst.lease_until > now)).all())


@pytest.mark.slow
@pytest.mark.parametrize(("k", "rounds"), [(5, 200), (25, 10)])
def test_concurrent_claims_each_round(wide_engine, db, k, rounds, database_url):
    """20 claims released together: exactly min(20, K) win, each on a different analyst."""
    ids = add_analysts(db, k)
    sessions = wide_engine
    connect_first = database_url.startswith("postgresql")
    barrier = threading.Barrier(THREADS, timeout=30)
    expected = min(THREADS, k)
    checked = 0
    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        for round_no in range(rounds):
            now = utcnow()
            won = claim_round(sessions, barrier, pool, round_no, THREADS, now, connect_first)
            assert len(won) == expected, (round_no, won)
            assert len(set(won.values())) == expected, (round_no, won)
            assert set(won.values()) <= set(ids)
            # The database agrees: one live lease per winner, on the analyst it won, no other.
            assert live_leases(sessions, now) == {a: sid for sid, a in won.items()}
            with transaction(sessions) as tx:
                assert all(routing.release(tx, a, sid, now) for sid, a in won.items())
            assert live_leases(sessions, now) == {}
            checked += THREADS
    backend = database_url.split(":")[0]
    print(f"\n[claims] {backend}: {rounds} rounds x {THREADS} threads, K={k}: "
          f"{checked} claims checked, {rounds * expected} won, "
          f"{time.perf_counter() - started:.2f}s")


def claim(app, sid: str, **kwargs):
    """One committed claim at the (frozen) current time."""
    with transaction(app.extensions["ivr"].engine) as s:
        claimed = routing.claim_analyst(s, sid, utcnow(), RING, **kwargs)
        s.commit()
    return claimed.analyst_id if claimed else None


def test_preferred_analyst_first_when_free(app, db, clock):
    """The analyst already on the case is rung first when free; otherwise the longest idle."""
    clock("2026-12-07 09:00")
    ids = add_analysts(db, 3)
    assert claim(app, "CA1", prefer=ids[2]) == ids[2]
    assert claim(app, "CA2", prefer=ids[2]) == ids[0]
    assert claim(app, "CA3", prefer=ids[1]) == ids[1]
    assert claim(app, "CA4", prefer=ids[1]) is None


@pytest.mark.parametrize("idle_order", [(0, 1, 2, 3), (3, 2, 1, 0), (2, 0, 3, 1)])
def test_longest_idle_claimed_first(app, db, clock, idle_order):
    """Without a preference, analysts are claimed from the longest idle to the most recent."""
    clock("2026-12-07 09:00")
    ids = add_analysts(db, 4)
    for rank, index in enumerate(idle_order):
        db.update("analysts", ids[index], idle_since=utcnow() - timedelta(hours=10 - rank))
    db.commit()
    got = [claim(app, f"CA{n}") for n in range(5)]
    assert got == [ids[i] for i in idle_order] + [None]


def test_exclude_skips_analysts_already_rung(app, db, clock):
    """Analysts tried in this call are not claimed again."""
    clock("2026-12-07 09:00")
    ids = add_analysts(db, 2)
    assert claim(app, "CA1", exclude=frozenset({ids[0]})) == ids[1]
    assert claim(app, "CA2", exclude=frozenset({ids[0], ids[1]})) is None


def test_expired_lease_counts_as_free(app, db, session, clock):
    """A lease nobody released expires: the analyst is free again (no cron needed)."""
    clock("2026-12-07 09:00:00")
    [only] = add_analysts(db, 1)
    assert claim(app, "CA1") == only
    lease = RING + routing.LEASE_MARGIN_SECONDS
    clock(f"2026-12-07 09:00:{lease - 1:02d}")
    assert claim(app, "CA2") is None
    clock(f"2026-12-07 09:00:{lease:02d}")
    assert claim(app, "CA2") == only
    assert analyst_rows(session)[only].lease_call_sid == "CA2"


@pytest.mark.parametrize("status", ["unavailable", "away"])
def test_unavailable_and_away_never_claimed(app, db, clock, status):
    """Only available analysts are rung."""
    clock("2026-12-07 09:00")
    add_analysts(db, 3, status=status)
    [free] = add_analysts(db, 1, start=10)
    assert claim(app, "CA1") == free
    assert claim(app, "CA2") is None


def test_release_frees_only_this_calls_lease(app, db, session, clock):
    """Releasing with another call's sid leaves the lease; the right sid frees and idles."""
    clock("2026-12-07 09:00")
    [only] = add_analysts(db, 1)
    assert claim(app, "CA-mine") == only
    clock("2026-12-07 09:00:10")
    with transaction(app.extensions["ivr"].engine) as s:
        assert routing.release(s, only, "CA-other", utcnow()) is False
        s.commit()
    assert analyst_rows(session)[only].lease_call_sid == "CA-mine"
    with transaction(app.extensions["ivr"].engine) as s:
        assert routing.release(s, only, "CA-mine", utcnow()) is True
        s.commit()
    row = analyst_rows(session)[only]
    assert (row.lease_call_sid, row.lease_until, row.idle_since) == (None, None, utcnow())


@pytest.mark.parametrize("limit", [1, 3, 5])
def test_auto_away_after_misses_in_a_row(app, db, session, limit):
    """After `limit` missed calls in a row the analyst is set away with a notice."""
    [only] = add_analysts(db, 1)
    with transaction(app.extensions["ivr"].engine) as s:
        went = [routing.count_miss(s, only, limit) for _ in range(limit)]
        s.commit()
    assert went == [False] * (limit - 1) + [True]
    row = analyst_rows(session)[only]
    assert (row.status, row.away_notice, row.missed_in_row) == ("away", True, limit)


def test_accepting_resets_the_miss_count(app, db, session, clock):
    """Two misses, an accepted call, two misses: still available (misses are in a row)."""
    clock("2026-12-07 09:00")
    [only] = add_analysts(db, 1)
    with transaction(app.extensions["ivr"].engine) as s:
        assert not routing.count_miss(s, only, 3)
        assert not routing.count_miss(s, only, 3)
        assert routing.claim_analyst(s, "CA1", utcnow(), RING) is not None
        routing.extend_lease(s, only, "CA1", utcnow(), 3600)
        assert not routing.count_miss(s, only, 3)
        assert not routing.count_miss(s, only, 3)
        s.commit()
    row = analyst_rows(session)[only]
    assert (row.status, row.missed_in_row) == ("available", 2)
    assert row.lease_until == utcnow() + timedelta(seconds=3600 + routing.LEASE_MARGIN_SECONDS)


def test_default_misses_to_away_is_three(app):
    """settings.missed_calls_to_away defaults to 3."""
    assert app.extensions["ivr"].settings.missed_calls_to_away == 3


def test_away_notice_told_once_at_next_analyst_menu_call(app, db, session, twilio, clock):
    """An analyst set away hears why at their next analyst-menu call, and only once."""
    clock("2026-12-07 09:00")
    [only] = add_analysts(db, 1, pin=PIN)
    with transaction(app.extensions["ivr"].engine) as s:
        for _ in range(3):
            routing.count_miss(s, only, 3)
        s.commit()
    heard = []
    for _ in range(2):
        sid = twilio.new_sid()
        root = twiml(twilio.post("/voice/incoming", call_params(sid, analyst_phone(1))))
        root = twiml(twilio.post(root.find("Gather").get("action"),
                                 call_params(sid, analyst_phone(1), Digits="9")))
        action = root.find("Gather").get("action")
        heard.append(spoken(twiml(twilio.post(action, call_params(
            sid, analyst_phone(1), Digits=PIN)))))
    assert "no atendió 3 llamadas seguidas" in heard[0] and "ausente" in heard[0]
    assert "no atendió" not in heard[1]
    row = analyst_rows(session)[only]
    assert (row.status, row.away_notice) == ("away", False)


def test_reap_clears_only_expired_leases(app, db, session, clock):
    """reap_expired_leases frees expired leases and reports them; live ones stay."""
    clock("2026-12-07 09:00:00")
    ids = add_analysts(db, 2)
    assert claim(app, "CA-old") == ids[0]
    clock("2026-12-07 09:00:30")
    assert claim(app, "CA-new") == ids[1]
    clock("2026-12-07 09:00:40")  # CA-old's lease (35 s) has expired, CA-new's has not
    with transaction(app.extensions["ivr"].engine) as s:
        assert routing.reap_expired_leases(s, utcnow()) == [(ids[0], "CA-old")]
        s.commit()
        assert routing.reap_expired_leases(s, utcnow()) == []
    rows = analyst_rows(session)
    assert rows[ids[0]].lease_call_sid is None and rows[ids[0]].idle_since == utcnow()
    assert rows[ids[1]].lease_call_sid == "CA-new"


def test_nobody_to_ring_is_logged_each_time(db, caplog):
    """Issue 14: with no emergency phone configured, each emergency call logs an error (the
    caller hears that nobody could be reached); with one, nothing is logged."""
    with caplog.at_level(logging.ERROR, logger="ivr.routing"):
        assert routing.next_emergency_contact(db, "CA-1") is None
        assert routing.next_emergency_contact(db, "CA-2") is None
    errors = [r for r in caplog.records if r.name == "ivr.routing"]
    assert [r.levelname for r in errors] == ["ERROR", "ERROR"]
    assert [r.call for r in errors] == ["CA-1", "CA-2"]
    assert "no active emergency phone" in errors[0].getMessage()
    caplog.clear()
    add_emergency(db, "Filippo Maniscalco", "04140143913", None, utcnow())
    with caplog.at_level(logging.ERROR, logger="ivr.routing"):
        assert routing.next_emergency_contact(db, "CA-3").name == "Filippo Maniscalco"
    assert not [r for r in caplog.records if r.name == "ivr.routing"]
