"""Cases as a domain (no HTTP): numbers under concurrency, replays, visits, recordings."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.domain.case_numbers import is_valid_case_number, make_case_number, random_case_number
from ivr.services import cases
from ivr.services.directory import add_company, add_contact, find_contact
from ivr.store.models import Case, Recording
from ivr.store.tx import transaction

NOW = datetime(2026, 12, 7, 13, 0)  # naive UTC: 09:00 in Caracas
CALLER = "+584125550123"
THREADS = 8


@pytest.fixture
def engine(app):
    """The application's engine, for threads that each need a transaction of their own."""
    return app.extensions["ivr"].engine


def count(engine, model) -> int:
    """Rows of a table, read in a session of its own."""
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def open_one(engine, sid, seq=1, caller=CALLER) -> str:
    """Open (or find) the case of report `seq` of call `sid` in a transaction of its own."""
    with transaction(engine) as tx:
        return cases.open_case(tx, sid, seq, caller, None, False, NOW).number


def in_threads(n, work):
    """Run work(i) for i < n in n threads released together; their results in order."""
    barrier = threading.Barrier(n)

    def run(i):
        """Wait for the others, then work."""
        barrier.wait(timeout=10)
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def known_contact(db, phone="+584145550123", email=None, company="Empresa Demo"):
    """Add a company and a contact of it; the contact as the line recognises it."""
    add_company(db, company, None, NOW)
    add_contact(db, company, "Ana Prueba", phone, "Gerente", email, NOW)
    db.commit()
    return find_contact(db, phone)


# --- opening a case ---------------------------------------------------------------------------


def test_open_case_starts_incomplete_and_pending(db):
    """A new case has a valid number, is incomplete and already waits for a callback."""
    case = cases.open_case(db, "CA1", 1, CALLER, None, True, NOW)
    db.commit()
    assert is_valid_case_number(case.number) and case.number[0] != "0"
    assert (case.status, case.callback_state, case.caller_number) == ("incomplete", "pending",
                                                                      CALLER)
    assert (case.origin_call_sid, case.origin_seq, case.out_of_hours) == ("CA1", 1, True)
    assert (case.contact_id, case.company_name, case.created_at) == (None, None, NOW)


def test_open_case_copies_a_known_contact(db):
    """A known contact's company, name, cargo and e-mail are on the case from the start."""
    contact = known_contact(db, email="ana@example.com")
    case = cases.open_case(db, "CA1", 1, "+584145550123", contact, False, NOW)
    db.commit()
    assert (case.contact_id, case.company_id) == (contact.contact_id, contact.company_id)
    assert (case.company_name, case.caller_name, case.caller_position, case.email) == (
        "Empresa Demo", "Ana Prueba", "Gerente", "ana@example.com")


def test_replayed_step_finds_the_same_case(db):
    """(CallSid, seq) is the idempotency key: a replay returns the case, a new seq opens one."""
    first = cases.open_case(db, "CA1", 1, CALLER, None, False, NOW)
    again = cases.open_case(db, "CA1", 1, CALLER, None, False, NOW + timedelta(seconds=5))
    assert cases.next_report_seq(db, "CA1") == 2
    second = cases.open_case(db, "CA1", 2, CALLER, None, False, NOW)
    other_call = cases.open_case(db, "CA2", 1, CALLER, None, False, NOW)
    db.commit()
    assert again.id == first.id
    assert len({first.number, second.number, other_call.number}) == 3
    assert cases.next_report_seq(db, "CA1") == 3
    assert cases.next_report_seq(db, "CA-unknown") == 1


def test_taken_number_is_retried(db, engine, monkeypatch):
    """A random number already in use is skipped: the case gets the next free one."""
    taken, free = make_case_number(500000), make_case_number(500001)
    monkeypatch.setattr(cases, "random_case_number", lambda: taken)
    cases.open_case(db, "CA1", 1, CALLER, None, False, NOW)
    db.commit()
    numbers = iter([taken, taken, free])
    monkeypatch.setattr(cases, "random_case_number", lambda: next(numbers))
    case = cases.open_case(db, "CA2", 1, CALLER, None, False, NOW)
    db.commit()
    assert case.number == free
    assert count(engine, Case) == 2


def test_no_free_number_fails_loudly(db, engine, monkeypatch):
    """When every attempt collides the caller is not given someone else's case."""
    taken = make_case_number(500000)
    monkeypatch.setattr(cases, "random_case_number", lambda: taken)
    cases.open_case(db, "CA1", 1, CALLER, None, False, NOW)
    db.commit()
    with pytest.raises(RuntimeError, match="case number"):
        cases.open_case(db, "CA2", 1, CALLER, None, False, NOW)
    db.rollback()
    assert count(engine, Case) == 1


@pytest.mark.parametrize("collide", [False, True], ids=["random", "colliding"])
def test_concurrent_cases_never_share_a_number(engine, monkeypatch, collide):
    """Threads opening cases at once get distinct numbers; colliding draws are retried."""
    shared = make_case_number(777777)
    local = threading.local()
    draws = []
    lock = threading.Lock()

    def draw() -> str:
        """The same number for every thread's first draw (when colliding), then random."""
        with lock:
            draws.append(1)
        if collide and not getattr(local, "drawn", False):
            local.drawn = True
            return shared
        return random_case_number()

    monkeypatch.setattr(cases, "random_case_number", draw)
    numbers = in_threads(THREADS, lambda i: open_one(engine, f"CA-thread-{i}"))
    assert len(set(numbers)) == THREADS
    assert count(engine, Case) == THREADS
    if collide:
        assert numbers.count(shared) == 1
        assert len(draws) == 2 * THREADS - 1  # every loser drew again, exactly once
    else:
        assert len(draws) == THREADS


def test_concurrent_replays_give_one_case(engine):
    """The same (CallSid, seq) posted by many threads at once is one case."""
    numbers = in_threads(THREADS, lambda _i: open_one(engine, "CA-replayed"))
    assert len(set(numbers)) == 1
    assert count(engine, Case) == 1


# --- finding and showing a case ----------------------------------------------------------------


def test_find_case_and_open_cases_of_caller(db):
    """A case by number; the caller's open cases newest first, resolved ones left out."""
    old = cases.open_case(db, "CA1", 1, CALLER, None, False, NOW)
    new = cases.open_case(db, "CA2", 1, CALLER, None, False, NOW + timedelta(hours=1))
    done = cases.open_case(db, "CA3", 1, CALLER, None, False, NOW + timedelta(hours=2))
    db.update("cases", done.id, status="resolved")
    cases.open_case(db, "CA4", 1, "+584145550199", None, False, NOW)
    db.commit()
    assert cases.find_case(db, old.number).id == old.id
    assert cases.find_case(db, make_case_number(123456)) is None
    assert [c.id for c in cases.open_cases_of_caller(db, CALLER)] == [new.id, old.id]
    assert [c.id for c in cases.open_cases_of_caller(db, CALLER, limit=1)] == [new.id]
    assert cases.open_cases_of_caller(db, None) == []


VISIT_TOLD = [
    # (who calls, the visit's status, whether they hear date and cost)
    ("contact", "proposed", True), ("contact", "confirmed", True), ("contact", None, True),
    ("contact", "cancelled", False), ("contact", "done", False),
    ("other_company", "confirmed", False), ("stranger", "confirmed", False),
    (None, "confirmed", False),
]


def test_visit_only_for_the_company_contacts(db):
    """Rule 7: a coming visit's date and cost, told only to the company's own contacts."""
    contact = known_contact(db)
    add_company(db, "Otra Empresa", None, NOW)
    add_contact(db, "Otra Empresa", "Luis Otro", "+584145550777", None, None, NOW)
    case = cases.open_case(db, "CA1", 1, "+584145550123", contact, False, NOW)
    db.update("cases", case.id, status="visit_scheduled", visit_at=NOW + timedelta(days=1),
              visit_cost=Decimal("45.00"))
    phones = {"contact": "+584145550123", "other_company": "+584145550777",
              "stranger": "+584125559999", None: None}
    for caller, visit_status, hears in VISIT_TOLD:
        db.update("cases", case.id, visit_status=visit_status)
        db.commit()
        case = cases.find_case(db, case.number)
        view = cases.view_for_caller(db, case, phones[caller])
        assert (view.status, view.number) == ("visit_scheduled", case.number)
        expected = (NOW + timedelta(days=1), Decimal("45.00")) if hears else (None, None)
        assert (view.visit_at, view.visit_cost) == expected, (caller, visit_status)


def test_callback_promised_only_while_pending_and_open(db):
    """The due time is told only while a callback is pending on an open case."""
    case = cases.open_case(db, "CA1", 1, CALLER, None, False, NOW)
    for status, callback_state, promised in [
            ("received", "pending", True), ("in_progress", "pending", True),
            ("received", "done", False), ("resolved", "pending", False)]:
        db.update("cases", case.id, status=status, callback_state=callback_state, due_at=NOW)
        db.commit()
        case = cases.find_case(db, case.number)
        view = cases.view_for_caller(db, case, CALLER)
        assert (view.callback_pending, view.due_at) == (promised, NOW if promised else None), (
            status, callback_state)


# --- updating a case ---------------------------------------------------------------------------


def test_set_company_links_a_known_company(db, session):
    """The company is kept as said and linked to the directory when the name matches."""
    company = add_company(db, "Empresa Demo", 4, NOW)
    case = cases.open_case(db, "CA1", 1, CALLER, None, False, NOW)
    for minute, (spoken, linked) in enumerate(
            [("Empresa Demo", True), ("EMPRESA   démo", True), ("Otra Cosa C.A.", False)]):
        cases.set_company(db, case.id, spoken, NOW + timedelta(minutes=minute))
        db.commit()
        session.expire_all()
        stored = session.get(Case, case.id)
        assert (stored.company_name, stored.company_id, stored.updated_at) == (
            spoken, company.id if linked else None, NOW + timedelta(minutes=minute))


def test_complete_report_never_moves_backwards(db):
    """Completing a report receives an incomplete case and leaves any later status alone."""
    case = cases.open_case(db, "CA1", 1, CALLER, None, False, NOW)
    for before, after in [("incomplete", "received"), ("received", "received"),
                          ("in_progress", "in_progress"), ("resolved", "resolved")]:
        db.update("cases", case.id, status=before)
        case = cases.find_case(db, case.number)
        cases.change_case(db, case, NOW, **cases.completed_status(case))
        assert cases.find_case(db, case.number).status == after


RECORDING_ORDERS = {
    # Requests in arrival order -> (linked to the case?, kind, url, duration, status).
    "action-only": ([("action", None)], (True, "description", "https://x", 31, "in-progress")),
    "callback-first": ([("callback", "completed"), ("action", None)],
                       (True, "description", "https://x", 31, "completed")),
    "callback-after": ([("action", None), ("callback", "completed")],
                       (True, "description", "https://x", 31, "completed")),
    "orphan-first": ([("orphan", "completed"), ("action", None)],
                     (True, "description", "https://x", 31, "completed")),
    "final-kept": ([("callback", "failed"), ("action", None), ("orphan", "in-progress")],
                   (True, "description", "https://x", 31, "failed")),
    "orphan-only": ([("orphan", "absent")], (False, "unknown", None, None, "absent")),
    "replays": ([("action", None)] * 3, (True, "description", "https://x", 31, "in-progress")),
}


def test_recording_requests_merge_in_any_order(db, session):
    """Action, status callbacks and orphans merge into one row per sid; a final status stays."""
    case = cases.open_case(db, "CA1", 1, CALLER, None, False, NOW)
    for sid, (updates, _expected) in RECORDING_ORDERS.items():
        for source, status in updates:
            if source == "action":
                cases.save_recording(db, sid, "CA1", NOW, case_id=case.id, kind="description",
                                     url="https://x", duration=31)
            elif source == "callback":
                cases.save_recording(db, sid, "CA1", NOW, case_id=case.id, kind="description",
                                     status=status)
            else:
                cases.save_recording(db, sid, "CA1", NOW, status=status)
            db.commit()
    session.expire_all()
    found = {r.recording_sid: (r.case_id == case.id, r.kind, r.url, r.duration, r.status)
             for r in session.scalars(select(Recording))}
    assert found == {sid: expected for sid, (_updates, expected) in RECORDING_ORDERS.items()}


@pytest.mark.parametrize(("raw", "seconds"), [
    ("31", 31), (" 7 ", 7), ("0", 0), ("", None), (None, None), ("-3", None), ("1e3", None),
    ("12345678", None)])
def test_parse_duration(raw, seconds):
    """Durations are small non-negative integers or nothing."""
    assert cases.parse_duration(raw) == seconds


# --- operators: visits and status -----------------------------------------------------------------


def test_schedule_visit_sets_visit_and_status(db):
    """A visit is stored with its cost and status, and the case becomes visit_scheduled."""
    case = cases.open_case(db, "CA1", 1, CALLER, None, False, NOW)
    at = NOW + timedelta(days=2)
    case = cases.schedule_visit(db, case, at, Decimal("45.00"), None, NOW)
    assert (case.visit_at, case.visit_cost, case.visit_status) == (at, Decimal("45.00"),
                                                                    "proposed")
    assert case.status == "visit_scheduled"
    case = cases.schedule_visit(db, case, at, Decimal("50"), "confirmed", NOW)
    assert (case.visit_cost, case.visit_status) == (Decimal("50"), "confirmed")


def test_schedule_visit_respects_resolved_and_ended_visits(db):
    """A resolved case stays resolved; a cancelled or done visit schedules nothing."""
    for i, (status, visit_status, after) in enumerate([
            ("resolved", "confirmed", "resolved"), ("received", "cancelled", "received"),
            ("in_progress", "done", "in_progress"),
            ("waiting_client", "confirmed", "visit_scheduled")]):
        case = cases.open_case(db, f"CA{i}", 1, CALLER, None, False, NOW)
        db.update("cases", case.id, status=status)
        case = cases.find_case(db, case.number)
        case = cases.schedule_visit(db, case, NOW, Decimal("1"), visit_status, NOW)
        assert (case.status, case.visit_status) == (after, visit_status)


def test_schedule_visit_refuses_bad_input(db):
    """Bad costs and visit statuses are refused with a message; nothing changes."""
    case = cases.open_case(db, "CA1", 1, CALLER, None, False, NOW)
    for cost, visit_status, message in [
            (Decimal("-1"), None, "cost"), (Decimal("NaN"), None, "cost"),
            (Decimal("1e12"), None, "cost"), (Decimal("45"), "maybe", "visit status")]:
        with pytest.raises(cases.CaseError, match=message):
            cases.schedule_visit(db, case, NOW, cost, visit_status, NOW)
        assert (case.visit_at, case.visit_cost, case.status) == (None, None, "incomplete")


def test_set_status(db):
    """Any known status can be set; resolving a case ends its pending callback."""
    case = cases.open_case(db, "CA1", 1, CALLER, None, False, NOW)
    for minutes, status in enumerate(cases.STATUSES):
        case = cases.set_status(db, case, status, NOW + timedelta(minutes=minutes))
        assert (case.status, case.updated_at) == (status, NOW + timedelta(minutes=minutes))
        assert case.callback_state == ("done" if status == "resolved" else "pending")
    with pytest.raises(cases.CaseError, match="status"):
        cases.set_status(db, case, "closed", NOW)
    assert case.status == "resolved"
