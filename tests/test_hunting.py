"""Hunting for an analyst as Twilio drives it: every way a leg ends, caps, replays, emergencies."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from ivr.config import Settings
from ivr.domain.clock import utcnow
from ivr.services.callbacks import callback_queue
from ivr.services.directory import add_company, add_contact, add_emergency
from ivr.services.routing import LEASE_MARGIN_SECONDS
from ivr.store.models import Analyst, Call, Case, DialAttempt
from tests.conftest import call_params, spoken, twiml
from tests.routing_support import (
    add_analysts,
    analyst_phone,
    analyst_rows,
    configure,
    digits_only,
    make_case,
)

CALLER = "+584125550123"
OPEN = "2026-12-07 09:00"  # a Monday, in hours
WRAP_UP = Settings.wrap_up_seconds  # seconds an analyst has after a conversation
NOBODY_FREE = "todos nuestros especialistas están ocupados"
STILL_SEARCHING = "Seguimos buscando a un especialista"
HOLD_CHOICE = "Para esperar en línea a que se desocupe un especialista, marque 1"


class Caller:
    """One inbound call walking the hunt; keeps every document the caller was sent."""

    def __init__(self, twilio, caller: str = CALLER):
        """A new call from `caller`."""
        self.twilio = twilio
        self.caller = caller
        self.sid = twilio.new_sid()
        self.docs = []

    def post(self, path: str, **extra):
        """Post a webhook of this call; the parsed TwiML."""
        root = twiml(self.twilio.post(path, call_params(self.sid, self.caller, **extra)))
        self.docs.append(root)
        return root

    def heard(self) -> str:
        """Everything said to the caller so far."""
        return " ".join(spoken(doc) for doc in self.docs)


def choose_callback(caller: Caller, root, case_id: int | None = None):
    """Nobody took the call in hours, with analysts on duty: the caller is asked to wait on
    the line (1) or be called back (2); they press 2. The next document."""
    assert NOBODY_FREE in spoken(root) and HOLD_CHOICE in spoken(root)
    gather = root.find("Gather")
    assert gather.get("action").startswith("/voice/hold/choice?")
    if case_id is not None:
        assert f"c={case_id}" in gather.get("action")
    return caller.post(gather.get("action"), Digits="2")


def dial_of(root):
    """The <Dial> of a caller's document, checked for its whispered shape; (dial, number)."""
    dial = root.find("Dial")
    assert dial is not None, spoken(root)
    assert dial.get("answerOnBridge") == "true" and dial.get("timeout")
    [number] = list(dial)
    assert number.tag == "Number"
    assert number.get("url").startswith("/voice/whisper?a=")
    assert number.get("statusCallback").startswith("/voice/leg-status?a=")
    assert number.get("statusCallbackEvent") == "initiated ringing answered completed"
    return dial, number


class Leg:
    """The analyst's (or emergency phone's) side of one <Number>."""

    def __init__(self, twilio, caller: Caller, number):
        """The leg Twilio opens for `number`."""
        self.twilio = twilio
        self.number = number
        self.parent = caller.sid
        self.sid = twilio.new_sid()

    def post(self, path: str, **extra):
        """A webhook on the leg's call."""
        params = call_params(self.sid, CALLER, To=self.number.text, ParentCallSid=self.parent,
                             Direction="outbound-dial", **extra)
        return twiml(self.twilio.post(path, params))

    def whisper(self):
        """The callee answered: Twilio fetches the whisper."""
        return self.post(self.number.get("url"))

    def press(self, whisper, digit: str):
        """The callee presses a key at the whisper."""
        return self.post(whisper.find("Gather").get("action"), Digits=digit)

    def status(self, status: str):
        """The leg's status callback; 204."""
        params = call_params(self.sid, CALLER, To=self.number.text, ParentCallSid=self.parent,
                             CallStatus=status)
        response = self.twilio.post(self.number.get("statusCallback"), params)
        assert response.status_code == 204
        return response


def ring(twilio, caller: Caller, root, whisper: str | None):
    """Ring the Dial of `root`; the callee accepts, declines, stays silent or never answers."""
    _dial, number = dial_of(root)
    leg = Leg(twilio, caller, number)
    if whisper is not None:
        doc = leg.whisper()
        assert [child.tag for child in doc] == ["Gather", "Hangup"]
        if whisper == "accept":
            assert list(leg.press(doc, "1")) == []
        elif whisper == "decline":
            assert [child.tag for child in leg.press(doc, "2")] == ["Hangup"]
    return leg


def dial_result(caller: Caller, root, status: str, bridged: str | None, **extra):
    """Twilio requests the Dial's action with how the leg ended."""
    dial, _number = dial_of(root)
    params = {"DialCallStatus": status, "DialCallSid": "CA" + "d" * 32, **extra}
    if bridged is not None:
        params["DialBridged"] = bridged
    return caller.post(dial.get("action"), **params)


def attempts_of(session, sid: str) -> list[DialAttempt]:
    """The call's dial attempts, in order, freshly read."""
    session.expire_all()
    return list(session.scalars(
        select(DialAttempt).where(DialAttempt.call_sid == sid).order_by(DialAttempt.seq)))


def assert_no_analyst_number_said(caller: Caller, count: int = 5) -> None:
    """Rule 9: no analyst's phone, in any form, in anything said to the caller."""
    said = digits_only(caller.heard())
    for i in range(1, count + 1):
        national = analyst_phone(i)[3:]  # 412555xxxx
        assert national not in said and national[-7:] not in said


@pytest.fixture
def three(db):
    """Three available analysts, idle longest first in id order."""
    return add_analysts(db, 3)


# --- every way a leg ends -----------------------------------------------------------------

LEGS = [
    # (whisper, DialCallStatus, DialBridged, leg outcome, taken, misses counted)
    ("accept", "completed", "true", "accepted", True, 0),
    ("accept", "completed", None, "accepted", True, 0),
    ("accept", "completed", "false", "canceled", False, 0),
    ("silent", "completed", "false", "voicemail", False, 1),
    ("silent", "completed", None, "voicemail", False, 1),
    ("decline", "completed", "false", "declined", False, 0),
    ("decline", "completed", None, "declined", False, 0),
    ("decline", "no-answer", "false", "declined", False, 0),
    (None, "busy", "false", "busy", False, 1),
    (None, "no-answer", "false", "no-answer", False, 1),
    (None, "failed", "false", "failed", False, 1),
    (None, "canceled", "false", "canceled", False, 0),
    (None, "no-answer", None, "no-answer", False, 1),
]


@pytest.mark.parametrize(("whisper", "status", "bridged", "outcome", "taken", "misses"), LEGS)
def test_every_way_a_leg_ends(twilio, clock, session, three, whisper, status, bridged, outcome,
                              taken, misses):
    """Taken only with DialBridged=true or our own accept; else release, count, keep looking."""
    clock(OPEN)
    caller = Caller(twilio)
    root = caller.post("/voice/connect?r=1")
    assert dial_of(root)[1].text == analyst_phone(1)
    ring(twilio, caller, root, whisper)
    clock("2026-12-07 09:00:25")
    after = dial_result(caller, root, status, bridged)
    [attempt] = attempts_of(session, caller.sid)
    assert (attempt.analyst_id, attempt.outcome) == (three[0], outcome)
    assert attempt.ended_at == utcnow()
    call = session.get(Call, caller.sid)
    first = analyst_rows(session)[three[0]]
    # After a conversation the analyst has the wrap-up time (WRAP_UP_SECONDS) before the next
    # caller; a leg nobody took frees them at once.
    wrap_up = timedelta(seconds=WRAP_UP) if taken else None
    assert (first.lease_call_sid, first.lease_until) == (None, wrap_up and utcnow() + wrap_up)
    assert first.missed_in_row == misses and first.status == "available"
    case = session.get(Case, call.case_id)
    if taken:
        assert (call.outcome, call.answered_by) == ("answered", f"analyst:{three[0]}")
        assert after.find("Dial") is None and after.find("Hangup") is not None
        assert case.assigned_analyst_id == three[0] and case.callback_state == "done"
        assert call.ring_seconds == 0
    else:
        assert call.outcome is None and call.answered_by is None
        gather = after.find("Gather")
        assert STILL_SEARCHING in spoken(after) and "marque 1" in spoken(gather)
        assert gather.get("action") == f"/voice/connect/choice?c={case.id}"
        assert after.find("Redirect").text == f"/voice/connect/next?c={case.id}"
        assert call.ring_seconds == 25
        nxt = caller.post(after.find("Redirect").text)
        assert dial_of(nxt)[1].text == analyst_phone(2)
    assert_no_analyst_number_said(caller)


def test_whisper_for_a_closed_attempt_hangs_up(twilio, clock, session, three):
    """A whisper fetched after the Dial action closed the leg declines at once."""
    clock(OPEN)
    caller = Caller(twilio)
    root = caller.post("/voice/connect?r=1")
    _dial, number = dial_of(root)
    dial_result(caller, root, "no-answer", "false")
    leg = Leg(twilio, caller, number)
    assert [child.tag for child in leg.whisper()] == ["Hangup"]


@pytest.mark.parametrize(("severity", "words"), [
    (1, "operación detenida"), (2, "parcialmente afectada"), (3, "consulta"),
    (None, "gravedad sin indicar"),
])
def test_whisper_says_company_case_digits_and_severity(twilio, clock, db, three, severity,
                                                       words):
    """The analyst hears company, the case number digit by digit and the severity."""
    clock(OPEN)
    case = make_case(db, "1234561", created=OPEN, severity=severity,
                     company="Ferretería El Tornillo")
    db.commit()
    caller = Caller(twilio)
    root = caller.post(f"/voice/connect?c={case.id}")
    whisper = ring(twilio, caller, root, None).whisper()
    gather = whisper.find("Gather")
    assert (gather.get("numDigits"), gather.get("input")) == ("1", "dtmf")
    said = spoken(gather)
    assert said.startswith("Llamada de Ferretería El Tornillo, caso 1, 2, 3, 4, 5, 6, 1, ")
    assert words in said and "Para aceptar, marque 1" in said
    assert whisper[-1].tag == "Hangup"


def test_whisper_of_unknown_company_and_known_contact(twilio, clock, db, three):
    """A caller known by caller ID: the whisper names their company; otherwise 'sin identificar'."""
    clock(OPEN)
    add_company(db, "Inversiones Ávila", None, utcnow())
    add_contact(db, "Inversiones Ávila", "Ana", "+584145550777", None, None, utcnow())
    db.commit()
    said = []
    for phone in ("+584145550777", CALLER):
        caller = Caller(twilio, phone)
        root = caller.post("/voice/connect?r=1")
        said.append(spoken(ring(twilio, caller, root, None).whisper()))
    assert said[0].startswith("Llamada de Inversiones Ávila, caso ")
    assert said[1].startswith("Llamada de un cliente sin identificar, caso ")


# --- caps, choices, hangups ------------------------------------------------------------------


@pytest.mark.parametrize("cap", [1, 2, 4])
def test_attempt_cap_then_callback_queue(app, twilio, clock, db, session, cap):
    """HUNT_MAX_ATTEMPTS legs, each a different analyst, then the callback queue."""
    configure(app, hunt_max_attempts=cap, hunt_max_seconds=3600)
    add_analysts(db, 5)
    clock(OPEN)
    caller = Caller(twilio)
    root = caller.post("/voice/connect?r=1")
    rung = []
    while root.find("Dial") is not None:
        rung.append(dial_of(root)[1].text)
        root = dial_result(caller, root, "no-answer", "false")
        root = caller.post(root.find("Redirect").text)
    assert rung == [analyst_phone(i) for i in range(1, cap + 1)]
    root = choose_callback(caller, root)
    session.expire_all()
    call = session.get(Call, caller.sid)
    assert (call.outcome, call.attempts) == ("callback", cap)
    assert session.get(Case, call.case_id).callback_state == "pending"
    assert_no_analyst_number_said(caller)


@pytest.mark.parametrize(("elapsed", "dials_again"), [(89, True), (90, False), (400, False)])
def test_time_cap_counts_from_the_first_ring(app, twilio, clock, db, session, elapsed, dials_again):
    """HUNT_MAX_SECONDS after the hunt began no new leg starts: the callback queue instead."""
    configure(app, hunt_max_attempts=10, hunt_max_seconds=90)
    add_analysts(db, 5)
    clock("2026-12-07 09:00:00")
    caller = Caller(twilio)
    root = caller.post("/voice/connect?r=1")
    clock("2026-12-07 09:00:20")
    root = dial_result(caller, root, "no-answer", "false")
    root = caller.post(root.find("Redirect").text)
    assert dial_of(root)[1].text == analyst_phone(2)
    clock(str(datetime(2026, 12, 7, 9, 0) + timedelta(seconds=elapsed)))
    root = dial_result(caller, root, "no-answer", "false")
    root = caller.post(root.find("Redirect").text)
    assert (root.find("Dial") is not None) == dials_again
    if not dials_again:
        choose_callback(caller, root)
    session.expire_all()
    call = session.get(Call, caller.sid)
    assert call.outcome == (None if dials_again else "callback")
    assert call.attempts == (3 if dials_again else 2)


def test_press_1_while_searching_asks_for_a_callback(twilio, clock, db, session, three):
    """'Seguimos buscando… marque 1': the case is queued with its promise; no more rings."""
    clock(OPEN)
    case = make_case(db, "7654325", created=OPEN, severity=2)
    db.commit()
    caller = Caller(twilio)
    root = dial_result(caller, caller.post(f"/voice/connect?c={case.id}"), "busy", "false")
    root = caller.post(root.find("Gather").get("action"), Digits="1")
    assert root.find("Dial") is None and root.find("Hangup") is not None
    said = spoken(root)
    assert NOBODY_FREE in said and "antes de" in said and "7, 6, 5, 4, 3, 2, 5" in said
    session.expire_all()
    call = session.get(Call, caller.sid)
    assert (call.outcome, call.attempts) == ("callback", 1)
    case = session.get(Case, case.id)
    assert case.callback_state == "pending" and case.due_at is not None
    assert all(a.lease_call_sid is None for a in analyst_rows(session).values())
    assert_no_analyst_number_said(caller)


def test_press_1_before_reporting_takes_the_report(twilio, clock, session, three):
    """A caller with no report yet who asks for a callback is taken to the report first: it
    picks up with what the case lacks."""
    clock(OPEN)
    caller = Caller(twilio)
    root = dial_result(caller, caller.post("/voice/connect?r=1"), "no-answer", "false")
    root = caller.post(root.find("Gather").get("action"), Digits="1")
    assert NOBODY_FREE in spoken(root)
    case = session.scalars(select(Case)).one()
    assert root.find("Redirect").text == f"/voice/report/resume?c={case.id}"
    resumed = caller.post(root.find("Redirect").text)
    assert ", ".join(case.number) in spoken(resumed)
    assert resumed.find("Gather").get("action").startswith("/voice/report/field?")


def test_press_2_while_searching_keeps_looking(twilio, clock, session, three):
    """Any other key rings the next analyst at once."""
    clock(OPEN)
    caller = Caller(twilio)
    root = dial_result(caller, caller.post("/voice/connect?r=1"), "no-answer", "false")
    root = caller.post(root.find("Gather").get("action"), Digits="2")
    assert dial_of(root)[1].text == analyst_phone(2)


@pytest.mark.parametrize(("whisper", "status", "bridged"), [
    (None, "canceled", "false"),       # hung up while it rang
    ("silent", "completed", "false"),  # hung up while the analyst heard the whisper
    (None, "no-answer", "false"),
])
def test_caller_hangs_up_while_ringing(twilio, clock, session, three, whisper, status, bridged):
    """The caller left: outcome abandoned, analyst free, no miss counted, nothing rung next."""
    clock(OPEN)
    caller = Caller(twilio)
    root = caller.post("/voice/connect?r=1")
    ring(twilio, caller, root, whisper)
    after = dial_result(caller, root, status, bridged, CallStatus="completed")
    assert after.find("Dial") is None and after.find("Redirect") is None
    session.expire_all()
    call = session.get(Call, caller.sid)
    assert (call.outcome, call.attempts) == ("abandoned", 1)
    [attempt] = attempts_of(session, caller.sid)
    assert attempt.outcome == "canceled"
    first = analyst_rows(session)[three[0]]
    assert (first.lease_call_sid, first.missed_in_row) == (None, 0)


def test_never_the_same_analyst_twice_in_one_call(app, twilio, clock, session, three):
    """With more attempts allowed than analysts, each is rung once, then the callback queue."""
    configure(app, hunt_max_attempts=10, hunt_max_seconds=3600)
    clock(OPEN)
    caller = Caller(twilio)
    root = caller.post("/voice/connect?r=1")
    rung = []
    for whisper, status in (("decline", "completed"), (None, "busy"), ("silent", "completed")):
        rung.append(dial_of(root)[1].text)
        ring(twilio, caller, root, whisper)
        root = caller.post(dial_result(caller, root, status, "false").find("Redirect").text)
    assert rung == [analyst_phone(i) for i in (1, 2, 3)]
    assert root.find("Dial") is None and NOBODY_FREE in spoken(root)
    assert all(a.lease_call_sid is None for a in analyst_rows(session).values())


# --- lost and replayed webhooks --------------------------------------------------------------


@pytest.mark.parametrize(("whisper", "status", "bridged"), [
    (None, "no-answer", "false"), ("silent", "completed", "false"),
    ("accept", "completed", "true"),
])
def test_replayed_dial_action_counts_once(twilio, clock, session, three, whisper, status,
                                          bridged):
    """The Dial action three times: one miss at most, one attempt, ring time counted once."""
    clock(OPEN)
    caller = Caller(twilio)
    root = caller.post("/voice/connect?r=1")
    ring(twilio, caller, root, whisper)
    clock("2026-12-07 09:00:20")
    docs = [dial_result(caller, root, status, bridged) for _ in range(3)]
    assert len({spoken(doc) for doc in docs}) == 1
    session.expire_all()
    call = session.get(Call, caller.sid)
    assert call.attempts == 1 and len(attempts_of(session, caller.sid)) == 1
    assert call.ring_seconds == (0 if bridged == "true" else 20)
    assert analyst_rows(session)[three[0]].missed_in_row == (0 if bridged == "true" else 1)


@pytest.mark.parametrize("step", ["start", "next"])
def test_replayed_hunt_step_rings_the_same_analyst(twilio, clock, session, three, step):
    """A retried /voice/connect or /connect/next answers the same Dial: no second claim."""
    clock(OPEN)
    caller = Caller(twilio)
    path = "/voice/connect?r=1"
    root = caller.post(path)
    if step == "next":
        path = dial_result(caller, root, "no-answer", "false").find("Redirect").text
        root = caller.post(path)
    again = caller.post(path)
    assert dial_of(again)[1].text == dial_of(root)[1].text
    assert dial_of(again)[0].get("action") == dial_of(root)[0].get("action")
    session.expire_all()
    expected = 1 if step == "start" else 2
    assert session.get(Call, caller.sid).attempts == expected
    assert len(attempts_of(session, caller.sid)) == expected
    leased = [a.id for a in analyst_rows(session).values() if a.lease_call_sid]
    assert leased == [three[expected - 1]]


@pytest.mark.parametrize("status", ["completed", "busy", "no-answer", "failed", "canceled"])
def test_leg_status_releases_when_dial_action_is_lost(twilio, clock, db, session, status):
    """The leg's final status callback frees the analyst even if the Dial action never comes."""
    [only] = add_analysts(db, 1)
    clock(OPEN)
    caller = Caller(twilio)
    leg = ring(twilio, caller, caller.post("/voice/connect?r=1"), None)
    for progress in ("initiated", "ringing", "in-progress"):
        leg.status(progress)
        assert analyst_rows(session)[only].lease_call_sid == caller.sid
    leg.status(status)
    assert analyst_rows(session)[only].lease_call_sid is None
    other = Caller(twilio, "+584125550124")
    assert dial_of(other.post("/voice/connect?r=1"))[1].text == analyst_phone(1)


def test_late_leg_status_leaves_a_later_calls_lease(twilio, clock, db, session):
    """A late status callback of an old leg does not free the analyst from a newer call."""
    [only] = add_analysts(db, 1)
    clock(OPEN)
    first = Caller(twilio)
    root = first.post("/voice/connect?r=1")
    leg = ring(twilio, first, root, None)
    dial_result(first, root, "no-answer", "false")
    second = Caller(twilio, "+584125550124")
    dial_of(second.post("/voice/connect?r=1"))
    leg.status("completed")
    assert analyst_rows(session)[only].lease_call_sid == second.sid


def test_lost_callbacks_lease_expires(twilio, clock, db, session):
    """No Dial action, no status callback: after the lease the analyst is free again."""
    [only] = add_analysts(db, 1)
    clock("2026-12-07 09:00:00")
    dial_of(Caller(twilio).post("/voice/connect?r=1"))
    lease = 20 + LEASE_MARGIN_SECONDS  # DIAL_TIMEOUT + margin
    clock(f"2026-12-07 09:00:{lease - 1:02d}")
    assert Caller(twilio, "+584125550124").post("/voice/connect?r=1").find("Dial") is None
    clock(f"2026-12-07 09:00:{lease:02d}")
    later = Caller(twilio, "+584125550125")
    assert dial_of(later.post("/voice/connect?r=1"))[1].text == analyst_phone(1)
    assert analyst_rows(session)[only].lease_call_sid == later.sid


def test_accept_extends_the_lease_to_the_call_length(twilio, clock, db, session):
    """Once accepted the analyst stays busy for DIAL_TIME_LIMIT (plus the margin)."""
    [only] = add_analysts(db, 1)
    clock(OPEN)
    caller = Caller(twilio)
    ring(twilio, caller, caller.post("/voice/connect?r=1"), "accept")
    row = analyst_rows(session)[only]
    assert row.lease_until == utcnow() + timedelta(seconds=3600 + LEASE_MARGIN_SECONDS)
    clock("2026-12-07 09:05")
    assert Caller(twilio, "+584125550124").post("/voice/connect?r=1").find("Dial") is None


def test_misses_in_a_row_set_the_analyst_away(twilio, clock, db, session):
    """The only analyst misses three calls: away, and the fourth caller goes to the queue."""
    [only] = add_analysts(db, 1)
    clock(OPEN)
    for n, (whisper, status) in enumerate(((None, "no-answer"), ("silent", "completed"),
                                           (None, "busy"))):
        caller = Caller(twilio, f"+58412555{n + 200:04d}")
        root = caller.post("/voice/connect?r=1")
        ring(twilio, caller, root, whisper)
        dial_result(caller, root, status, "false")
    row = analyst_rows(session)[only]
    assert (row.status, row.away_notice, row.missed_in_row) == ("away", True, 3)
    assert NOBODY_FREE in spoken(Caller(twilio).post("/voice/connect?r=1"))


# --- the emergency phones ------------------------------------------------------------------


@pytest.fixture
def emergency_phones(db):
    """The procedure's two emergency phones, in order; their ids."""
    ids = [add_emergency(db, name, phone, None, utcnow()).id
           for name, phone in (("Filippo", "(0414) 014.39.13"), ("Birmania", "(0414) 032.01.51"))]
    db.commit()
    return ids


@pytest.mark.parametrize("first_leg", [
    (None, "no-answer", "false"), ("decline", "completed", "false"),
    ("silent", "completed", None), (None, "busy", "false"),
])
def test_emergency_answered_by_the_second_phone(twilio, clock, session, emergency_phones,
                                                first_leg):
    """Out of hours the emergency phones ring in order; the second accepts."""
    clock("2026-12-07 21:00")
    caller = Caller(twilio)
    root = caller.post("/voice/emergency?r=1")
    assert dial_of(root)[1].text == "+584140143913"
    whisper, status, bridged = first_leg
    ring(twilio, caller, root, whisper)
    root = caller.post(dial_of(root)[0].get("action"), DialCallStatus=status,
                       **({"DialBridged": bridged} if bridged else {}))
    assert dial_of(root)[1].text == "+584140320151"
    ring(twilio, caller, root, "accept")
    done = dial_result(caller, root, "completed", "true")
    assert done.find("Hangup") is not None
    session.expire_all()
    call = session.get(Call, caller.sid)
    assert (call.outcome, call.answered_by) == ("emergency-answered",
                                                f"emergency:{emergency_phones[1]}")
    assert [a.emergency_contact_id for a in attempts_of(session, caller.sid)] == emergency_phones
    assert "0414" not in caller.heard() and "4140143913" not in digits_only(caller.heard())


def test_emergency_nobody_then_urgent_message_first_in_queue(twilio, clock, db, session,
                                                             emergency_phones):
    """Nobody accepts: the caller records a message; the urgent case heads the callback queue."""
    clock("2026-12-07 10:00")
    make_case(db, "1111118", created="2026-12-01 09:00", due="2026-12-01 11:00", severity=1)
    make_case(db, "2222226", created="2026-12-07 09:00", severity=1, company="Banco X",
              contract_hours=1)
    db.commit()
    clock("2026-12-07 21:00")
    caller = Caller(twilio)
    root = caller.post("/voice/emergency?r=1")
    for status in ("no-answer", "failed"):
        root = dial_result(caller, root, status, "false")
    assert "No logramos comunicarle" in spoken(root)
    record = root.find("Record")
    caller.post(record.get("action"), RecordingSid="RE" + "1" * 32,
                RecordingUrl="https://api.twilio.com/RE1", RecordingDuration="30")
    assert "urgente" in caller.heard() and "le llamaremos en menos de una hora" in caller.heard()
    session.expire_all()
    call = session.get(Call, caller.sid)
    assert call.outcome == "emergency-message" and call.answered_by is None
    queue = [case.number for case, _contract in callback_queue(db, utcnow())]
    urgent = session.get(Case, call.case_id)
    assert urgent.urgent and queue[0] == urgent.number
    assert queue[1:] == ["1111118", "2222226"]


def test_replayed_emergency_start_rings_the_first_phone_again(twilio, clock, session,
                                                              emergency_phones):
    """A retried /voice/emergency keeps the order: the first phone, not the second."""
    clock("2026-12-07 21:00")
    caller = Caller(twilio)
    first = caller.post("/voice/emergency?r=1")
    again = caller.post("/voice/emergency?r=1")
    assert dial_of(again)[1].text == dial_of(first)[1].text == "+584140143913"
    assert session.scalar(select(func.count()).select_from(DialAttempt)) == 1


def test_analyst_numbers_absent_from_a_whole_hunt(app, twilio, clock, db, session):
    """A full hunt to the callback queue never says an analyst's number to the caller."""
    configure(app, hunt_max_attempts=5, hunt_max_seconds=3600)
    add_analysts(db, 5)
    clock(OPEN)
    caller = Caller(twilio)
    root = caller.post("/voice/connect?r=1")
    while root.find("Dial") is not None:
        root = caller.post(dial_result(caller, root, "busy", "false").find("Redirect").text)
    assert NOBODY_FREE in caller.heard()
    assert_no_analyst_number_said(caller)
    assert session.scalar(select(func.count()).select_from(Analyst)
                          .where(Analyst.lease_call_sid.is_not(None))) == 0
