"""Menu 2: a new fault, from the first step to the read-back; nothing lost on a hangup."""

from __future__ import annotations

from sqlalchemy import func, select

from ivr.models import Case, Recording
from tests.conftest import call_params, spoken, twiml


def follow(twilio, sid, root, **answer):
    """Answer the document's Gather (or follow its Redirect) the way Twilio would."""
    gather = root.find("Gather")
    record = root.find("Record")
    if record is not None:
        url = record.get("action")
    elif gather is not None and answer:
        url = gather.get("action")
    else:
        url = root.find("Redirect").text
    return twiml(twilio.post(url, call_params(sid, **answer)))


def test_full_report_closed_hours(twilio, clock, session):
    """An unknown caller reports a fault at night and leaves with a case and a due time."""
    clock("2026-12-07 20:00")
    sid = twilio.new_sid()
    root = twiml(twilio.post("/voice/incoming", call_params(sid)))
    root = follow(twilio, sid, root, Digits="2")
    root = follow(twilio, sid, root)  # the redirect to /voice/report
    case = session.scalars(select(Case)).one()
    assert case.status == "incomplete"
    assert ", ".join(case.number) in spoken(root)
    root = follow(twilio, sid, root, SpeechResult="Empresa Demo")
    root = follow(twilio, sid, root, SpeechResult="María Pérez")
    root = follow(twilio, sid, root, SpeechResult="Gerente de sistemas")
    root = follow(twilio, sid, root, SpeechResult="maria punto perez arroba example punto com")
    root = follow(twilio, sid, root, Digits="1")  # same number
    root = follow(twilio, sid, root, Digits="1")  # operation stopped
    assert root.find("Record") is not None
    root = follow(twilio, sid, root, RecordingSid="RE1", RecordingUrl="https://x/RE1",
                  RecordingDuration="31", Digits="#")
    assert "le llamará antes de" in spoken(root)
    session.expire_all()
    case = session.scalars(select(Case)).one()
    assert (case.company_name, case.caller_name, case.caller_position) == (
        "Empresa Demo", "María Pérez", "Gerente de sistemas")
    assert case.email == "maria.perez@example.com"
    assert case.callback_number == "+584125550123"
    assert case.severity == 1 and case.status == "received"
    assert case.out_of_hours and case.due_at is not None
    rec = session.scalars(select(Recording)).one()
    assert (rec.case_id, rec.kind, rec.duration) == (case.id, "description", 31)


def test_hangup_during_recording_keeps_everything(twilio, clock, session):
    """Digits=hangup on the Record action still stores the recording and completes the case."""
    clock("2026-12-07 20:00")
    sid = twilio.new_sid()
    twiml(twilio.post("/voice/report?r=1", call_params(sid)))
    case = session.scalars(select(Case)).one()
    response = twilio.post(f"/voice/report/recorded?c={case.id}", call_params(
        sid, RecordingSid="RE2", RecordingUrl="https://x/RE2", RecordingDuration="12",
        Digits="hangup", CallStatus="completed"))
    twiml(response)
    for _ in range(3):  # replays
        twilio.post(f"/voice/report/recorded?c={case.id}", call_params(
            sid, RecordingSid="RE2", RecordingUrl="https://x/RE2", RecordingDuration="12",
            Digits="hangup", CallStatus="completed"))
    twilio.post(f"/voice/recording-status?c={case.id}&k=description", call_params(
        sid, RecordingSid="RE2", RecordingStatus="completed", RecordingUrl="https://x/RE2"))
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    rec = session.scalars(select(Recording)).one()
    assert rec.status == "completed" and rec.case_id == case.id
    assert session.get(Case, case.id).status == "received"
