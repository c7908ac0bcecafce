"""A caller's company matched to the registered one (rule 8: the contract's response time)."""

from __future__ import annotations

from datetime import datetime

import pytest

from ivr.domain.clock import utcnow
from ivr.services import cases
from ivr.services.company_match import company_names, forget_company_names
from ivr.services.directory import add_company
from ivr.store.models import Case
from ivr.store.tx import Q
from tests.walk import Walk, ask

NOW = datetime(2026, 12, 7, 14, 0)
CALLER = "+584125550123"


def add_alias(db, company_id: int, alias: str) -> None:
    """An alias, stored directly."""
    db.run(Q("INSERT INTO company_aliases (company_id, alias, alias_key, created_at)"
             " VALUES (:c, :a, :k, :now)"), c=company_id, a=alias, k=alias.lower(), now=NOW)


@pytest.mark.parametrize(("spoken", "expected", "to_link"), [
    ("Farmacia El Ávila", "avila", None),
    ("farmacia el avila ce a", "avila", None),
    ("Farmacia Ábila", "avila", None),
    ("la botica del este", "avila", None),  # its alias
    ("Inversiones Los Palos Grandes", "palos", None),
    ("Inversiones Los Palos Grande S.R.L.", "palos", None),
    ("Clínica Santa Sofía", "clinica", None),
    ("Santa Sofía", None, True),  # the clinic or the pharmacy: an analyst links it
    ("Transporte Caracas", None, None),  # nobody registered: kept as said
])
def test_spoken_company_is_linked_or_marked(db, session, spoken, expected, to_link):
    """Accents, legal forms, aliases and slips forgiven; unsure means marked to link."""
    ids = {
        "avila": add_company(db, "Farmacia El Ávila, C.A.", 4, NOW).id,
        "palos": add_company(db, "Inversiones Los Palos Grandes S.R.L.", None, NOW).id,
        "clinica": add_company(db, "Clínica Santa Sofía", 2, NOW).id,
        "farmacia": add_company(db, "Farmacia Santa Sofía", None, NOW).id,
    }
    add_alias(db, ids["avila"], "La Botica del Este")
    forget_company_names(db.engine)
    case = cases.open_case(db, "CA1", 1, CALLER, None, False, NOW)
    cases.set_company(db, case.id, spoken, NOW)
    db.commit()
    session.expire_all()
    stored = session.get(Case, case.id)
    assert stored.company_name == spoken
    assert stored.company_id == (ids[expected] if expected else None)
    assert stored.company_to_link is to_link


def test_company_names_are_speech_hints(db):
    """The registered names and aliases go into the company question's hints."""
    add_company(db, "Farmacia El Ávila, C.A.", 4, NOW)
    forget_company_names(db.engine)
    assert "Farmacia El Ávila" in company_names(db).hints


def test_contract_response_time_follows_the_spoken_company(twilio, clock, db, session):
    """Said without its legal form, the company is still the contract client: its 4-hour
    response time sets the callback due time, not the 8-hour default of a question."""
    clock("2026-12-07 09:00")
    add_company(db, "Farmacia El Ávila, C.A.", 4, utcnow())
    db.commit()
    forget_company_names(db.engine)
    walk = Walk(twilio, caller=CALLER)
    walk.post("/voice/report?r=1")
    case = session.query(Case).filter_by(origin_call_sid=walk.sid).one()
    ask(walk.root, "/voice/report/field", f="company", c=case.id, t=1)
    walk.answer(SpeechResult="Farmacia El Ávila")
    walk.post(f"/voice/report/severity?t=1&c={case.id}", Digits="3")
    session.expire_all()
    case = session.get(Case, case.id)
    assert case.company_id is not None
    # Opened Monday 09:00 Caracas: 3 hours to noon, lunch, 1 more hour: 15:00 Caracas, 19:00
    # UTC (a question's own 8 hours would have made it Tuesday 10:00).
    assert case.due_at == datetime(2026, 12, 7, 19, 0)


def test_the_company_question_carries_the_names_as_hints(twilio, clock, db, session):
    """Speech recognition hears registered names better: they are the question's hints."""
    clock("2026-12-07 09:00")
    add_company(db, "Farmacia El Ávila, C.A.", 4, utcnow())
    db.commit()
    forget_company_names(db.engine)
    walk = Walk(twilio, caller=CALLER)
    walk.post("/voice/report?r=1")
    case = session.query(Case).filter_by(origin_call_sid=walk.sid).one()
    gather = ask(walk.root, "/voice/report/field", f="company", c=case.id, t=1)
    assert "Farmacia El Ávila" in gather.get("hints")
    walk.answer(SpeechResult="Ana Prueba")  # the next question, the name, has no such hints
    gather = ask(walk.root, "/voice/report/field", f="name", c=case.id, t=1)
    assert "Farmacia" not in (gather.get("hints") or "")
