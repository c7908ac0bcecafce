"""SMS and WhatsApp rows delivered through the outbox against the local fake of Twilio's
Messages API (both databases): sent once, 5xx and timeouts retried, 4xx failed and shown,
21610/21614 final, a killed worker sends nothing twice, WhatsApp falls back to SMS."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

import pytest

from ivr.config import Secret
from ivr.domain.clock import utcnow
from ivr.domain.statuses import OutboxStatus
from ivr.services import outbox, senders
from ivr.services.twilio_rest import TwilioRest
from ivr.store import outbox as store
from ivr.store.tx import transaction
from tests.cli_support import ok
from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, messages_of, sent_messages

SMS = {"to": "+584125550123", "body": "Su numero de caso CCO es 305 2530."}
FROM = "+12125550100"


def engine(app):
    """The application's engine."""
    return app.extensions["ivr"].engine


def rest(fake, timeout: float = 10) -> TwilioRest:
    """The project's client on the fake."""
    return TwilioRest(ACCOUNT_SID, AUTH_TOKEN, fake.url, timeout=timeout)


def dispatcher(fake, timeout: float = 10) -> senders.Dispatcher:
    """SMS and WhatsApp senders on the fake."""
    client = rest(fake, timeout)
    return senders.Dispatcher({
        "sms": senders.SmsSender(client, FROM),
        "whatsapp": senders.WhatsAppSender(client, "whatsapp:+14155238886",
                                           {"case_opened": "HX" + "a" * 32}),
        "call": outbox.CallSender(client)})


def enqueued(app, now, kind="sms", payload=SMS) -> int:
    """A committed row; its id."""
    with transaction(engine(app)) as tx:
        return outbox.enqueue(tx, kind, payload, now)


def row(app, message_id):
    """A row as stored now."""
    with transaction(engine(app)) as tx:
        return store.by_id(tx, message_id)


def test_sms_is_sent_once_and_marked(app, twilio_api):
    """The text goes to the number from SMS_FROM; the row keeps Twilio's SM sid."""
    now = utcnow()
    message_id = enqueued(app, now)
    assert outbox.run_once(engine(app), dispatcher(twilio_api), now).sent == [message_id]
    [asked] = sent_messages(twilio_api)
    assert (asked["To"], asked["From"], asked["Body"]) == (SMS["to"], FROM, SMS["body"])
    stored = row(app, message_id)
    assert stored.status == OutboxStatus.SENT and stored.provider_sid.startswith("SM")
    assert len(outbox.run_once(engine(app), dispatcher(twilio_api), now)) == 0
    assert len(sent_messages(twilio_api)) == 1


def test_5xx_is_retried_later_and_then_sent(app, twilio_api):
    """A 503 reschedules after 30 s; the next round sends it."""
    now = utcnow()
    message_id = enqueued(app, now)
    messages_of(twilio_api).failures = [503]
    assert outbox.run_once(engine(app), dispatcher(twilio_api), now).retried == [message_id]
    stored = row(app, message_id)
    assert stored.status == OutboxStatus.PENDING and "Twilio 503" in stored.last_error
    assert stored.next_attempt_at == now + timedelta(seconds=30)
    later = now + timedelta(seconds=30)
    assert outbox.run_once(engine(app), dispatcher(twilio_api), later).sent == [message_id]
    assert len(sent_messages(twilio_api)) == 1


def test_timeout_is_retried_without_a_second_message(app, twilio_api):
    """Twilio took the message but answered after the client's timeout: retried, and the
    retry finds it in the list (To, DateSent>, same text) instead of sending it again."""
    now = utcnow()
    message_id = enqueued(app, now)
    fake = messages_of(twilio_api)
    fake.failures, fake.delay = ["timeout"], 0.6
    delivery = outbox.run_once(engine(app), dispatcher(twilio_api, timeout=0.2), now)
    assert delivery.retried == [message_id]
    assert row(app, message_id).last_error.startswith("no answer in time")
    deadline = time.monotonic() + 2
    while not fake.sent and time.monotonic() < deadline:  # Twilio finishes taking it
        time.sleep(0.05)
    later = now + timedelta(seconds=31)
    assert outbox.run_once(engine(app), dispatcher(twilio_api), later).found == [message_id]
    assert len(sent_messages(twilio_api)) == 1
    assert row(app, message_id).status == OutboxStatus.SENT


@pytest.mark.parametrize(("failure", "shown"), [
    ((400, 21610), "unsubscribed"), ((400, 21614), "not a mobile number"),
    ((400, 21211), "Twilio 400: 21211")])
def test_4xx_fails_for_good_and_is_listed(app, twilio_api, runner, failure, shown):
    """21610 (STOP), 21614 (a landline) and other 4xx: failed at once, never retried, and
    `outbox list` says why."""
    now = utcnow()
    message_id = enqueued(app, now)
    messages_of(twilio_api).failures = [failure]
    assert outbox.run_once(engine(app), dispatcher(twilio_api), now).failed == [message_id]
    assert row(app, message_id).status == OutboxStatus.FAILED
    assert len(outbox.run_once(engine(app), dispatcher(twilio_api),
                               now + timedelta(hours=1))) == 0
    [line] = ok(runner, "outbox", "list")
    assert line.split()[:3] == [str(message_id), "sms", "failed"] and shown in line
    assert sent_messages(twilio_api) == []


class Killed(BaseException):
    """The worker dies between Twilio's create and the mark."""


class DyingSms(senders.SmsSender):
    """Sends, then dies."""

    def send(self, message_id, kind, payload):
        """Create, then die."""
        super().send(message_id, kind, payload)
        raise Killed


def test_killed_worker_sends_no_second_sms(app, twilio_api):
    """Claimed, sent, never marked: after the claim timeout the list shows the message to
    that number with that text, and the row is marked with its sid."""
    now = utcnow()
    message_id = enqueued(app, now)
    other = enqueued(app, now, payload={**SMS, "body": "Otro texto"})
    with pytest.raises(Killed):
        outbox.run_once(engine(app), senders.Dispatcher(
            {"sms": DyingSms(rest(twilio_api), FROM)}), now)
    assert row(app, message_id).status == OutboxStatus.SENDING
    later = now + outbox.CLAIM_TIMEOUT + timedelta(seconds=1)
    delivery = outbox.run_once(engine(app), dispatcher(twilio_api), later)
    assert delivery.found == [message_id]
    assert delivery.sent == [other]  # claimed too, never sent: its text is not listed
    bodies = [m["Body"] for m in sent_messages(twilio_api)]
    assert sorted(bodies) == sorted([SMS["body"], "Otro texto"])
    assert row(app, message_id).provider_sid == messages_of(twilio_api).sent[0]["sid"]


def test_whatsapp_sends_the_template(app, twilio_api):
    """ContentSid and ContentVariables from the configured template, to whatsapp:+…"""
    now = utcnow()
    message_id = enqueued(app, now, "whatsapp", {
        "to": SMS["to"], "template": "case_opened", "variables": {"1": "305 2530"},
        "fallback": {"kind": "sms", "payload": SMS}})
    assert outbox.run_once(engine(app), dispatcher(twilio_api), now).sent == [message_id]
    [asked] = sent_messages(twilio_api)
    assert asked["To"] == "whatsapp:+584125550123"
    assert asked["From"] == "whatsapp:+14155238886"
    assert asked["ContentSid"] == "HX" + "a" * 32
    assert asked["ContentVariables"] == '{"1": "305 2530"}' and "Body" not in asked


def test_refused_whatsapp_falls_back_to_sms(app, twilio_api):
    """A WhatsApp refused (63016: outside the session, not opted in) fails, and its SMS is
    written in the same transaction and sent."""
    now = utcnow()
    message_id = enqueued(app, now, "whatsapp", {
        "to": SMS["to"], "template": "case_opened", "variables": {"1": "305 2530"},
        "fallback": {"kind": "sms", "payload": SMS}})
    messages_of(twilio_api).failures = [(400, 63016)]
    delivery = outbox.run_once(engine(app), dispatcher(twilio_api), now)
    assert delivery.failed == [message_id]
    delivery = outbox.run_once(engine(app), dispatcher(twilio_api), now)
    assert len(delivery.sent) == 1
    [asked] = sent_messages(twilio_api)
    assert asked["To"] == SMS["to"] and asked["Body"] == SMS["body"]


def test_a_kind_without_its_setting_waits(app, twilio_api, runner, monkeypatch):
    """`outbox run-once` with Twilio configured but no SMTP_URL: the e-mail row is retried
    (and listed with the setting to add), the SMS goes out."""
    state = app.extensions["ivr"]
    monkeypatch.setattr(state, "settings", dataclasses.replace(
        state.settings, twilio_account_sid=ACCOUNT_SID, twilio_api_url=twilio_api.url,
        twilio_auth_token=Secret(AUTH_TOKEN), sms_from=FROM))
    now = utcnow()
    enqueued(app, now)
    mail_id = enqueued(app, now, "email", {"to": "a@example.com", "subject": "s", "body": "b"})
    assert ok(runner, "outbox", "run-once") == [
        "1 sent, 0 found already sent, 1 to retry, 0 failed, 0 expired"]
    [line] = ok(runner, "outbox", "list")
    assert line.split()[:3] == [str(mail_id), "email", "pending"]
    assert "SMTP_URL is not set" in line
