"""The analysts' phone menu: caller ID plus PIN, then available, unavailable, callbacks waiting."""

from __future__ import annotations

import pytest

from ivr.store.models import Call
from tests.conftest import call_params, spoken, twiml
from tests.routing_support import PIN, add_analysts, analyst_phone, analyst_rows, make_case

OPEN = "2026-12-07 09:00"
STRANGER = "+584125550123"


@pytest.fixture
def analyst(db):
    """One unavailable analyst with a PIN; their id."""
    [only] = add_analysts(db, 1, pin=PIN, status="unavailable")
    return only


def post(twilio, sid: str, path: str, caller: str = analyst_phone(1), **extra):
    """A webhook of the call, parsed."""
    return twiml(twilio.post(path, call_params(sid, caller, **extra)))


def pin_prompt(twilio, sid: str, caller: str = analyst_phone(1)):
    """Call in and key the menu's hidden analysts' key (9); the PIN prompt."""
    root = post(twilio, sid, "/voice/incoming", caller)
    return post(twilio, sid, root.find("Gather").get("action"), caller, Digits="9")


def log_in(twilio, sid: str):
    """Call in from the analyst's phone, key 9 and the right PIN; the analyst menu document."""
    root = pin_prompt(twilio, sid)
    return post(twilio, sid, root.find("Gather").get("action"), Digits=PIN)


def test_everyone_hears_the_same_greeting(twilio, clock, analyst):
    """The line sounds the same from an analyst's phone as from any other: no PIN prompt,
    no "analistas" until the PIN is right."""
    clock(OPEN)
    heard = []
    for caller in (analyst_phone(1), STRANGER):
        root = post(twilio, twilio.new_sid(), "/voice/incoming", caller)
        assert root.find("Gather").get("action") == "/voice/menu?t=1"
        assert "analistas" not in spoken(root) and "clave" not in spoken(root)
        heard.append(spoken(root))
    assert heard[0] == heard[1]


def test_hidden_key_asks_every_caller_for_a_pin(twilio, clock, analyst):
    """9, not announced in the menu, asks for a PIN in the same words for anyone who keys it."""
    clock(OPEN)
    for caller in (analyst_phone(1), STRANGER):
        root = pin_prompt(twilio, twilio.new_sid(), caller)
        gather = root.find("Gather")
        assert gather.get("action") == "/voice/analyst/pin?t=1"
        assert (gather.get("input"), gather.get("finishOnKey")) == ("dtmf", "#")
        assert spoken(root) == "Marque su clave y luego numeral."


def test_silence_at_the_pin_goes_to_the_clients_menu(twilio, clock, analyst):
    """Silence at the PIN prompt: back to the clients' menu."""
    clock(OPEN)
    sid = twilio.new_sid()
    root = pin_prompt(twilio, sid)
    redirect = root.find("Redirect")
    assert redirect.text == "/voice/menu?t=1&again=1"
    menu = post(twilio, sid, redirect.text)
    assert menu.find("Gather").get("action") == "/voice/menu?t=1"
    assert "para reportar una falla, marque 2" in spoken(menu).lower()
    assert "clave" not in spoken(menu)


def test_other_callers_get_the_clients_greeting(twilio, clock, analyst):
    """Anyone else is greeted as a client."""
    clock(OPEN)
    root = post(twilio, twilio.new_sid(), "/voice/incoming", STRANGER)
    assert root.find("Gather").get("action") == "/voice/menu?t=1"
    assert "analistas" not in spoken(root)


def test_wrong_pin_three_times_goes_back_to_the_menu(twilio, clock, session, analyst):
    """Two wrong PINs are asked again; the third goes back to the clients' menu, still not
    logged in."""
    clock(OPEN)
    sid = twilio.new_sid()
    action = pin_prompt(twilio, sid).find("Gather").get("action")
    for attempt in (2, 3):
        root = post(twilio, sid, action, Digits="0000")
        assert spoken(root).startswith("Clave incorrecta.")
        action = root.find("Gather").get("action")
        assert action == f"/voice/analyst/pin?t={attempt}"
    root = post(twilio, sid, action, Digits="0000")
    assert root.find("Gather") is None
    assert root.find("Redirect").text == "/voice/menu?t=1&again=1"
    session.expire_all()
    assert session.get(Call, sid).analyst_id is None


def test_right_pin_tells_the_status_and_offers_the_menu(twilio, clock, session, analyst):
    """The right PIN: hello, the current status, then the analyst menu."""
    clock(OPEN)
    sid = twilio.new_sid()
    root = log_in(twilio, sid)
    assert "Hola, Analista 1. Su estado es: no disponible." in spoken(root)
    gather = root.find("Gather")
    assert gather.get("action") == "/voice/analyst/menu?t=1"
    assert "Para estar disponible, marque 1" in spoken(gather)
    session.expire_all()
    assert session.get(Call, sid).analyst_id == analyst


@pytest.mark.parametrize(("digit", "before", "after", "words"), [
    ("1", "unavailable", "available", "Su estado es: disponible."),
    ("2", "available", "unavailable", "Su estado es: no disponible."),
    ("1", "away", "available", "Su estado es: disponible."),
    ("2", "away", "unavailable", "Su estado es: no disponible."),
])
def test_menu_changes_the_status(twilio, clock, session, analyst, digit, before, after, words):
    """1 makes the analyst available, 2 unavailable; the database changes and they hear it."""
    clock(OPEN)
    row = analyst_rows(session)[analyst]
    row.status = before
    session.commit()
    sid = twilio.new_sid()
    menu = log_in(twilio, sid).find("Gather").get("action")
    root = post(twilio, sid, menu, Digits=digit)
    assert spoken(root).startswith("Listo.") and words in spoken(root)
    assert root.find("Gather").get("action") == "/voice/analyst/menu?t=1"
    row = analyst_rows(session)[analyst]
    assert row.status == after and not row.away_notice


@pytest.mark.parametrize(("pending", "words"), [
    (0, "No hay casos esperando que les llamen."), (1, "Hay 1 caso esperando que le llamen."),
    (3, "Hay 3 casos esperando que les llamen.")])
def test_menu_3_says_how_many_callbacks_wait(twilio, clock, db, session, analyst, pending,
                                             words):
    """3: the number of cases waiting for a callback (done ones do not count), in the
    singular for one ("Hay 1 caso", never "Hay 1 casos")."""
    clock(OPEN)
    for n in range(pending):
        make_case(db, f"100{n:04d}", created=OPEN, severity=2, due="2026-12-07 13:00")
    make_case(db, "1009999", created=OPEN, severity=2, state="done")
    db.commit()
    sid = twilio.new_sid()
    menu = log_in(twilio, sid).find("Gather").get("action")
    root = post(twilio, sid, menu, Digits="3")
    assert words in spoken(root)
    assert analyst_rows(session)[analyst].status == "unavailable"


def test_menu_9_says_goodbye(twilio, clock, session, analyst):
    """9 ends the call without changing anything."""
    clock(OPEN)
    sid = twilio.new_sid()
    menu = log_in(twilio, sid).find("Gather").get("action")
    root = post(twilio, sid, menu, Digits="9")
    assert root.find("Gather") is None and root[-1].tag == "Hangup"
    assert analyst_rows(session)[analyst].status == "unavailable"


@pytest.mark.parametrize("digit", ["1", "2", "3", "9"])
def test_menu_without_the_pin_is_refused(twilio, clock, session, analyst, digit):
    """A call that never passed the PIN (a client, or the analyst's own spoofed number) is
    sent away from every menu action, and nothing changes."""
    clock(OPEN)
    for caller in (STRANGER, analyst_phone(1)):
        sid = twilio.new_sid()
        post(twilio, sid, "/voice/incoming", caller)
        root = post(twilio, sid, "/voice/analyst/menu?t=1", caller, Digits=digit)
        assert root.find("Gather") is None and root[-1].tag == "Hangup"
        assert "Hay" not in spoken(root) and "Listo" not in spoken(root)
    assert analyst_rows(session)[analyst].status == "unavailable"


def test_pin_from_another_number_is_refused(twilio, clock, session, analyst):
    """The right PIN keyed from a number that is not the analyst's: "Clave incorrecta", as
    for anyone, not logged in."""
    clock(OPEN)
    sid = twilio.new_sid()
    post(twilio, sid, "/voice/incoming", STRANGER)
    root = post(twilio, sid, "/voice/analyst/pin?t=1", STRANGER, Digits=PIN)
    assert spoken(root).startswith("Clave incorrecta.")
    assert root.find("Gather").get("action") == "/voice/analyst/pin?t=2"
    root = post(twilio, sid, "/voice/analyst/menu?t=1", STRANGER, Digits="1")
    assert root[-1].tag == "Hangup"
    session.expire_all()
    assert session.get(Call, sid).analyst_id is None
    assert analyst_rows(session)[analyst].status == "unavailable"
