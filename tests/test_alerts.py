"""Emergency alerts (rule 1.2) on a Saturday night under a moved clock: the emergency message
alerts both emergency phones at once (SMS to each, then calls in order) until one takes the
case by pressing 1; the others are told. Nobody takes it: the round repeats, then the
coordinator gets an e-mail. The worker is `outbox run-once`, against the fake of Twilio."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from ivr.config import Secret
from ivr.domain.clock import utcnow
from ivr.domain.statuses import AlertStatus
from ivr.services import alerts
from ivr.services.cases import get_case
from ivr.services.directory import add_analyst, add_emergency
from ivr.store.models import Alert, Case, OutboxMessage
from ivr.store.tx import transaction
from tests.cli_support import ok
from tests.conftest import call_params, spoken, twiml
from tests.routing_support import configure
from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, sent_messages

FILIPPO, BIRMANIA = "+584140143913", "+584140320151"
LINE = "+15005550006"
CALLER = "+584125550123"


@pytest.fixture
def line(app, db, twilio_api):
    """The procedure's two emergency phones (Birmania is an analyst too), the worker's
    accounts on the fake, the coordinator's address; Twilio's clock is the test's."""
    add_emergency(db, "Filippo Maniscalco", "(0414) 014.39.13", None, utcnow())
    add_emergency(db, "Birmania Muñoz", "(0414) 032.01.51", None, utcnow())
    analyst = add_analyst(db, "Birmania Muñoz", "04140320151", None, utcnow())
    db.commit()
    configure(app, twilio_account_sid=ACCOUNT_SID, twilio_api_url=twilio_api.url,
              twilio_auth_token=Secret(AUTH_TOKEN), sms_from="+12125550100",
              callback_caller_id=LINE, coordinator_email="coordinacion@ccoapoyo.com",
              alert_round_minutes=15, alert_max_rounds=3, alert_call_minutes=2,
              urgent_callback_minutes=60)
    return analyst


class Timeline:
    """What happened, minute by minute (Caracas time), for the report and for failures."""

    def __init__(self):
        """Nothing yet."""
        self.lines: list[str] = []

    def note(self, when: str, what: str) -> None:
        """One event."""
        self.lines.append(f"{when}  {what}")


def worker(runner, timeline: Timeline, when: str) -> str:
    """One `outbox run-once` (the tick, then delivery); its summary line."""
    [line] = ok(runner, "outbox", "run-once")
    timeline.note(when, f"worker: {line}")
    return line


def emergency_message(twilio, timeline: Timeline, clock) -> str:
    """Saturday 23:10: the caller confirms an emergency, both phones let it ring, the caller
    leaves a message; what the caller hears at the end."""
    clock("2026-12-12 23:10")
    sid = twilio.new_sid()
    root = twiml(twilio.post("/voice/emergency?r=1", call_params(sid)))
    for status in ("no-answer", "no-answer"):
        dial = root.find("Dial")
        timeline.note("23:10", f"live call: rings {dial.find('Number').text[-4:]}: {status}")
        root = twiml(twilio.post(dial.get("action"), call_params(sid, DialCallStatus=status)))
    record = root.find("Record")
    assert record is not None and "No logramos comunicarle" in spoken(root)
    timeline.note("23:10", "live call: nobody took it; alert raised; the caller records")
    clock("2026-12-12 23:11")
    words = spoken(twiml(twilio.post(record.get("action"), call_params(
        sid, RecordingSid="RE1", RecordingUrl="https://x/RE1", RecordingDuration="40"))))
    timeline.note("23:11", f"caller hears: {words}")
    return words


def answer_alert_call(twilio, call: dict, digits: str | None, timeline, when) -> str:
    """The emergency phone of a placed call answers: what it hears; with `digits` it presses
    them, else (voicemail) the Gather times out and the call ends."""
    url = urlsplit(call["Url"])
    assert url.scheme == "http" and url.netloc == "localhost"
    sid = twilio.new_sid()
    params = call_params(sid, caller=LINE, To=call["To"], Direction="outbound-api")
    params["From"] = params["Caller"] = LINE
    root = twiml(twilio.post(f"{url.path}?{url.query}", params))
    gather = root.find("Gather")
    heard = spoken(root)
    assert "marque 1" in heard and [c.tag for c in root] == ["Gather", "Hangup"]
    if digits is not None:
        root = twiml(twilio.post(gather.get("action"), {**params, "Digits": digits}))
        heard = spoken(root)
    status = urlsplit(call["StatusCallback"])
    response = twilio.post(f"{status.path}?{status.query}",
                           {**params, "CallStatus": "completed", "CallDuration": "25"})
    assert response.status_code == 204
    timeline.note(when, f"{call['To'][-4:]} answers, "
                        f"{'presses ' + digits if digits else 'voicemail'}: {heard}")
    return heard


def texts(twilio_api) -> list[tuple[str, str]]:
    """(to, body) of every SMS taken by the fake."""
    return [(m["To"], m["Body"]) for m in sent_messages(twilio_api)]


def test_saturday_night_emergency_is_taken_by_the_second_phone(
        app, line, twilio, twilio_api, runner, clock, session):
    """SMS to both phones, then Filippo's call (voicemail), at once Birmania's, who presses 1:
    the case is hers (an analyst), Filippo is told, and nothing more goes out."""
    timeline = Timeline()
    words = emergency_message(twilio, timeline, clock)
    assert "le llamaremos en menos de una hora" in words  # not "el lunes"
    case = session.scalars(select(Case)).one()
    assert case.urgent and (case.due_at - case.created_at).total_seconds() == 3600

    assert worker(runner, timeline, "23:11") == \
        "3 sent, 0 found already sent, 0 to retry, 0 failed, 0 expired"
    sms = texts(twilio_api)
    assert [to for to, _ in sms] == [FILIPPO, BIRMANIA]
    number = f"{case.number[:3]} {case.number[3:]}"
    assert all(f"EMERGENCIA CCO caso {number}" in body and CALLER in body and
               "marque 1 para tomar el caso" in body for _, body in sms)
    [first] = twilio_api.created()
    assert first["To"] == FILIPPO and first["From"] == LINE and first["Timeout"] == "30"

    clock("2026-12-12 23:12")
    heard = answer_alert_call(twilio, first, None, timeline, "23:12")
    assert f"Caso {', '.join(case.number)}" in heard
    clock("2026-12-12 23:12:30")  # Filippo's call ended untaken: Birmania's goes at once
    worker(runner, timeline, "23:12")
    second = twilio_api.created()[1]
    assert second["To"] == BIRMANIA

    clock("2026-12-12 23:13")
    heard = answer_alert_call(twilio, second, "1", timeline, "23:13")
    assert "queda a su cargo" in heard and ", ".join(CALLER[1:]) in heard
    session.expire_all()
    case = session.get(Case, case.id)
    alert = session.scalars(select(Alert)).one()
    assert alert.status == AlertStatus.TAKEN and alert.taken_by_analyst_id == line.id
    assert case.assigned_analyst_id == line.id and case.status == "in_progress"

    worker(runner, timeline, "23:13")
    told = texts(twilio_api)[2:]
    assert told == [(FILIPPO, f"CCO: el caso {number} ya lo tomo Birmania Munoz. Gracias, no "
                              "hace falta que atienda la alerta.")]
    for when in ("2026-12-12 23:30", "2026-12-13 00:10"):
        clock(when)
        worker(runner, timeline, when[-5:])
    assert len(twilio_api.created()) == 2 and len(texts(twilio_api)) == 3
    # Filippo's call answered again now (a retried webhook): the case is taken, no menu.
    url = urlsplit(first["Url"])
    root = twiml(twilio.post(f"{url.path}?{url.query}", call_params(twilio.new_sid())))
    assert [c.tag for c in root] == ["Say", "Hangup"]
    assert "ya lo tomó Birmania Muñoz" in spoken(root)
    print("\n" + "\n".join(timeline.lines))


def test_nobody_takes_it_three_rounds_then_the_coordinator(
        app, line, twilio, twilio_api, runner, clock, session):
    """No phone answers: a round every 15 minutes (SMS to both, calls 2 minutes apart), three
    rounds, then the alert is given up and the coordinator's e-mail is written (sent once
    SMTP_URL is set; here it waits, listed)."""
    timeline = Timeline()
    emergency_message(twilio, timeline, clock)
    minutes = ["23:11", "23:13", "23:26", "23:28", "23:41", "23:43", "23:56"]
    for when in minutes:
        clock(f"2026-12-12 {when}")
        worker(runner, timeline, when)
    calls = [c["To"] for c in twilio_api.created()]
    assert calls == [FILIPPO, BIRMANIA] * 3
    assert [to for to, _ in texts(twilio_api)] == [FILIPPO, BIRMANIA] * 3
    session.expire_all()
    alert = session.scalars(select(Alert)).one()
    assert alert.status == AlertStatus.UNANSWERED and alert.round_no == 3
    [mail] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
    payload = json.loads(mail.payload)
    assert payload["to"] == "coordinacion@ccoapoyo.com"
    assert payload["subject"].startswith("Emergencia sin atender: caso")
    assert "tras 3 rondas" in payload["body"]
    lines = ok(runner, "outbox", "list")
    assert any(" email " in f" {line} " and "SMTP_URL is not set" in line for line in lines)
    clock("2026-12-13 01:00")
    worker(runner, timeline, "01:00")
    assert len(twilio_api.created()) == 6  # given up: no fourth round


def test_taking_it_in_the_console_ends_the_alert(app, line, twilio, twilio_api, runner, clock,
                                                  session, db):
    """An analyst takes the case in the console (the same service): the alert ends, both
    emergency phones are told, no more calls."""
    timeline = Timeline()
    emergency_message(twilio, timeline, clock)
    worker(runner, timeline, "23:11")
    other = add_analyst(db, "Ana Guardia", "04125550777", None, utcnow())
    db.commit()
    case = session.scalars(select(Case)).one()
    with transaction(app.extensions["ivr"].engine) as tx:
        assert alerts.take_in_console(tx, get_case(tx, case.id), other.id, utcnow())
    clock("2026-12-12 23:20")
    worker(runner, timeline, "23:20")
    told = [to for to, body in texts(twilio_api) if "ya lo tomo Ana Guardia" in body]
    assert told == [FILIPPO, BIRMANIA]
    assert len(twilio_api.created()) == 1



def test_withheld_caller_id_is_asked_for_a_number_first(app, line, twilio, twilio_api, runner,
                                                         clock, session):
    """Nobody took it and the caller ID is withheld: the line asks for a number to call back
    (a bad one is asked again), then the message; the alert SMS carries that number."""
    clock("2026-12-12 23:10")
    sid = twilio.new_sid()
    params = call_params(sid, caller="anonymous")
    root = twiml(twilio.post("/voice/emergency?r=1", params))
    for _ in range(2):
        root = twiml(twilio.post(root.find("Dial").get("action"),
                                 {**params, "DialCallStatus": "no-answer"}))
    gather = root.find("Gather")
    assert root.find("Record") is None and "No vemos su número" in spoken(root)
    root = twiml(twilio.post(gather.get("action"), {**params, "Digits": "123"}))
    assert "no es válido" in spoken(root) and root.find("Record") is None
    root = twiml(twilio.post(root.find("Gather").get("action"),
                             {**params, "Digits": "04125550999"}))
    record = root.find("Record")
    assert record is not None
    twiml(twilio.post(record.get("action"), {**params, "RecordingSid": "RE2",
                                             "RecordingUrl": "https://x/RE2",
                                             "RecordingDuration": "30"}))
    case = session.scalars(select(Case)).one()
    assert case.callback_number == "+584125550999" and case.urgent
    worker(runner, Timeline(), "23:11")
    assert all("Cliente: +584125550999" in body for _, body in texts(twilio_api))
