"""Written confirmations to callers (both databases): the case number once the call has ended
(SMS to Venezuelan mobiles, e-mail when given, the team's summary), 9 to refuse SMS, visits
and resolution, a call whose end was never heard, WhatsApp when configured and opted in."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from ivr.domain.clock import utcnow
from ivr.services import cases as case_service
from ivr.services import confirmations
from ivr.services.cases import get_case, update_case
from ivr.store import messaging
from ivr.store.models import Case, MessagePreference, OutboxMessage
from ivr.store.tx import transaction
from tests.conftest import call_params, spoken, twiml
from tests.routing_support import caracas_utc, configure

MOBILE = "+584125550123"


def outbox_rows(session) -> list[tuple[str, dict]]:
    """(kind, payload) of every outbox row, oldest first."""
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [(row.kind, json.loads(row.payload)) for row in rows]


def report_started(twilio, session, caller=MOBILE) -> tuple[str, Case]:
    """A closed-hours report started (its case exists from the first step); (sid, case)."""
    sid = twilio.new_sid()
    twiml(twilio.post("/voice/report?r=1", call_params(sid, caller=caller)))
    return sid, session.scalars(select(Case)).one()


def call_ends(twilio, sid, caller=MOBILE) -> None:
    """The call's final status callback, then the worker's round."""
    response = twilio.post("/voice/status", call_params(
        sid, caller=caller, CallStatus="completed", CallDuration="90"))
    assert response.status_code == 204
    worker_round(twilio.app)


def worker_round(app) -> int:
    """The worker's confirmation step now; how many cases it confirmed."""
    return confirmations.sweep(engine(app), utcnow(), confirmations.NotifyConfig.of(
        app.extensions["ivr"].settings))


def engine(app):
    """The application's engine."""
    return app.extensions["ivr"].engine


def test_case_number_by_sms_once_the_call_ends(app, twilio, session, clock):
    """Nothing while the call goes on; at its end one SMS with the case number (GSM-7, no
    accents), the e-mail given, the team's summary; a replayed callback adds nothing."""
    configure(app, cases_notify_to="equipo@ccoapoyo.com")
    clock("2026-12-07 20:00")
    sid, case = report_started(twilio, session)
    with transaction(engine(app)) as tx:
        update_case(tx, case.id, utcnow(), email="ana@example.com", company_name="Ñandú C.A.")
    assert worker_round(app) == 0 and outbox_rows(session) == []  # the call goes on
    call_ends(twilio, sid)
    number = f"{case.number[:3]} {case.number[3:]}"
    rows = outbox_rows(session)
    assert [kind for kind, _ in rows] == ["sms", "email", "email"]
    assert rows[0][1] == {"to": MOBILE, "body": (
        f"CCO Apoyo Empresarial: su numero de caso es {number}. Para consultarlo llame al "
        "(0212) 471.32.39, marque 1 y diga el numero.")}
    assert rows[1][1]["to"] == "ana@example.com" and number in rows[1][1]["subject"]
    summary = rows[2][1]
    assert summary["to"] == "equipo@ccoapoyo.com"
    assert summary["subject"] == f"Nuevo caso {number}: Ñandú C.A."
    assert f"http://localhost/console/cases/{case.number}" in summary["body"]  # PUBLIC_BASE_URL
    call_ends(twilio, sid)
    assert len(outbox_rows(session)) == 3


def test_nine_refuses_sms_for_that_number(app, twilio, session, clock):
    """The offer is said after the report; 9 keeps the refusal per number: no SMS for this
    case nor the next one from that number."""
    clock("2026-12-07 20:00")
    sid, case = report_started(twilio, session)
    root = twiml(twilio.post(f"/voice/report/after?c={case.id}&t=1",
                             call_params(sid, Digits="9")))
    assert "no le enviaremos mensajes" in spoken(root) and root.find("Hangup") is not None
    call_ends(twilio, sid)
    assert outbox_rows(session) == []
    choice = session.scalars(select(MessagePreference)).one()
    assert choice.phone == MOBILE and choice.no_sms


@pytest.mark.parametrize("caller", ["+582129998877", "anonymous", "+34612345678"])
def test_no_sms_to_landlines_withheld_or_foreign_numbers(app, twilio, session, clock, caller):
    """Only Venezuelan mobiles get SMS."""
    clock("2026-12-07 20:00")
    sid, _case = report_started(twilio, session, caller)
    call_ends(twilio, sid, caller)
    assert outbox_rows(session) == []


def test_the_offer_is_made_only_to_mobiles(app, twilio, session, clock, db):
    """The 9 offer is said to a mobile, not to a landline."""
    assert confirmations.may_text(db, Case(callback_number=MOBILE, caller_number=None))
    assert not confirmations.may_text(db, Case(callback_number="+582129998877",
                                               caller_number=None))


def test_visit_and_resolution_are_told(app, twilio, session, clock):
    """Scheduled, changed (time or cost), cancelled, resolved: one SMS each; an unchanged
    visit written again says nothing."""
    clock("2026-12-07 20:00")
    sid, case = report_started(twilio, session)
    call_ends(twilio, sid)
    at = caracas_utc("2026-12-09 10:00")
    with transaction(engine(app)) as tx:
        row = case_service.schedule_visit(tx, get_case(tx, case.id), at, Decimal("45"), None,
                                          utcnow())
        row = case_service.schedule_visit(tx, row, at, Decimal("45"), None, utcnow())
        row = case_service.schedule_visit(tx, row, at + timedelta(hours=2), Decimal("45"),
                                          None, utcnow())
        row = case_service.schedule_visit(tx, row, at, Decimal("45"), "cancelled", utcnow())
        case_service.set_status(tx, row, "resolved", utcnow())
    bodies = [payload["body"] for kind, payload in outbox_rows(session)[1:]]
    number = f"{case.number[:3]} {case.number[3:]}"
    assert bodies == [
        f"CCO Apoyo Empresarial: visita tecnica por el caso {number} el 09/12/2026 a las 10:00."
        " Costo estimado: Bs. 45,00.",
        f"CCO Apoyo Empresarial: la visita del caso {number} cambio al 09/12/2026 a las 12:00."
        " Costo estimado: Bs. 45,00.",
        f"CCO Apoyo Empresarial: la visita del caso {number} fue cancelada. Consultas al "
        "(0212) 471.32.39.",
        f"CCO Apoyo Empresarial: su caso {number} quedo resuelto. Si la falla vuelve, llame al"
        " (0212) 471.32.39 y marque 1."]


def test_a_call_whose_end_was_never_heard_is_confirmed_by_the_worker(app, twilio, session,
                                                                      clock, runner):
    """No status callback: the worker's round confirms the case two hours after it opened,
    not before."""
    clock("2026-12-07 20:00")
    report_started(twilio, session)
    clock("2026-12-07 21:30")
    assert worker_round(app) == 0
    clock("2026-12-07 22:01")
    assert worker_round(app) == 1
    assert [kind for kind, _ in outbox_rows(session)] == ["sms"]
    assert worker_round(app) == 0


def test_whatsapp_when_configured_and_opted_in(app, twilio, session, clock):
    """A number that opted in, with a template for the notice: WhatsApp, its SMS as the
    fallback; without the opt-in, SMS."""
    clock("2026-12-07 20:00")
    configure(app, whatsapp_from="whatsapp:+14155238886",
              whatsapp_templates={"case_opened": "HX" + "b" * 32})
    sid, case = report_started(twilio, session)
    with transaction(engine(app)) as tx:
        messaging.set_preference(tx, MOBILE, False, True, utcnow())
    call_ends(twilio, sid)
    [(kind, payload)] = outbox_rows(session)
    number = f"{case.number[:3]} {case.number[3:]}"
    assert kind == "whatsapp" and payload["template"] == "case_opened"
    assert payload["variables"] == {"1": number}
    assert payload["fallback"]["kind"] == "sms" and number in payload["fallback"]["payload"][
        "body"]
