"""Callbacks out of order: before the action they follow, after the call ended, for nobody.

Twilio guarantees neither the order nor the arrival of status callbacks. Each scenario posts
the requests of one step in an order Twilio may use and checks that every answer is 200
TwiML (204 for callbacks), that the apology handler is never reached, and what is stored.
(The description recording in the three basic orders, and a recording callback for an
unknown call, are in test_voice_report.py; a lost Dial action freed by the leg status is in
test_hunting.py.)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from ivr.services.replay import offline_case_number
from ivr.store.models import Analyst, Call, Case, DialAttempt, Recording
from ivr.voice.offline import replay_spool
from tests.call_walker import database_gone
from tests.conftest import NoBackgroundReplay, call_params, twiml
from tests.routing_support import add_analysts

OPEN, CLOSED = "2026-12-07 09:00", "2026-12-07 21:00"
CALLER = "+584125550123"

# Record kinds: the Record action's URL and the recording status callback's kind.
RECORD_KINDS = {
    "company": "/voice/report/field-recorded?f=company&c={c}",
    "description": "/voice/report/recorded?c={c}",
    "addendum": "/voice/case/addendum?c={c}",
    "emergency": "/voice/emergency/recorded?c={c}",
}
ORDERS = ["callback-first", "after-call-ended", "callback-only", "action-after-call-ended",
          "callback-then-end-then-action"]
COVERED_ELSEWHERE = {("description", o) for o in ("callback-first", "after-call-ended",
                                                  "callback-only")}


@pytest.fixture
def no_apologies(app):
    """Every scenario ends without the apology handler or a degraded answer."""
    yield
    assert app.extensions["ivr"].apologies == 0
    assert app.extensions["ivr"].degraded == 0


def post_callback(twilio, path: str, params: dict) -> None:
    """A callback: 204 and an empty body, three times (replays are normal)."""
    for _ in range(3):
        response = twilio.post(path, params)
        assert response.status_code == 204 and response.data == b"", (path, response.data)


def end_call(twilio, sid: str) -> None:
    """The call's final status callback."""
    post_callback(twilio, "/voice/status", call_params(sid, CallStatus="completed",
                                                       CallDuration="80", SequenceNumber="4"))


@pytest.mark.parametrize("kind", list(RECORD_KINDS))
def test_recording_status_in_any_order(twilio, session, clock, no_apologies, kind):
    """The Record action and its status callback merge into one recording, in any order."""
    clock(CLOSED)
    for order in ORDERS:
        if (kind, order) not in COVERED_ELSEWHERE:
            one_recording_in_order(twilio, session, kind, order)


def one_recording_in_order(twilio, session, kind: str, order: str) -> None:
    """One call's report, its Record action, recording callback and final status in `order`."""
    sid = twilio.new_sid()
    twiml(twilio.post("/voice/report?r=1", call_params(sid)))
    case = session.scalars(select(Case).where(Case.origin_call_sid == sid)).one()
    action = RECORD_KINDS[kind].format(c=case.id)
    recording = f"RE{kind}{order}"[:34]
    callback = call_params(sid, RecordingSid=recording, RecordingStatus="completed",
                           RecordingUrl=f"https://x/{recording}", RecordingDuration="15")
    hangup = {"CallStatus": "completed", "Digits": "hangup"}
    form = call_params(sid, RecordingSid=recording, RecordingUrl=f"https://x/{recording}",
                       RecordingDuration="15", **(hangup if "ended" in order else {"Digits": "#"}))
    status_url = f"/voice/recording-status?c={case.id}&k={kind}"
    steps = {
        "callback-first": ["callback", "action", "end"],
        "after-call-ended": ["action", "end", "callback"],
        "callback-only": ["end", "callback"],
        "action-after-call-ended": ["end", "action"],
        "callback-then-end-then-action": ["callback", "end", "action"],
    }[order]
    for step in steps:
        if step == "callback":
            post_callback(twilio, status_url, callback)
        elif step == "end":
            end_call(twilio, sid)
        else:
            for _ in range(2):
                twiml(twilio.post(action, form))
    session.expire_all()
    [rec] = session.scalars(select(Recording).where(Recording.call_sid == sid)).all()
    got_callback = "callback" in steps
    assert (rec.recording_sid, rec.case_id, rec.kind, rec.duration) == (
        recording, case.id, kind, 15), order
    assert rec.status == ("completed" if got_callback else "in-progress"), order
    assert rec.url == f"https://x/{recording}", order
    call = session.get(Call, sid)
    assert call.status == "completed" and call.duration == 80, order
    case = session.get(Case, case.id)
    if "action" in steps and kind in ("description", "emergency"):
        assert case.status == "received", order  # the report is complete
    assert session.scalars(select(Case.id).where(Case.origin_call_sid == sid)).all() == [
        case.id], order


def test_recording_status_for_an_unknown_call(twilio, session, clock, no_apologies):
    """A callback for a call never seen (even naming a case, or an odd kind) is kept once."""
    clock(OPEN)
    queries = ["?k=description", "?c=999999&k=addendum", "?c=1&k=emergency",
               "?c=-1&k=" + "x" * 40]
    for i, query in enumerate(queries):
        sid = twilio.new_sid()
        post_callback(twilio, f"/voice/recording-status{query}", call_params(
            sid, RecordingSid=f"RE-unknown-{i}", RecordingStatus="failed"))
        session.expire_all()
        rec = session.scalars(select(Recording).where(Recording.call_sid == sid)).one()
        assert (rec.recording_sid, rec.status, rec.case_id) == (f"RE-unknown-{i}", "failed",
                                                                None)
        assert len(rec.kind) <= 16
    assert session.scalars(select(Case)).all() == []


# --- legs: whisper, leg status and Dial action in any order --------------------------------


@pytest.fixture
def ringing(twilio, db, clock):
    """A caller put through to the only analyst: (caller sid, attempt id, analyst id)."""
    [analyst] = add_analysts(db, 1)
    clock(OPEN)
    sid = twilio.new_sid()
    root = twiml(twilio.post("/voice/connect?r=1", call_params(sid)))
    number = root.find("Dial/Number")
    attempt = int(number.get("url").rsplit("=", 1)[1])
    return sid, attempt, analyst


def leg(twilio, sid: str, path: str, **extra):
    """A request on the analyst's leg."""
    return twilio.post(path, call_params("CA" + "7" * 32, "+15005550006", ParentCallSid=sid,
                                         Direction="outbound-dial", **extra))


def analyst_row(session, analyst_id: int) -> Analyst:
    """The analyst, freshly read."""
    session.expire_all()
    return session.get(Analyst, analyst_id)


def test_leg_status_before_the_dial_action(twilio, session, ringing, no_apologies):
    """The leg's no-answer arrives first: freed once, the miss counted once, caller goes on."""
    sid, attempt, analyst = ringing
    post_callback(twilio, f"/voice/leg-status?a={attempt}", call_params(
        "CA" + "7" * 32, CallStatus="no-answer", ParentCallSid=sid))
    assert analyst_row(session, analyst).lease_call_sid is None
    for _ in range(3):
        root = twiml(twilio.post(f"/voice/connect/result?a={attempt}", call_params(
            sid, DialCallStatus="no-answer", DialBridged="false")))
        assert root.find("Gather") is not None  # still searching / callback offer
    row = analyst_row(session, analyst)
    assert row.lease_call_sid is None and row.missed_in_row == 1
    assert session.get(DialAttempt, attempt).outcome == "no-answer"


def test_whisper_after_the_dial_action_hangs_up(twilio, session, ringing, no_apologies):
    """A whisper (or its answer) that comes after the Dial ended never bridges or re-leases."""
    sid, attempt, analyst = ringing
    twiml(twilio.post(f"/voice/connect/result?a={attempt}", call_params(
        sid, DialCallStatus="no-answer", DialBridged="false")))
    for path, extra in ((f"/voice/whisper?a={attempt}", {}),
                        (f"/voice/whisper/answer?a={attempt}", {"Digits": "1"})):
        root = twiml(leg(twilio, sid, path, **extra))
        assert [child.tag for child in root] == ["Hangup"]
    session.expire_all()
    assert session.get(DialAttempt, attempt).outcome == "no-answer"
    assert analyst_row(session, analyst).lease_call_sid is None


def test_dial_action_after_the_call_ended(twilio, session, ringing, no_apologies):
    """Caller gone (final status first), then the Dial action: freed, and nobody 'missed' it."""
    sid, attempt, analyst = ringing
    end_call(twilio, sid)
    root = twiml(twilio.post(f"/voice/connect/result?a={attempt}", call_params(
        sid, DialCallStatus="canceled", DialBridged="false", CallStatus="completed")))
    assert root.find("Dial") is None
    row = analyst_row(session, analyst)
    assert row.lease_call_sid is None and row.missed_in_row == 0
    assert session.get(Call, sid).status == "completed"


def test_accept_then_status_then_dial_action(twilio, session, ringing, no_apologies):
    """Accepted at the whisper, the leg's 'completed' before the Dial action: answered once."""
    sid, attempt, analyst = ringing
    twiml(leg(twilio, sid, f"/voice/whisper?a={attempt}"))
    assert list(twiml(leg(twilio, sid, f"/voice/whisper/answer?a={attempt}", Digits="1"))) == []
    post_callback(twilio, f"/voice/leg-status?a={attempt}", call_params(
        "CA" + "7" * 32, CallStatus="completed", ParentCallSid=sid))
    assert analyst_row(session, analyst).lease_call_sid is None
    end_call(twilio, sid)
    twiml(twilio.post(f"/voice/connect/result?a={attempt}", call_params(
        sid, DialCallStatus="completed", DialBridged="true", CallStatus="completed")))
    session.expire_all()
    call = session.get(Call, sid)
    assert (call.outcome, call.status) == ("answered", "completed")
    assert session.get(DialAttempt, attempt).outcome == "accepted"
    assert analyst_row(session, analyst).lease_call_sid is None


LEG_PATHS = ["/voice/connect/result", "/voice/emergency/result", "/voice/whisper",
             "/voice/whisper/answer", "/voice/connect/next", "/voice/connect/choice",
             "/voice/emergency/recorded", "/voice/case/addendum", "/voice/report/recorded"]


def test_steps_naming_nothing_end_politely(twilio, clock, session, no_apologies):
    """Steps naming an attempt or case that does not exist end politely, dialling nobody."""
    clock(OPEN)
    for path in LEG_PATHS:
        for query in ("", "?a=999999", "?c=999999", "?a=0&c=0"):
            root = twiml(twilio.post(path + query, call_params(
                twilio.new_sid(), Digits="1", DialCallStatus="completed", RecordingSid="RE-x")))
            assert root.find("Dial") is None and root.find("Record") is None, (path, query)
    assert session.scalars(select(Case)).all() == []


def test_status_callbacks_before_the_first_webhook(twilio, session, clock, no_apologies):
    """The final status before the Voice URL request: the call is answered, still 'completed'."""
    clock(OPEN)
    sid = twilio.new_sid()
    end_call(twilio, sid)
    root = twiml(twilio.post("/voice/incoming", call_params(sid)))
    assert root.find("Gather") is not None
    session.expire_all()
    call = session.get(Call, sid)
    assert (call.status, call.duration, call.from_number) == ("completed", 80, CALLER)


# --- offline: callbacks spooled in any order, replayed ------------------------------------


@pytest.mark.parametrize("order", ["callback-first", "action-first", "status-first"])
def test_offline_message_callbacks_in_any_order_are_replayed(app, twilio, session, clock,
                                                            order):
    """Offline: message, its recording status and the call's status spooled in any order."""
    app.extensions["ivr"].replayer = NoBackgroundReplay()  # the test replays, and counts
    clock(CLOSED)
    twiml(twilio.post("/voice/incoming", call_params(twilio.new_sid())))  # schedule cached
    sid = twilio.new_sid()
    recorded = call_params(sid, RecordingSid="RE-off", RecordingUrl="https://x/RE-off",
                           RecordingDuration="20", Digits="#")
    status = call_params(sid, RecordingSid="RE-off", RecordingStatus="completed")
    with database_gone(app):
        requests = {
            "recorded": ("/voice/offline/recorded", recorded),
            "callback": ("/voice/offline/recording-status", status),
            "status": ("/voice/status", call_params(sid, CallStatus="completed",
                                                    CallDuration="33", SequenceNumber="2")),
        }
        sequence = {"callback-first": ["callback", "recorded", "status"],
                    "action-first": ["recorded", "status", "callback"],
                    "status-first": ["status", "callback", "recorded"]}[order]
        for name in sequence:
            path, params = requests[name]
            response = twilio.post(path, params)
            if name == "recorded":
                root = twiml(response)
                spoken_number = offline_case_number(sid)
                assert ", ".join(spoken_number) in ET.tostring(root, encoding="unicode")
            else:
                assert response.status_code == 204
    assert replay_spool(app) == 3
    assert app.extensions["ivr"].apologies == 0
    session.expire_all()
    case = session.scalars(select(Case).where(Case.origin_call_sid == sid)).one()
    assert case.number == offline_case_number(sid) and case.status == "received"
    rec = session.scalars(select(Recording)).one()
    assert (rec.case_id, rec.status, rec.url) == (case.id, "completed", "https://x/RE-off")
    assert session.get(Call, sid).status == "completed"
