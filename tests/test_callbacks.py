"""The callback queue: due times counted in business hours, the queue's order, the promise."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from ivr.domain.business_hours import Closure, Schedule, to_caracas
from ivr.services.callbacks import callback_queue, due_time, schedule_callback
from ivr.services.cases import find_case
from ivr.store.models import Case
from tests.conftest import call_params, spoken, twiml
from tests.routing_support import caracas_utc, make_case


def due(start: str, severity: int | None = 2, contract: int | None = None,
        urgent: bool = False, schedule: Schedule | None = None) -> str:
    """due_time from a Caracas wall-clock start, shown as Caracas wall-clock text."""
    result = due_time(schedule or Schedule(), caracas_utc(start), severity, contract, urgent)
    assert result.tzinfo is None  # stored as naive UTC
    return _caracas_text(result)


def _caracas_text(naive_utc) -> str:
    """A naive-UTC moment as 'YYYY-MM-DD HH:MM' in Caracas."""
    return to_caracas(naive_utc).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(("start", "severity", "expected"), [
    # Friday 17:00 + 4 business hours: half an hour on Friday, 3.5 on Monday morning.
    ("2026-12-04 17:00", 2, "2026-12-07 12:00"),
    # A due time on a closing time stays there (Friday 17:30, not Monday 08:30).
    ("2026-12-04 15:30", 1, "2026-12-04 17:30"),
    ("2026-12-07 10:00", 1, "2026-12-07 12:00"),
    # Across lunch: 11:00 + 2 h = one hour before lunch, one after.
    ("2026-12-07 11:00", 1, "2026-12-07 15:00"),
    ("2026-12-07 12:30", 1, "2026-12-07 16:00"),
    ("2026-12-07 11:30", 3, "2026-12-08 14:30"),
    # Nights and weekends count nothing.
    ("2026-12-07 20:00", 1, "2026-12-08 10:30"),
    ("2026-12-05 10:00", 2, "2026-12-07 14:30"),
    ("2026-12-07 07:00", 2, "2026-12-07 14:30"),
    # Carnival 2027 (Monday 8 and Tuesday 9 February) is closed.
    ("2027-02-05 16:00", 2, "2027-02-10 11:00"),
    ("2027-02-08 10:00", 1, "2027-02-10 10:30"),
    ("2027-02-09 16:00", 3, "2027-02-11 09:30"),
    # Christmas Eve and Christmas Day 2026 (Thursday and Friday).
    ("2026-12-23 17:00", 2, "2026-12-28 12:00"),
])
def test_due_time_in_business_hours(start, severity, expected):
    """The severity's hours, counted only while the centre is open."""
    assert due(start, severity) == expected


@pytest.mark.parametrize(("closure", "start", "severity", "expected"), [
    # Closed Wednesday morning until 10:30: Tuesday 17:00 + 2 h = 0.5 h then 1.5 h from 10:30.
    (Closure(date(2026, 12, 9), time(8, 30), time(10, 30), "Inventario"),
     "2026-12-08 17:00", 1, "2026-12-09 12:00"),
    # Closed across lunch into the afternoon.
    (Closure(date(2026, 12, 9), time(11, 0), time(15, 0), "Mudanza"),
     "2026-12-09 10:00", 1, "2026-12-09 16:00"),
    # A part-day closure at the end of the day: the due time moves to the next morning.
    (Closure(date(2026, 12, 9), time(16, 0), time(17, 30), "Reunión"),
     "2026-12-09 15:00", 1, "2026-12-10 09:30"),
    # A whole-day closure.
    (Closure(date(2026, 12, 9), None, None, "Aniversario"),
     "2026-12-08 17:00", 1, "2026-12-10 10:00"),
])
def test_due_time_skips_closures(closure, start, severity, expected):
    """A coordinator's closure, whole day or part of one, is not counted."""
    assert due(start, severity, schedule=Schedule(closures=[closure])) == expected


@pytest.mark.parametrize(("severity", "contract", "urgent", "expected"), [
    (1, None, False, "2026-12-07 10:30"),   # 2 h
    (2, None, False, "2026-12-07 14:30"),   # 4 h
    (3, None, False, "2026-12-08 09:30"),   # 8 h
    (None, None, False, "2026-12-07 14:30"),  # unknown severity: 4 h
    (3, 2, False, "2026-12-07 10:30"),      # the contract is shorter: 2 h
    (1, 6, False, "2026-12-07 10:30"),      # the severity is shorter: 2 h
    (None, 3, False, "2026-12-07 11:30"),   # 3 h
    (3, None, True, "2026-12-07 09:30"),    # urgent: 1 h
    (2, 8, True, "2026-12-07 09:30"),
])
def test_contract_severity_and_urgency_take_the_shortest(severity, contract, urgent, expected):
    """The due time is the shortest of the contract's, the severity's and (urgent) one hour."""
    assert due("2026-12-07 08:30", severity, contract, urgent) == expected


def test_schedule_callback_counts_from_the_case_and_its_contract(app, db, session):
    """schedule_callback counts from when the case was opened, with its company's contract."""
    plain = make_case(db, "1000017", created="2026-12-04 17:00", severity=2)
    contract = make_case(db, "1000025", created="2026-12-04 17:00", severity=3,
                         company="Banco del Centro", contract_hours=1)
    later = caracas_utc("2026-12-07 16:00")
    for case in (plain, contract):
        db.update("cases", case.id, callback_state="done")
        schedule_callback(db, Schedule(), find_case(db, case.number), later)
    db.commit()
    session.expire_all()
    rows = {c.number: c for c in session.scalars(select(Case))}
    assert _caracas_text(rows["1000017"].due_at) == "2026-12-07 12:00"
    assert _caracas_text(rows["1000025"].due_at) == "2026-12-07 09:00"
    assert {c.callback_state for c in rows.values()} == {"pending"}
    assert rows["1000017"].updated_at == later


def test_callback_queue_order(app, db):
    """Urgent first, then overdue, then contract clients, then severity, then age."""
    now = "2026-12-07 10:00"
    cases = [
        # (number, created, severity, contract hours, urgent, due, state)
        ("1000009", "2026-12-07 09:50", 3, None, True, "2026-12-07 10:50", "pending"),
        ("1000001", "2026-12-03 09:00", 3, None, False, "2026-12-04 09:00", "pending"),
        ("1000002", "2026-12-04 09:00", 3, 8, False, "2026-12-07 09:00", "pending"),
        ("1000003", "2026-12-07 09:30", 3, 4, False, "2026-12-07 14:00", "pending"),
        ("1000004", "2026-12-07 08:40", 1, None, False, "2026-12-07 10:40", "pending"),
        ("1000005", "2026-12-07 09:10", 1, None, False, "2026-12-07 11:10", "pending"),
        ("1000006", "2026-12-07 08:45", None, None, False, "2026-12-07 14:45", "pending"),
        ("1000007", "2026-12-07 09:00", 2, None, False, "2026-12-07 14:00", "pending"),
        ("1000008", "2026-12-07 08:35", 3, None, False, "2026-12-08 09:35", "pending"),
        ("1000010", "2026-12-01 08:35", 1, None, True, "2026-12-01 09:35", "done"),
    ]
    for number, created, severity, contract, urgent, due_at, state in cases:
        make_case(db, number, created=created, severity=severity,
                  company=f"Empresa {number}" if contract else None, contract_hours=contract,
                  urgent=urgent, due=due_at, state=state)
    db.commit()
    queue = callback_queue(db, caracas_utc(now))
    assert [case.number for case, _contract in queue] == [
        "1000009",             # urgent
        "1000002", "1000001",  # overdue: the contract client first
        "1000003",             # a contract client
        "1000004", "1000005",  # severity 1, oldest first
        "1000006", "1000007",  # severity 2 (unknown counts as 2), oldest first
        "1000008",             # severity 3
    ]
    assert [contract for _case, contract in queue] == [
        False, True, False, True, False, False, False, False, False]


@pytest.mark.parametrize(("now", "promise"), [
    ("2026-12-04 17:00",
     "Un especialista le llamará antes del lunes 7 de diciembre a las doce del mediodía."),
    ("2026-12-07 08:30", "Un especialista le llamará hoy antes de las dos y media de la tarde."),
    ("2026-12-07 17:00", "Un especialista le llamará mañana antes de las doce del mediodía."),
])
def test_caller_hears_the_promise_in_natural_spanish(twilio, clock, db, session, now, promise):
    """Nobody free: the caller hears the case's due time, worded as a person would say it."""
    clock(now)
    case = make_case(db, "1000033", created=now, severity=2)
    db.commit()
    sid = twilio.new_sid()
    said = spoken(twiml(twilio.post(f"/voice/connect?c={case.id}", call_params(sid))))
    assert "todos nuestros especialistas están ocupados" in said
    assert promise in said and "antes de el" not in said
    session.expire_all()
    assert _caracas_text(session.get(Case, case.id).due_at) == due(now, 2)
