"""When anything fails, the caller still reaches a person: the fallback phones in order."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ivr.store.models import Call
from tests.conftest import call_params, spoken, twiml

FALLBACK = ["+584140143913", "+584140320151"]


def assert_dials_fallback(root, index=0):
    """The document dials fallback phone `index` with a whisper and a next-step action."""
    dial = root.find("Dial")
    assert dial is not None
    assert dial.get("action") == f"/voice/fallback/next?i={index}"
    assert dial.get("answerOnBridge") == "true"
    number = dial.find("Number")
    assert number.text == FALLBACK[index]
    assert number.get("url") == "/voice/fallback/whisper"


@pytest.mark.parametrize("extra", [{}, {"ErrorCode": "11200",
                                        "ErrorUrl": "https://x.example/voice/incoming"}])
def test_fallback_url_dials_fallback_numbers(twilio, extra):
    """/voice/fallback apologises and rings the first fallback phone."""
    root = twiml(twilio.post("/voice/fallback", call_params(twilio.new_sid(), **extra)))
    assert "inconveniente técnico" in spoken(root)
    assert_dials_fallback(root, 0)


def test_fallback_chain_goes_through_the_list(twilio):
    """No answer on the first phone rings the second; then a message is recorded."""
    sid = twilio.new_sid()
    root = twiml(twilio.post("/voice/fallback/next?i=0",
                             call_params(sid, DialCallStatus="no-answer", DialBridged="false")))
    assert_dials_fallback(root, 1)
    root = twiml(twilio.post("/voice/fallback/next?i=1",
                             call_params(sid, DialCallStatus="completed", DialBridged="false")))
    assert root.find("Dial") is None
    assert "no pudimos comunicarle" in spoken(root)
    record = root.find("Record")
    assert record.get("action") == "/voice/offline/recorded"
    assert record.get("recordingStatusCallback") == "/voice/offline/recording-status"


def test_fallback_chain_stops_when_bridged(twilio):
    """A bridged call ends the chain."""
    root = twiml(twilio.post("/voice/fallback/next?i=0", call_params(
        twilio.new_sid(), DialCallStatus="completed", DialBridged="true")))
    assert root.find("Dial") is None and root.find("Hangup") is not None


def test_fallback_whisper_keeps_voicemail_out(twilio):
    """The whisper asks for 1 and hangs up on silence; 1 bridges, anything else declines."""
    root = twiml(twilio.post("/voice/fallback/whisper", call_params(twilio.new_sid())))
    children = list(root)
    assert [c.tag for c in children] == ["Gather", "Hangup"]
    assert children[0].get("numDigits") == "1"
    accept = children[0].get("action")
    assert list(twiml(twilio.post(accept, call_params(twilio.new_sid(), Digits="1")))) == []
    declined = twiml(twilio.post(accept, call_params(twilio.new_sid(), Digits="2")))
    assert declined.find("Hangup") is not None


def test_exception_in_handler_answers_fallback(app, twilio, session, monkeypatch, clock):
    """A bug inside a handler rolls back and still routes the caller."""
    import ivr.voice.menu as menu

    clock("2026-12-07 09:00")

    def boom(*_args, **_kwargs):
        """Fail like a bug would."""
        raise RuntimeError("injected")

    monkeypatch.setattr(menu, "find_contact", boom)
    state = app.extensions["ivr"]
    before = state.apologies
    root = twiml(twilio.post("/voice/incoming", call_params(twilio.new_sid())))
    assert_dials_fallback(root, 0)
    assert state.apologies == before + 1
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Call)) == 0  # rolled back


def test_status_callbacks_only_move_forward(twilio, session, clock):
    """A late 'ringing' never overwrites 'completed'; the duration is kept."""
    clock("2026-12-07 09:00")
    sid = twilio.new_sid()
    twiml(twilio.post("/voice/incoming", call_params(sid)))
    done = twilio.post("/voice/status", call_params(sid, CallStatus="completed",
                                                    CallDuration="42", SequenceNumber="3"))
    assert done.status_code == 204
    late = twilio.post("/voice/status", call_params(sid, CallStatus="ringing",
                                                    SequenceNumber="1"))
    assert late.status_code == 204
    call = session.get(Call, sid)
    assert call.status == "completed" and call.duration == 42 and call.ended_at is not None


def test_status_callback_for_unknown_call_creates_its_row(twilio, session, clock):
    """A status callback that arrives before (or without) any voice webhook is kept."""
    clock("2026-12-07 09:00")
    sid = twilio.new_sid()
    response = twilio.post("/voice/status", call_params(sid, CallStatus="no-answer"))
    assert response.status_code == 204
    assert session.get(Call, sid).status == "no-answer"


@pytest.mark.parametrize("params", [{}, {"CallStatus": "weird"}, {"SequenceNumber": "x" * 50}])
def test_odd_status_callbacks_answer_204(twilio, params):
    """Odd or empty status callbacks never fail."""
    response = twilio.post("/voice/status", params)
    assert response.status_code == 204
