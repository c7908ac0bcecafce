"""Putting callers through: free analysts, whispers, hunting, emergencies, the callback queue."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.config import Settings
from ivr.domain.clock import utcnow
from ivr.services.directory import add_analyst, add_emergency, set_analyst_status
from ivr.store.models import Analyst, Call, Case, DialAttempt
from tests.conftest import call_params, spoken, twiml
from tests.routing_support import configure


@pytest.fixture
def analysts(db):
    """Three available analysts, idle longest first."""
    rows = []
    for i, phone in enumerate(["+15005550101", "+15005550102", "+15005550103"]):
        analyst = add_analyst(db, f"Analista {i + 1}", phone, "184263", utcnow())
        rows.append(set_analyst_status(db, analyst, "available", utcnow()))
    db.commit()
    return rows


def dial_of(root):
    """The Dial of a document, checked for the whisper shape; returns (dial, number)."""
    dial = root.find("Dial")
    assert dial is not None, spoken(root)
    assert dial.get("answerOnBridge") == "true"
    number = dial.find("Number")
    assert number.get("url").startswith("/voice/whisper?a=")
    assert number.get("statusCallback").startswith("/voice/leg-status?a=")
    return dial, number


def test_menu_zero_in_hours_opens_case_and_rings_longest_idle(twilio, clock, session, analysts):
    """Menu 0 in hours: the menu's own answer rings the longest-idle analyst (no Redirect),
    for a case opened with the call; its number is not read before ringing (the analyst
    gives it, the line reads it if nobody answers)."""
    clock("2026-12-07 09:00")
    sid = twilio.new_sid()
    twiml(twilio.post("/voice/incoming", call_params(sid)))
    root = twiml(twilio.post("/voice/menu?t=1", call_params(sid, Digits="0")))
    case = session.scalars(select(Case)).one()
    assert ", ".join(case.number) not in spoken(root)
    assert session.get(Call, sid).case_id == case.id
    _dial, number = dial_of(root)
    assert number.text == "+15005550101"
    session.expire_all()
    assert session.get(Analyst, analysts[0].id).lease_call_sid == sid


def test_whisper_then_accept_bridges(twilio, clock, session, analysts):
    """The whisper names company, case and severity, ends in Hangup; 1 bridges."""
    clock("2026-12-07 09:00")
    sid = twilio.new_sid()
    root = twiml(twilio.post("/voice/connect?r=1", call_params(sid)))
    dial, number = dial_of(root)
    leg = twilio.new_sid()
    whisper = twiml(twilio.post(number.get("url"), call_params(leg, ParentCallSid=sid)))
    assert [c.tag for c in whisper] == ["Gather", "Hangup"]
    assert "marque 1 para aceptar" in spoken(whisper).lower() or "Para aceptar, marque 1" in \
        spoken(whisper)
    accept = whisper.find("Gather").get("action")
    assert list(twiml(twilio.post(accept, call_params(leg, Digits="1")))) == []
    root = twiml(twilio.post(dial.get("action"), call_params(
        sid, DialCallStatus="completed", DialBridged="true", DialCallSid=leg)))
    assert root.find("Dial") is None
    session.expire_all()
    call = session.get(Call, sid)
    assert call.outcome == "answered" and call.answered_by == f"analyst:{analysts[0].id}"
    case = session.scalars(select(Case)).one()
    assert case.status == "in_progress" and case.assigned_analyst_id == analysts[0].id
    # Free again once the wrap-up time after the conversation has passed.
    analyst = session.get(Analyst, analysts[0].id)
    assert analyst.lease_call_sid is None
    assert analyst.lease_until == utcnow() + timedelta(seconds=Settings.wrap_up_seconds)


@pytest.mark.parametrize("how", ["no-answer", "busy", "failed", "decline", "voicemail"])
def test_not_taken_moves_to_next_analyst(twilio, clock, session, analysts, how):
    """Declined, unanswered, busy, failed or voicemail: release, then the next analyst."""
    clock("2026-12-07 09:00")
    sid = twilio.new_sid()
    dial, number = dial_of(twiml(twilio.post("/voice/connect?r=1", call_params(sid))))
    leg = twilio.new_sid()
    status = how
    if how in ("decline", "voicemail"):
        whisper = twiml(twilio.post(number.get("url"), call_params(leg)))
        if how == "decline":
            twiml(twilio.post(whisper.find("Gather").get("action"), call_params(leg, Digits="2")))
        status = "completed"
    root = twiml(twilio.post(dial.get("action"), call_params(
        sid, DialCallStatus=status, DialBridged="false")))
    assert "Seguimos buscando" in spoken(root)
    root = twiml(twilio.post(root.find("Redirect").text, call_params(sid)))
    _dial, number = dial_of(root)
    assert number.text == "+15005550102"
    session.expire_all()
    first = session.scalars(select(DialAttempt).order_by(DialAttempt.seq)).first()
    assert first.outcome == ("declined" if how == "decline" else how)
    assert session.get(Analyst, analysts[0].id).lease_until is None


def test_attempt_cap_then_callback(twilio, clock, session, analysts):
    """After HUNT_MAX_ATTEMPTS legs nobody took, the caller is promised a callback."""
    clock("2026-12-07 09:00")
    sid = twilio.new_sid()
    root = twiml(twilio.post("/voice/connect?r=1", call_params(sid)))
    for _ in range(3):
        dial, _number = dial_of(root)
        root = twiml(twilio.post(dial.get("action"), call_params(sid,
                                                                 DialCallStatus="no-answer")))
        root = twiml(twilio.post(root.find("Redirect").text, call_params(sid)))
    assert root.find("Dial") is None
    assert "ocupados" in spoken(root)
    # Analysts are on duty: wait on the line (1) or be called back (2).
    choice = root.find("Gather")
    assert choice.get("action").startswith("/voice/hold/choice?")
    root = twiml(twilio.post(choice.get("action"), call_params(sid, Digits="2")))
    # The report was cut short to put the caller through: it picks up where it stopped.
    assert root.find("Redirect").text.startswith("/voice/report/resume?c=")
    session.expire_all()
    assert session.get(Call, sid).outcome == "callback"


def test_emergency_contacts_in_order_then_message(twilio, clock, db, session):
    """Out of hours: emergency phones in order; nobody accepts → an urgent message."""
    add_emergency(db, "Primero", "(0414) 014.39.13", None, utcnow())
    add_emergency(db, "Segundo", "(0414) 032.01.51", None, utcnow())
    db.commit()
    clock("2026-12-07 21:00")
    sid = twilio.new_sid()
    root = twiml(twilio.post("/voice/emergency?r=1", call_params(sid)))
    dial, number = dial_of(root)
    assert number.text == "+584140143913"
    root = twiml(twilio.post(dial.get("action"), call_params(sid, DialCallStatus="no-answer")))
    dial, number = dial_of(root)
    assert number.text == "+584140320151"
    root = twiml(twilio.post(dial.get("action"), call_params(sid, DialCallStatus="busy")))
    record = root.find("Record")
    assert record is not None
    twiml(twilio.post(record.get("action"), call_params(
        sid, RecordingSid="RE9", RecordingUrl="https://x/RE9", RecordingDuration="20")))
    session.expire_all()
    case = session.scalars(select(Case)).one()
    assert case.urgent and case.status == "received" and case.callback_state == "pending"


def test_no_emergency_phone_configured_is_said_plainly_and_logged(twilio, clock, caplog):
    """With nobody on the emergency list the caller is not told "le comunicamos…" only to hear
    at once that nobody answered: the message is taken straight away, and each such call logs
    an error for the operator."""
    clock("2026-12-07 21:00")
    caplog.set_level(logging.ERROR, logger="ivr.routing")
    root = twiml(twilio.post("/voice/emergency?r=1", call_params(twilio.new_sid())))
    words = spoken(root)
    assert "No logramos comunicarle" in words and "Le comunicamos" not in words
    assert root.find("Record") is not None and root.find("Dial") is None
    assert any("no active emergency phone" in r.getMessage() for r in caplog.records)


def test_no_analyst_free_is_logged(twilio, clock, caplog):
    """In hours with nobody to ring: the callback promise, and an error for the operator."""
    clock("2026-12-07 09:00")
    caplog.set_level(logging.ERROR, logger="ivr.routing")
    root = twiml(twilio.post("/voice/connect?r=1", call_params(twilio.new_sid())))
    assert root.find("Dial") is None and "Le comunicamos" not in spoken(root)
    assert any("no analyst free" in r.getMessage() for r in caplog.records)


def talk_and_hang_up(twilio, clock, sid):
    """Ring the first analyst, who accepts at the whisper, talks, then hangs up: the Dial's
    action as Twilio posts it to a caller still on the line."""
    clock("2026-12-07 09:00")
    root = twiml(twilio.post("/voice/connect?r=1", call_params(sid)))
    dial, number = dial_of(root)
    leg = twilio.new_sid()
    whisper = twiml(twilio.post(number.get("url"), call_params(leg, ParentCallSid=sid)))
    twiml(twilio.post(whisper.find("Gather").get("action"), call_params(leg, Digits="1")))
    return twiml(twilio.post(dial.get("action"), call_params(
        sid, DialCallStatus="completed", DialBridged="true", DialCallSid=leg,
        DialCallDuration="95")))


@pytest.mark.parametrize(("answer", "kept"), [
    ({"Digits": "4"}, 4), ({"SpeechResult": "un cinco"}, 5), ({"Digits": "9"}, None),
    ({"SpeechResult": "muy bien"}, None)])
def test_satisfaction_question_after_the_analyst_hangs_up(app, twilio, clock, session,
                                                          analysts, answer, kept):
    """With SATISFACTION_QUESTION on: after the conversation the caller hears the case number
    and "Del 1 al 5, ¿cómo le atendimos?"; a score is kept with the call, anything else is
    not, and nobody is asked twice."""
    configure(app, satisfaction_question=True)
    sid = twilio.new_sid()
    root = talk_and_hang_up(twilio, clock, sid)
    case = session.scalars(select(Case)).one()
    assert f"Le recordamos su número de caso: {', '.join(case.number)}." in spoken(root)
    gather = root.find("Gather")
    assert gather.get("action") == "/voice/satisfaction"
    assert "Del 1 al 5, ¿cómo le atendimos?" in spoken(gather)
    assert [verb.tag for verb in root][-2:] == ["Say", "Hangup"]  # silence: goodbye
    after = twiml(twilio.post("/voice/satisfaction", call_params(sid, **answer)))
    assert after.find("Gather") is None and after[-1].tag == "Hangup"
    assert ("Gracias por su opinión" in spoken(after)) is (kept is not None)
    session.expire_all()
    assert session.get(Call, sid).satisfaction == kept


def test_no_satisfaction_question_by_default(twilio, clock, session, analysts):
    """Off by default: the case number, then goodbye."""
    sid = twilio.new_sid()
    root = talk_and_hang_up(twilio, clock, sid)
    assert root.find("Gather") is None and root[-1].tag == "Hangup"
    assert "Le recordamos su número de caso" in spoken(root)
    assert session.get(Call, sid).satisfaction is None
