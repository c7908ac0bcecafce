"""Menu 1: a returning caller finds a case by keyed or spoken number and hears its status."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from ivr.domain.clock import utcnow
from ivr.services.directory import add_company, add_contact
from ivr.store.models import Call, Case, Recording
from ivr.voice import lookup
from tests.conftest import call_params, spoken
from tests.walk import CALLER, Walk, ask, assert_no_phone, redirect_to, split

OPEN, CLOSED = "2026-12-07 09:00", "2026-12-07 20:00"  # a Monday in Caracas
NUMBER = "1042937"  # 104293 and its Damm check digit
SAID = "1, 0, 4, 2, 9, 3, 7"
CONTACT, OTHER_CONTACT = "+584145550123", "+584145550777"
CALLBACK = "+584241112233"

STATUS_WORDS = {
    "incomplete": "Este reporte quedó incompleto",
    "received": "Su caso fue recibido y está en espera de ser atendido.",
    "in_progress": "Su caso está siendo atendido por un especialista.",
    "visit_scheduled": "Su caso tiene una visita programada.",
    "waiting_client": "Su caso está en espera de información de su parte.",
    "resolved": "Su caso fue resuelto.",
}

DIGIT_WORDS = ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve")
SPOKEN_NUMBERS = [
    {"Digits": NUMBER},
    {"SpeechResult": "uno cero cuatro dos nueve tres siete"},
    {"SpeechResult": "Caso número 1 0 4 2 9 3 7.", "Confidence": "0.87"},
    {"SpeechResult": "ciento cuatro, doscientos noventa y tres, siete"},
    {"SpeechResult": "1.042.937"},
    {"SpeechResult": "un millón cuarenta y dos mil novecientos treinta y siete"},
    {"SpeechResult": "el número es 10 42 937"},
]


def add_case(session, number=NUMBER, status="received", caller=CALLER, company_id=None,
             sid="CA-earlier", **values) -> Case:
    """A case opened earlier (by another call), stored directly."""
    now = utcnow()
    case = Case(number=number, status=status, caller_number=caller, company_id=company_id,
                origin_call_sid=sid, origin_seq=1, out_of_hours=False, urgent=False,
                callback_state="pending", due_at=datetime(2026, 12, 7, 19, 0),
                created_at=now, updated_at=now, **values)
    session.add(case)
    session.commit()
    return case


def add_companies(db):
    """Two companies with one contact each; the first company's id."""
    first = add_company(db, "Empresa Demo", None, utcnow())
    add_contact(db, "Empresa Demo", "Ana Prueba", CONTACT, None, None, utcnow())
    add_company(db, "Otra Empresa", None, utcnow())
    add_contact(db, "Otra Empresa", "Luis Otro", OTHER_CONTACT, None, None, utcnow())
    db.commit()
    return first.id


def ask_number(root, attempt=1):
    """The case number question, checked."""
    gather = ask(root, "/voice/case/number", t=attempt)
    assert (gather.get("input"), gather.get("finishOnKey")) == ("dtmf speech", "#")
    assert gather.get("hints") and int(gather.get("timeout")) > 0
    return gather


def test_menu_one_asks_for_the_number(twilio, clock):
    """Option 1 from the menu asks for the number, keyed with # or said aloud."""
    clock(OPEN)
    walk = Walk(twilio)
    walk.post("/voice/incoming")
    walk.answer(Digits="1")
    assert redirect_to(walk.root) == ("/voice/case", {})
    walk.silence()
    gather = ask_number(walk.root)
    assert "diga o marque su número de caso" in spoken(gather)


CONFIRM_ANSWERS = [
    ({"Digits": "1"}, "status"), ({"SpeechResult": "Sí, ese."}, "status"),
    ({"Digits": "2"}, "number"), ({"SpeechResult": "no, es otro"}, "number"),
]


def test_known_caller_is_offered_their_open_case(twilio, clock, session):
    """A caller ID with one open case hears it offered before being asked for a number."""
    clock(OPEN)
    case = add_case(session)
    walk = Walk(twilio)
    root = walk.post("/voice/case")
    gather = ask(root, "/voice/case/confirm", c=case.id, t=1)
    assert "¿Llama por su caso abierto hoy? Para sí, marque 1." in spoken(gather)
    assert SAID not in spoken(root)  # caller ID is a hint: the number is never read
    for answer, then in CONFIRM_ANSWERS:
        root = walk.post(f"/voice/case/confirm?t=1&c={case.id}", **answer)
        if then == "status":
            assert STATUS_WORDS["received"] in spoken(root), answer
            assert SAID not in spoken(root), answer
            assert "diga o marque su número de caso" in spoken(ask_number(root))
        else:
            ask_number(root)
    root = walk.post(f"/voice/case/confirm?t=1&c={case.id}", Digits="7")
    ask(root, "/voice/case/confirm", c=case.id, t=2)
    assert "no le entendí" in spoken(root)
    root = walk.post(f"/voice/case/confirm?t=3&c={case.id}")
    ask_number(root)


def test_no_offer_without_exactly_one_open_case(twilio, clock, session):
    """Two open cases, only resolved ones, or no caller ID: straight to the number."""
    clock(OPEN)
    add_case(session, sid="CA-a")
    add_case(session, number="1234566", sid="CA-b")
    add_case(session, number="2345671", status="resolved", caller="+584125550999", sid="CA-c")
    for caller in (CALLER, "+584125550999", "anonymous", "+584125550000"):
        root = Walk(twilio, caller=caller).post("/voice/case")
        ask_number(root)
        assert "¿Llama por su caso" not in spoken(root), caller


@pytest.mark.parametrize("status", list(STATUS_WORDS))
def test_found_case_status_in_spanish(twilio, clock, session, status):
    """A keyed number reads the case's status in Spanish, then offers the case options."""
    clock(OPEN)
    case = add_case(session, status=status, caller="+584125550999")
    walk = Walk(twilio)
    root = walk.post("/voice/case/number?t=1", Digits=NUMBER)
    words = spoken(root)
    assert f"Caso {SAID}." in words and STATUS_WORDS[status] in words
    assert bool(re.search(r"le llamará .*hoy.* las tres de la tarde", words)) is (
        status != "resolved")
    assert "visita está prevista" not in words
    gather = ask(root, "/voice/case/option", c=case.id, t=1)
    assert "Para agregar información a su caso, marque 1" in spoken(gather)
    session.expire_all()
    assert session.get(Call, walk.sid).case_id == case.id


def test_number_keyed_or_spoken_in_many_shapes(twilio, clock, session):
    """Keys, digit words, groups, separators and 'caso número …' all find the case."""
    clock(OPEN)
    add_case(session)
    walk = Walk(twilio, caller="anonymous")
    for answer in SPOKEN_NUMBERS:
        root = walk.post("/voice/case/number?t=1", **answer)
        assert f"Caso {SAID}." in spoken(root), answer


WRONG_NUMBERS = [
    {"Digits": "1042938"},  # one digit wrong
    {"Digits": "1049237"},  # two digits swapped
    {"Digits": "0042937"},  # a leading zero
    {"Digits": "104293"},  # too short
    {"SpeechResult": "uno cero cuatro dos nueve tres ocho"},
    {"SpeechResult": "mil"},
]


def test_wrong_number_is_caught_before_any_lookup(twilio, clock, session, monkeypatch):
    """A wrong check digit or length: 'no parece correcto', the keypad offered, no lookup."""
    clock(OPEN)
    add_case(session)
    looked_up = []
    monkeypatch.setattr(lookup, "find_case", lambda *args: looked_up.append(args))
    for answer in WRONG_NUMBERS:
        root = Walk(twilio).post("/voice/case/number?t=1", **answer)
        gather = ask_number(root, attempt=2)
        assert "Ese número no parece correcto. Por favor márquelo con el teclado" in (
            spoken(gather)), answer
    assert looked_up == []


@pytest.mark.parametrize("answers", [
    [{"Digits": "1234566"}, {"SpeechResult": "dos tres cuatro cinco seis siete uno"},
     {"Digits": "1234566"}],
    [{}, {"Digits": "1042938"}, {"SpeechResult": "no me acuerdo"}]],
    ids=["not-found", "silence-invalid-unclear"])
def test_not_found_three_times_offers_a_new_report(twilio, clock, session, answers):
    """After three tries without a case the caller is taken to report a new fault."""
    clock(CLOSED)
    add_case(session)
    walk = Walk(twilio)
    walk.post("/voice/case/number?t=1", **answers[0])
    if answers[0].get("Digits") == "1234566":
        assert "No encontramos un caso con el número 1, 2, 3, 4, 5, 6, 6." in spoken(walk.root)
    else:
        assert "No escuché" in spoken(walk.root)
    ask_number(walk.root, attempt=2)
    walk.answer(**answers[1])
    ask_number(walk.root, attempt=3)
    walk.answer(**answers[2])
    assert "No pudimos encontrar su caso" in spoken(walk.root)
    # The report starts in the same answer (no Redirect): its number, then the company.
    assert "Vamos a registrar su reporte" in spoken(walk.root)
    assert walk.root.find("Gather").get("action").startswith("/voice/report/field?")
    new = session.scalars(select(Case).where(Case.origin_call_sid == walk.sid)).one()
    assert new.status == "incomplete" and new.number != NUMBER
    assert f"Su número de caso es {', '.join(new.number)}" in spoken(walk.root)


VISIT_CALLERS = [(CONTACT, True), (OTHER_CONTACT, False), ("+584125550999", False),
                 ("anonymous", False)]


@pytest.mark.parametrize("visit_status", ["confirmed", "cancelled"])
def test_visit_told_only_to_the_company_contacts(twilio, clock, db, session, visit_status):
    """Rule 7: date and cost of a coming visit to the company's contacts; status to anyone."""
    clock(OPEN)
    company_id = add_companies(db)
    add_case(session, status="visit_scheduled", caller=CONTACT, company_id=company_id,
             callback_number=CALLBACK, visit_at=datetime(2026, 12, 9, 14, 0),
             visit_cost=Decimal("45.00"), visit_status=visit_status)
    for caller, told in VISIT_CALLERS:
        walk = Walk(twilio, caller=caller)
        words = spoken(walk.post("/voice/case/number?t=1", Digits=NUMBER))
        assert STATUS_WORDS["visit_scheduled"] in words
        told = told and visit_status == "confirmed"
        assert ("La visita está prevista para el miércoles 9 de diciembre a las diez de la "
                "mañana." in words) is told, caller
        assert ("El costo estimado de la visita es de 45 dólares." in words) is told, caller
        assert "Empresa Demo" not in words and "Ana Prueba" not in words
        assert_no_phone(words, CONTACT, OTHER_CONTACT, CALLBACK, CALLER)


OPTIONS_OPEN = [
    ({"Digits": "1"}, "record"), ({"SpeechResult": "agregar información"}, "record"),
    ({"Digits": "2"}, "person"), ({"SpeechResult": "hablar con una persona"}, "person"),
    ({"Digits": "3"}, "menu"), ({"SpeechResult": "tres"}, "menu"),
    ({"SpeechResult": "volver al menú"}, "menu"),
    ({"Digits": "*"}, "status"), ({"SpeechResult": "repetir"}, "status"),
    ({"Digits": "8"}, "again"), ({}, "again"),
]


def test_case_options(twilio, clock, session):
    """1 adds information, 2 a person, 3 the menu, * the status again; else asked again."""
    clock(OPEN)
    case = add_case(session)
    walk = Walk(twilio)
    for answer, then in OPTIONS_OPEN:
        root = walk.post(f"/voice/case/option?t=1&c={case.id}", **answer)
        if then == "record":
            record = root.find("Record")
            assert split(record.get("action")) == ("/voice/case/addendum", {"c": str(case.id)})
            assert split(record.get("recordingStatusCallback")) == (
                "/voice/recording-status", {"c": str(case.id), "k": "addendum"})
            assert record.get("finishOnKey") == "#" and record.get("maxLength") == "120"
            assert root.find("Redirect").text == record.get("action")
        elif then == "person":
            # Put through at once for this case; nobody is free here: the callback promise.
            assert "todos nuestros especialistas están ocupados" in spoken(root), answer
            assert ", ".join(case.number) in spoken(root) and root[-1].tag == "Hangup"
        elif then == "menu":
            assert redirect_to(root) == ("/voice/menu", {"t": "1", "again": "1"}), answer
        elif then == "status":
            assert STATUS_WORDS["received"] in spoken(root)
            ask(root, "/voice/case/option", c=case.id, t=1)
        else:
            ask(root, "/voice/case/option", c=case.id, t=2)
            assert "Para volver al menú principal, marque 3" in spoken(root)
    root = walk.post(f"/voice/case/option?t=3&c={case.id}")
    assert "Hasta luego" in spoken(root) and root[-1].tag == "Hangup"


def test_person_when_closed_asks_about_an_emergency(twilio, clock, session):
    """Out of hours, 2 (a person) first asks whether it is an emergency, keeping the case."""
    clock(CLOSED)
    case = add_case(session)
    root = Walk(twilio).post(f"/voice/case/option?t=1&c={case.id}", Digits="2")
    gather = ask(root, "/voice/emergency-confirm", c=case.id, t=1)
    assert "emergencia" in spoken(gather)


@pytest.mark.parametrize("hangup", [False, True])
def test_addendum_is_attached_to_the_case(twilio, clock, session, hangup):
    """The added recording joins the case once, even replayed or after a hangup."""
    clock(OPEN)
    case = add_case(session)
    walk = Walk(twilio)
    form = {"RecordingSid": "RE-add", "RecordingUrl": "https://x/RE-add",
            "RecordingDuration": "22", "Digits": "hangup" if hangup else "#"}
    if hangup:
        form["CallStatus"] = "completed"
    for _ in range(3):
        root = walk.post(f"/voice/case/addendum?c={case.id}", **form)
    twilio.post(f"/voice/recording-status?c={case.id}&k=addendum", call_params(
        walk.sid, RecordingSid="RE-add", RecordingStatus="completed"))
    if hangup:
        assert len(root) == 0
    else:
        assert f"Agregamos su grabación al caso {SAID}." in spoken(root)
        ask(root, "/voice/case/option", c=case.id, t=1)
    session.expire_all()
    [rec] = session.scalars(select(Recording)).all()
    assert (rec.case_id, rec.kind, rec.duration, rec.status) == (case.id, "addendum", 22,
                                                                 "completed")
    assert session.get(Case, case.id).status == "received"


def test_silent_addendum_says_nothing_was_recorded(twilio, clock, session):
    """Silence at the beep: nothing stored, the caller is told and gets the options again."""
    clock(OPEN)
    case = add_case(session)
    root = Walk(twilio).post(f"/voice/case/addendum?c={case.id}")
    assert "No recibimos ninguna grabación." in spoken(root)
    ask(root, "/voice/case/option", c=case.id, t=1)
    assert session.scalars(select(Recording)).all() == []


def test_lookup_step_without_its_case_is_polite(twilio, clock):
    """A step whose case does not exist answers TwiML (goodbye or the question), not an error."""
    clock(OPEN)
    for path in ["/voice/case/option?t=1&c=999999", "/voice/case/addendum",
                 "/voice/case/confirm?t=1&c=abc"]:
        root = Walk(twilio).post(path, Digits="1")
        assert root.find("Hangup") is not None or root.find("Gather") is not None, path


def test_report_then_call_again_and_hear_the_status(twilio, clock, session):
    """Done means: report a fault, call again from elsewhere, say the number, hear the status."""
    clock(CLOSED)
    first = Walk(twilio, caller="anonymous")
    first.post("/voice/report?r=1")
    number = session.scalars(select(Case)).one().number
    for answer in ({"SpeechResult": "Empresa Demo"}, {"SpeechResult": "Ana"},
                   {"SpeechResult": "Gerente"}, {}, {"Digits": "04141234567"}, {},
                   {"Digits": "1"}, {"RecordingSid": "RE-1", "Digits": "#"}):
        first.answer(**answer)
    first.hang_up()
    clock(OPEN)
    second = Walk(twilio, caller="+584125550999")
    second.post("/voice/incoming")
    second.answer(SpeechResult="tengo un número de caso")
    second.silence()
    second.answer(SpeechResult=" ".join(DIGIT_WORDS[int(d)] for d in number))
    assert f"Caso {', '.join(number)}." in second.words
    assert STATUS_WORDS["received"] in second.words
    assert_no_phone(first.words + second.words, "+584141234567")
