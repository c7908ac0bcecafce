"""Caller ID is a hint and guessing is bounded (issue: the line tells nobody what isn't theirs).

Signed webhooks as an attacker would send them: a faked caller ID of a known contact, the
line's own number as caller ID, many case numbers in one call and over a day, PINs tried
across calls under a moved clock.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from ivr.domain.case_numbers import make_case_number
from ivr.domain.statuses import GuessKind
from ivr.store.models import Call, Case, Guess
from tests.conftest import call_params, spoken, twiml
from tests.routing_support import PIN, add_analysts, analyst_phone
from tests.test_voice_lookup import (
    CALLBACK,
    CONTACT,
    NUMBER,
    OPEN,
    SAID,
    STATUS_WORDS,
    add_case,
    add_companies,
)
from tests.walk import Walk, ask, assert_no_phone, redirect_to

STRANGER = "+584125550321"
# Well-formed numbers (right check digit) that are no case.
MISSES = [make_case_number(200000 + n) for n in range(40)]

# Put through to a person at once; no analyst is free in these tests, so the case the call
# opened joins the callback queue and the report picks up there.
PERSON_NOBODY_FREE = "/voice/report/resume"


def guesses(session, **where) -> int:
    """Failed guesses stored, filtered by column."""
    session.expire_all()
    query = select(func.count()).select_from(Guess)
    for name, value in where.items():
        query = query.where(getattr(Guess, name) == value)
    return session.scalar(query)


def test_faked_caller_id_hears_no_number_visit_or_cost(twilio, clock, db, session):
    """A caller with a contact's caller ID is offered "su caso abierto" by its day only; saying
    yes gives its status, never its number, visit date or cost, and no way to add to it."""
    clock(OPEN)
    company_id = add_companies(db)
    add_case(session, status="visit_scheduled", caller=CONTACT, company_id=company_id,
             callback_number=CALLBACK, visit_at=datetime(2026, 12, 9, 14, 0),
             visit_cost=Decimal("45.00"), visit_status="confirmed")
    walk = Walk(twilio, caller=CONTACT)
    walk.post("/voice/case")
    words = [spoken(walk.root)]
    walk.answer(Digits="1")
    words.append(spoken(walk.root))
    heard = " ".join(words)
    assert STATUS_WORDS["visit_scheduled"] in heard
    assert SAID not in heard and "45.00" not in heard and "visita está prevista" not in heard
    assert_no_phone(heard, CONTACT, CALLBACK)
    # Next the caller must say the number; no option to record onto the case is offered.
    ask(walk.root, "/voice/case/number", t=1)
    assert walk.root.find(".//Record") is None


def test_a_report_by_a_known_caller_id_is_marked_as_such(twilio, clock, db, session):
    """A report pre-filled from the caller ID is marked, so analysts know who it may not be."""
    clock(OPEN)
    add_companies(db)
    for caller, marked in ((CONTACT, True), (STRANGER, False)):
        walk = Walk(twilio, caller=caller)
        walk.post("/voice/report?r=1")
        session.expire_all()
        case = session.scalars(select(Case).where(Case.origin_call_sid == walk.sid)).one()
        assert bool(case.prefilled_by_caller_id) is marked, caller


def test_the_lines_own_number_as_caller_id_is_no_caller_id(twilio, clock, session):
    """When the carrier passes a published line, the dialled number or the forwarding number
    as From, every caller would share it: it is treated as withheld."""
    clock(OPEN)
    add_case(session, caller="+582124713239")
    for extra in ({"From": "+582124713239"}, {"From": "+15005550006", "To": "+15005550006"},
                  {"From": "+582127143934", "ForwardedFrom": "+582127143934"}):
        walk = Walk(twilio, caller=extra["From"])
        root = twiml(twilio.post("/voice/case", call_params(walk.sid, extra["From"], **{
            k: v for k, v in extra.items() if k != "From"})))
        ask(root, "/voice/case/number", t=1)  # nothing offered by caller ID
        assert "¿Llama por su caso" not in spoken(root)
        session.expire_all()
        assert session.get(Call, walk.sid).from_number is None, extra


def test_forty_guesses_in_one_call_stop_after_three(twilio, clock, session):
    """Three case numbers that are no case, then no more lookups in that call: a person or a
    new report is offered, and even a real number is not looked up."""
    clock(OPEN)
    add_case(session)
    walk = Walk(twilio, caller=STRANGER)
    for n, number in enumerate(MISSES, start=1):
        root = walk.post(f"/voice/case/number?t={min(n, 2)}", Digits=number)
        if n < 3:
            ask(root, "/voice/case/number", t=min(n, 2) + 1)
        else:
            gather = ask(root, "/voice/menu", t=1)
            assert "marque 0" in spoken(gather) and "marque 2" in spoken(gather)
            assert "No podemos buscar más números de caso" in spoken(gather)
    assert guesses(session, call_sid=walk.sid) == 3
    words = spoken(walk.post("/voice/case/number?t=1", Digits=NUMBER))
    assert STATUS_WORDS["received"] not in words and SAID not in words
    assert guesses(session, call_sid=walk.sid) == 3


def test_one_caller_id_over_a_day_goes_to_a_person(twilio, clock, session, caplog):
    """Eight calls from one caller ID: past the day's misses its lookups go to a person (logged
    once for the coordinator); the next day it may look up again."""
    clock(OPEN)
    add_case(session)
    caplog.set_level(logging.WARNING, logger="ivr.guesses")
    misses = iter(MISSES)
    outcomes = []
    for _call in range(8):
        walk = Walk(twilio, caller=STRANGER)
        for attempt in (1, 2, 3):
            root = walk.post(f"/voice/case/number?t={attempt}", Digits=next(misses))
            if root.find("Gather") is None and redirect_to(root)[0] == PERSON_NOBODY_FREE:
                outcomes.append("person")
                break
        else:
            outcomes.append("limited")
    assert guesses(session, caller=STRANGER, kind=GuessKind.CASE_NUMBER) == 10
    assert outcomes[:3] == ["limited"] * 3 and outcomes[3:] == ["person"] * 5
    warnings = [r for r in caplog.records if "reached 10 misses today" in r.getMessage()]
    assert len(warnings) == 1 and STRANGER not in warnings[0].getMessage()
    # Even the right number goes to a person today, the status untold…
    walk = Walk(twilio, caller=STRANGER)
    root = walk.post("/voice/case/number?t=1", Digits=NUMBER)
    assert "Le comunicamos con una persona" in spoken(root)
    assert STATUS_WORDS["received"] not in spoken(root)
    # …and is looked up again tomorrow.
    clock("2026-12-08 09:00")
    root = Walk(twilio, caller=STRANGER).post("/voice/case/number?t=1", Digits=NUMBER)
    assert STATUS_WORDS["received"] in spoken(root)


def test_withheld_callers_share_a_count_and_still_reach_a_person(twilio, clock, session):
    """Withheld caller IDs are counted together; past the limit they are put through to a
    person, never turned away."""
    clock(OPEN)
    for n in range(10):
        walk = Walk(twilio, caller="anonymous")
        walk.post("/voice/case/number?t=1", Digits=MISSES[n])
    assert guesses(session, kind=GuessKind.CASE_NUMBER) == 10
    root = Walk(twilio, caller="anonymous").post("/voice/case/number?t=1", Digits=MISSES[11])
    assert redirect_to(root)[0] == PERSON_NOBODY_FREE


def pin_try(twilio, pin: str) -> str:
    """One call from the analyst's phone: the hidden key, then a PIN; what was heard."""
    walk = Walk(twilio, caller=analyst_phone(1))
    walk.post("/voice/menu?t=1", Digits="9")
    return spoken(twiml(twilio.post("/voice/analyst/pin?t=1", call_params(
        walk.sid, analyst_phone(1), Digits=pin))))


def test_pin_brute_force_across_calls_locks_the_menu(twilio, clock, db, session, caplog):
    """Five wrong PINs (in five calls) lock that analyst's menu for 15 minutes: even the right
    PIN is refused in the same words; afterwards it opens again."""
    clock("2026-12-07 09:00")
    add_analysts(db, 1, pin=PIN)
    caplog.set_level(logging.WARNING, logger="ivr.guesses")
    for n in range(5):
        assert pin_try(twilio, f"99999{n}").startswith("Clave incorrecta."), n
    assert any("phone menu locked" in r.getMessage() for r in caplog.records)
    clock("2026-12-07 09:10")
    assert pin_try(twilio, PIN).startswith("Clave incorrecta.")
    clock("2026-12-07 09:26")
    assert pin_try(twilio, PIN).startswith("Hola, Analista 1.")
