"""Emergency alert calls (rule 1.2): the line rings an emergency phone about an emergency
nobody took, says it, and 1 takes the case. Placed by the outbox (ivr/services/alerts.py);
`a` names the alert and `e` the emergency phone rung."""

from __future__ import annotations

from flask import request

from ivr.domain.case_numbers import spoken_digits
from ivr.domain.statuses import AlertStatus
from ivr.services import alerts
from ivr.services.cases import get_case
from ivr.services.directory import emergency_contact
from ivr.voice.blueprint import bp
from ivr.voice.common import int_arg, webhook
from ivr.voice.context import db, now, speaker
from ivr.voice.twiml import VoiceResponse
from ivr.voice.urls import url_for

ALERT_SAYS = 2  # the alert is said twice before the call hangs up


def _alert_and_phone():
    """The alert and the emergency phone the URL names (either may be None)."""
    alert = alerts.get_alert(db(), int_arg("a"))
    contact_id = int_arg("e")
    contact = emergency_contact(db(), contact_id) if contact_id is not None else None
    return alert, contact


def _phone_digits(number: str | None) -> str:
    """A phone number said digit by digit (without its +)."""
    digits = "".join(c for c in number or "" if c.isdigit())
    return spoken_digits(digits) if digits else "desconocido"


@bp.post("/alert")
@webhook(call=False)
def alert_call():
    """The emergency phone answered: the alert, and 1 to take the case (a voicemail never
    presses it: the call hangs up)."""
    alert, contact = _alert_and_phone()
    response = VoiceResponse()
    case = get_case(db(), alert.case_id) if alert is not None else None
    if case is None or contact is None:
        response.hangup()
        return response
    s = speaker()
    if alert.status != AlertStatus.ALERTING:
        who = alerts.taken_by(db(), alert)
        if who:
            s.say(response, "alert_taken_by", digits=spoken_digits(case.number), name=who)
        else:
            s.say(response, "alert_over", digits=spoken_digits(case.number))
        response.hangup()
        return response
    gather = response.gather(input="dtmf", num_digits=1, timeout=6,
                             action=url_for("voice.alert_answer", a=alert.id, e=contact.id),
                             method="POST")
    for _ in range(ALERT_SAYS):
        s.say(gather, "alert_call", digits=spoken_digits(case.number),
              company=case.company_name or "una empresa sin identificar")
    response.hangup()
    return response


@bp.post("/alert/answer")
@webhook(call=False)
def alert_answer():
    """1: the case is this person's, unless someone took it first; anything else ends."""
    alert, contact = _alert_and_phone()
    response = VoiceResponse()
    case = get_case(db(), alert.case_id) if alert is not None else None
    if case is None or contact is None:
        response.hangup()
        return response
    s = speaker()
    if (request.form.get("Digits") or "")[:1] != "1":
        s.say(response, "alert_not_taken")
        response.hangup()
        return response
    taking = alerts.take_by_phone(db(), alert, contact, now())
    if taking.taken:
        s.say(response, "alert_taken", digits=spoken_digits(case.number),
              phone=_phone_digits(case.callback_number or case.caller_number))
    elif taking.by:
        s.say(response, "alert_taken_by", digits=spoken_digits(case.number), name=taking.by)
    else:
        s.say(response, "alert_over", digits=spoken_digits(case.number))
    response.hangup()
    return response


@bp.post("/alert/status")
@webhook(call=False)
def alert_status():
    """An alert call ended: untaken, the next emergency phone is rung now."""
    alert, contact = _alert_and_phone()
    if contact is not None:
        alerts.call_ended(db(), alert, contact.id, now())
