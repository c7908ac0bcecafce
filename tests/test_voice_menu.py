"""The line answers: greeting, open/closed, the menu and its retries."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from ivr.domain.clock import utcnow
from ivr.domain.statuses import AnalystStatus
from ivr.services.directory import (
    add_analyst,
    add_closure,
    add_company,
    add_contact,
    set_analyst_status,
)
from ivr.store.models import Call
from ivr.store.tx import Q
from tests.conftest import call_params, spoken, twiml

OPEN_TIMES = ["2026-12-07 08:30", "2026-12-07 11:59", "2026-12-07 14:00", "2026-12-07 17:29"]


def incoming(twilio, sid=None, caller="+584125550123", **extra):
    """Place a call: the Voice URL request."""
    sid = sid or twilio.new_sid()
    return sid, twiml(twilio.post("/voice/incoming", call_params(sid, caller, **extra)))


def menu_gather(root):
    """The menu Gather of a document, checked for its shape."""
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("action").startswith("/voice/menu?")
    assert gather.get("input") == "dtmf speech"
    assert gather.get("numDigits") == "1"
    assert int(gather.get("timeout")) > 0
    assert gather.get("language") == "es-US"
    # Silence falls through to a redirect back to the same question.
    redirect = root.find("Redirect")
    assert redirect is not None and redirect.text == gather.get("action")
    return gather


@pytest.mark.parametrize("when", OPEN_TIMES)
def test_open_greeting_offers_menu(twilio, clock, session, when):
    """In hours: the greeting and the open menu, all inside the Gather (a regular caller keys
    ahead), and a call row. Nothing says the call is recorded: it is not."""
    clock(when)
    sid, root = incoming(twilio)
    words = spoken(root)
    assert "grabada" not in words
    assert "cerrados" not in words
    gather = menu_gather(root)
    assert [say for say in root if say.tag == "Say"] == []
    menu_words = spoken(gather)
    assert menu_words.startswith("Gracias por llamar a CCO Apoyo Empresarial")
    assert "reportar una falla, marque 2" in menu_words
    assert "hablar con una persona, marque 0" in menu_words
    call = session.get(Call, sid)
    assert call.status == "in-progress" and call.from_number == "+584125550123"
    assert call.webhooks == 1


@pytest.mark.parametrize(
    ("when", "reason_words", "reopens"),
    [
        ("2026-12-07 08:29", "fuera de nuestro horario", "hoy a las ocho y media de la mañana"),
        ("2026-12-07 12:00", "hora de almuerzo", "hoy a las dos de la tarde"),
        ("2026-12-07 13:59", "hora de almuerzo", "hoy a las dos de la tarde"),
        ("2026-12-07 17:30", "fuera de nuestro horario", "mañana a las ocho y media de la mañana"),
        ("2026-12-05 10:00", "fines de semana",
         "el lunes 7 de diciembre a las ocho y media de la mañana"),
        ("2026-12-06 10:00", "fines de semana", "mañana a las ocho y media de la mañana"),
        ("2027-02-08 09:00", "feriado: Lunes de Carnaval",
         "el miércoles 10 de febrero a las ocho y media de la mañana"),
        ("2027-03-25 09:00", "feriado: Jueves Santo", "el lunes 29 de marzo a las ocho y media"),
        ("2026-12-24 09:00", "feriado: Nochebuena", "el lunes 28 de diciembre a las ocho y media"),
    ],
)
def test_closed_greeting_says_why_and_when(twilio, clock, when, reason_words, reopens):
    """Closed: the greeting says why and when the line opens again, then the same keys."""
    clock(when)
    _sid, root = incoming(twilio)
    words = spoken(root)
    assert reason_words in words
    assert f"Volvemos a atenderle {reopens}" in words
    gather = menu_gather(root)
    assert f"Volvemos a atenderle {reopens}" in spoken(gather)  # keys work during it
    assert "Si es una emergencia, marque 0" in spoken(gather)
    assert "reportar una falla, marque 2" in spoken(gather)


def test_whole_day_and_part_day_closures(app, twilio, clock, db):
    """Closures added by the coordinator are said with their reason."""
    add_closure(db, "2026-12-09", None, None, "inventario anual", utcnow())
    add_closure(db, "2026-12-10", "14:00", "17:30", "jornada reducida por decreto", utcnow())
    db.commit()
    app.extensions["ivr"].schedules.invalidate()
    clock("2026-12-09 10:00")
    _sid, root = incoming(twilio)
    assert "cerrados: inventario anual" in spoken(root)
    assert "mañana a las ocho y media de la mañana" in spoken(root)
    clock("2026-12-10 10:00")
    _sid, root = incoming(twilio)
    assert "cerrados" not in spoken(root)
    clock("2026-12-10 15:00")
    _sid, root = incoming(twilio)
    assert "jornada reducida por decreto" in spoken(root)
    assert "mañana a las ocho y media" in spoken(root)


def test_known_contact_is_greeted_by_name(twilio, clock, db, session):
    """A caller whose number belongs to a contact is greeted by name and linked to them."""
    add_company(db, "Empresa Demo", None, utcnow())
    contact = add_contact(db, "Empresa Demo", "Ana Prueba", "(0414) 555.01.23", None, None,
                          utcnow())
    db.commit()
    clock("2026-12-07 09:00")
    sid, root = incoming(twilio, caller="+584145550123")
    assert "Ana Prueba" in spoken(root)
    session.expire_all()
    assert session.get(Call, sid).contact_id == contact.id


@pytest.mark.parametrize("caller", ["anonymous", "+266696687", "unknown", "", "Restricted"])
def test_withheld_caller_ids_are_unknown(twilio, clock, session, caller):
    """Withheld or odd caller IDs are kept raw but never taken as a number."""
    clock("2026-12-07 09:00")
    sid, root = incoming(twilio, caller=caller)
    menu_gather(root)
    call = session.get(Call, sid)
    assert call.from_number is None
    assert call.from_raw == (caller or None)


def test_forwarded_line_is_stored(twilio, clock, session):
    """Which published line was dialled is kept on the call."""
    clock("2026-12-07 09:00")
    sid, _root = incoming(twilio, ForwardedFrom="+582124713239")
    assert session.get(Call, sid).forwarded_from == "+582124713239"


def leads_to(root) -> str:
    """Where a document takes the caller: 'dial' (a phone rings), the path of its question
    (a Gather or a Record), or the path of its Redirect."""
    if root.find("Dial") is not None:
        return "dial"
    for tag in ("Gather", "Record"):
        if root.find(tag) is not None:
            return root.find(tag).get("action").split("?")[0]
    return root.find("Redirect").text.split("?")[0]


def free_analyst(db) -> None:
    """One analyst, available."""
    analyst = add_analyst(db, "Analista Uno", "+15005550101", None, utcnow())
    set_analyst_status(db, analyst, AnalystStatus.AVAILABLE, utcnow())
    db.commit()


@pytest.mark.parametrize(
    ("answer", "target"),
    [
        ({"Digits": "1"}, "/voice/case"),
        ({"Digits": "2"}, "/voice/report/field"),
        ({"Digits": "0"}, "dial"),
        ({"SpeechResult": "Tengo un número de caso.", "Confidence": "0.9"}, "/voice/case"),
        ({"SpeechResult": "reportar una falla"}, "/voice/report/field"),
        ({"SpeechResult": "hablar con una persona"}, "dial"),
    ],
)
def test_menu_choices_open(twilio, clock, db, answer, target):
    """In hours, each menu choice leads to its flow: a case number by a Redirect, a new fault
    and a person answered at once (its first question, the phone ringing)."""
    free_analyst(db)
    clock("2026-12-07 09:00")
    sid, _ = incoming(twilio)
    root = twiml(twilio.post("/voice/menu?t=1", call_params(sid, **answer)))
    assert leads_to(root) == target


@pytest.mark.parametrize("answer", [{"Digits": "0"}, {"SpeechResult": "es una emergencia"}])
def test_closed_person_asks_emergency_first(twilio, clock, answer):
    """Out of hours, 0 asks whether it is an emergency; 1 goes to the emergency phones."""
    clock("2026-12-07 20:00")
    sid, _ = incoming(twilio)
    root = twiml(twilio.post("/voice/menu?t=1", call_params(sid, **answer)))
    gather = root.find("Gather")
    assert gather.get("action").startswith("/voice/emergency-confirm")
    assert "emergencia" in spoken(gather)
    yes = twiml(twilio.post(gather.get("action"), call_params(sid, Digits="1")))
    assert yes.find("Redirect").text.split("?")[0] == "/voice/emergency"
    back = twiml(twilio.post(gather.get("action"), call_params(sid, Digits="2")))
    menu_gather(back)


def test_star_repeats_the_menu(twilio, clock):
    """* says the menu again."""
    clock("2026-12-07 09:00")
    sid, _ = incoming(twilio)
    root = twiml(twilio.post("/voice/menu?t=1", call_params(sid, Digits="*")))
    gather = menu_gather(root)
    assert "marque 2" in spoken(gather)


@pytest.mark.parametrize(("when", "default"), [("2026-12-07 09:00", "dial"),
                                               ("2026-12-07 20:00", "/voice/report/field")])
def test_menu_retries_then_default(twilio, clock, db, when, default):
    """Silence or nonsense: re-asked with a 'no le entendí', at most 3 tries, then a default:
    a person in hours, a report (its first question) when closed."""
    free_analyst(db)
    clock(when)
    sid, root = incoming(twilio)
    action = menu_gather(root).get("action")
    root = twiml(twilio.post(action, call_params(sid)))  # silence: the Redirect
    assert "No escuché" in spoken(root)
    action = menu_gather(root).get("action")
    assert "t=2" in action
    root = twiml(twilio.post(action, call_params(sid, Digits="7")))
    assert "no le entendí" in spoken(root)
    action = menu_gather(root).get("action")
    assert "t=3" in action
    root = twiml(twilio.post(action, call_params(sid, SpeechResult="patatas fritas")))
    assert leads_to(root) == default
    assert "/voice/menu" not in {g.get("action").split("?")[0] for g in root.iter("Gather")}


def test_webhook_loop_is_bounded(twilio, clock, session):
    """A call that keeps going round the menu ends politely after a bounded number of webhooks."""
    from ivr.services.calls import MAX_WEBHOOKS_PER_CALL

    clock("2026-12-07 09:00")
    sid, _ = incoming(twilio)
    for _ in range(MAX_WEBHOOKS_PER_CALL + 1):
        root = twiml(twilio.post("/voice/menu?t=1", call_params(sid, Digits="*")))
        if root.find("Hangup") is not None:
            break
    assert root.find("Hangup") is not None
    assert session.scalar(select(Call.webhooks).where(Call.call_sid == sid)) <= (
        MAX_WEBHOOKS_PER_CALL + 1)


def test_control_character_in_a_closure_reason_never_breaks_the_twiml(twilio, clock, db):
    """A reason stored with a character XML forbids (written before the CLI refused them, or
    straight into the database) is said without it: the document parses, callers are not sent
    to the Fallback URL."""
    db.run(Q("INSERT INTO closures (day, starts, ends, reason, created_at)"
             " VALUES (:day, NULL, NULL, :reason, :now)"),
           day=date(2026, 12, 9), reason="inventario\x0c anual\x1b", now=utcnow())
    db.commit()
    clock("2026-12-09 10:00")
    _sid, root = incoming(twilio)
    assert "inventario anual" in spoken(root)


@pytest.mark.parametrize("asked", ["quiero hablar con Pedro", "con el técnico, por favor",
                                   "páseme con la ingeniera Carla Rondón"])
@pytest.mark.parametrize("when", ["2026-12-07 09:00", "2026-12-07 20:00"])
def test_asking_for_someone_by_name_goes_through_the_centre(twilio, clock, db, asked, when):
    """Rule 9: asking for a technician by name hears that technicians are reached through the
    centre, with a case, and is offered the case or a person — the same keys; no name is
    confirmed and no phone number is said."""
    analyst = add_analyst(db, "Carla Rondón", "+584145551234", None, utcnow())
    set_analyst_status(db, analyst, AnalystStatus.AVAILABLE, utcnow())
    db.commit()
    clock(when)
    sid, _ = incoming(twilio)
    root = twiml(twilio.post("/voice/menu?t=1", call_params(sid, SpeechResult=asked)))
    gather = menu_gather(root)
    words = spoken(root)
    assert "a través del centro de soporte" in words
    assert "número de caso, marque 1" in words and "hablar con una persona del centro, " \
        "marque 0" in words
    for name in ("Pedro", "Carla", "Rondón", "técnico Pedro"):
        assert name not in words
    assert not re.search(r"\d{3}", words.replace("marque", ""))
    assert root.find("Dial") is None
    # Then 0: a person of the centre (open), or the emergency question (closed).
    action = gather.get("action")
    after = twiml(twilio.post(action, call_params(sid, Digits="0")))
    assert leads_to(after) == ("dial" if when.endswith("09:00") else "/voice/emergency-confirm")


@pytest.mark.parametrize("said", ["quiero hablar con una persona", "hablar con alguien",
                                  "con un operador"])
def test_asking_for_a_person_is_not_asking_for_someone(twilio, clock, db, said):
    """"Una persona", "alguien", "un operador" are the centre: put through at once."""
    free_analyst(db)
    clock("2026-12-07 09:00")
    sid, _ = incoming(twilio)
    root = twiml(twilio.post("/voice/menu?t=1", call_params(sid, SpeechResult=said)))
    assert leads_to(root) == "dial"
