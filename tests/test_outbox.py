"""The outbox: rows written in the caller's transaction, delivered by run_once through the
project's Twilio REST client against the local fake of Twilio's API (both databases)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from ivr.config import Secret
from ivr.domain.clock import utcnow
from ivr.domain.statuses import OutboxStatus
from ivr.services import outbox
from ivr.services.twilio_rest import TwilioRest
from ivr.store import outbox as store
from ivr.store.tx import transaction
from tests.cli_support import ok, refused
from tests.conftest import call_params
from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN

PAYLOAD = {"to": "+584125550123", "from": "+12125550100",
           "url": "https://ivr.example.com/voice/callback/answer?case=7",
           "status_callback": "https://ivr.example.com/voice/callback/status",
           "send_digits": "ww123"}
HOUR = timedelta(minutes=60)


def engine(app):
    """The application's engine."""
    return app.extensions["ivr"].engine


def sender(fake) -> outbox.CallSender:
    """A call sender on the fake's base URL."""
    return outbox.CallSender(TwilioRest(ACCOUNT_SID, AUTH_TOKEN, fake.url))


def enqueued(app, now, payload=PAYLOAD) -> int:
    """A committed 'call' row; its id."""
    with transaction(engine(app)) as tx:
        return outbox.enqueue(tx, "call", payload, now)


def row(app, message_id):
    """A row as stored now."""
    with transaction(engine(app)) as tx:
        return store.by_id(tx, message_id)


def test_enqueue_rolled_back_sends_nothing(app, twilio_api):
    """A row written in a transaction that rolls back is gone: nothing is sent."""
    now = utcnow()
    with pytest.raises(RuntimeError), transaction(engine(app)) as tx:
        outbox.enqueue(tx, "call", PAYLOAD, now)
        raise RuntimeError("the change that caused it failed")
    delivery = outbox.run_once(engine(app), sender(twilio_api), now)
    assert len(delivery) == 0 and twilio_api.calls == []


def test_run_once_sends_and_marks(app, twilio_api):
    """The call is placed as asked (outbox id in both callback URLs) and the row marked sent
    with the provider's sid; a second run sends nothing more."""
    now = utcnow()
    message_id = enqueued(app, now)
    delivery = outbox.run_once(engine(app), sender(twilio_api), now)
    assert delivery.sent == [message_id]
    [asked] = twilio_api.created()
    assert asked["To"] == PAYLOAD["to"] and asked["From"] == PAYLOAD["from"]
    assert asked["Url"] == f"{PAYLOAD['url']}&outbox={message_id}"
    assert asked["StatusCallback"] == f"{PAYLOAD['status_callback']}?outbox={message_id}"
    assert asked["SendDigits"] == "ww123"
    stored = row(app, message_id)
    assert stored.status == OutboxStatus.SENT and stored.attempts == 1
    assert stored.provider_sid == twilio_api.calls[0]["call"]["sid"]
    assert stored.provider_sid.startswith("CA")
    assert len(outbox.run_once(engine(app), sender(twilio_api), now)) == 0
    assert len(twilio_api.calls) == 1


def test_wrong_credentials_are_refused_for_good(app, twilio_api):
    """The fake checks basic auth like Twilio: a 401 is a refusal, not retried."""
    now = utcnow()
    message_id = enqueued(app, now)
    wrong = outbox.CallSender(TwilioRest(ACCOUNT_SID, "not-the-token", twilio_api.url))
    delivery = outbox.run_once(engine(app), wrong, now)
    assert delivery.failed == [message_id]
    stored = row(app, message_id)
    assert stored.status == OutboxStatus.FAILED and "401" in stored.last_error


def test_failing_provider_backs_off_then_expires(app, twilio_api):
    """5xx answers reschedule with 30 s, 60 s, 120 s…; not due before; expired after the
    configured age, never sent late."""
    start = utcnow()
    message_id = enqueued(app, start)
    twilio_api.failures = [500, 503, 500]
    now = start
    for attempt, wait in enumerate((30, 60, 120), start=1):
        delivery = outbox.run_once(engine(app), sender(twilio_api), now, max_age=HOUR)
        assert delivery.retried == [message_id]
        stored = row(app, message_id)
        assert stored.status == OutboxStatus.PENDING and stored.attempts == attempt
        assert stored.next_attempt_at == now + timedelta(seconds=wait)
        assert "500" in stored.last_error or "503" in stored.last_error
        assert len(outbox.run_once(engine(app), sender(twilio_api),
                                   now + timedelta(seconds=wait - 1), max_age=HOUR)) == 0
        now += timedelta(seconds=wait)
    delivery = outbox.run_once(engine(app), sender(twilio_api), start + HOUR + timedelta(
        seconds=1), max_age=HOUR)
    assert delivery.expired == [message_id]
    assert row(app, message_id).status == OutboxStatus.EXPIRED
    assert twilio_api.calls == []


def test_backoff_is_capped():
    """Exponential, at most 30 minutes."""
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.backoff(30) == timedelta(minutes=30)


class Killed(BaseException):
    """The worker dies (SIGKILL) between Twilio's create and the mark."""


class DyingSender(outbox.CallSender):
    """Places the call, then dies before run_once can mark the row."""

    def send(self, message_id, kind, payload):
        """Create, then die."""
        super().send(message_id, kind, payload)
        raise Killed


def test_killed_worker_sends_no_second_call(app, twilio_api):
    """A row claimed and never marked is taken again after the claim timeout; the sender finds
    the call the dead worker placed (Calls list To + StartTime>) and marks it: one call."""
    now = utcnow()
    message_id = enqueued(app, now)
    rest = TwilioRest(ACCOUNT_SID, AUTH_TOKEN, twilio_api.url)
    with pytest.raises(Killed):
        outbox.run_once(engine(app), DyingSender(rest), now)
    assert row(app, message_id).status == OutboxStatus.SENDING
    assert len(outbox.run_once(engine(app), sender(twilio_api), now + timedelta(seconds=30))) \
        == 0  # the claim is still fresh: maybe a worker is still on it
    later = now + outbox.CLAIM_TIMEOUT + timedelta(seconds=1)
    delivery = outbox.run_once(engine(app), sender(twilio_api), later)
    assert delivery.found == [message_id]
    assert len(twilio_api.calls) == 1
    stored = row(app, message_id)
    assert stored.status == OutboxStatus.SENT
    assert stored.provider_sid == twilio_api.calls[0]["call"]["sid"]
    listed = [params for method, _path, params in twilio_api.requests if method == "GET"]
    assert listed and listed[0]["To"] == PAYLOAD["to"] and "StartTime>" in listed[0]


def test_killed_worker_before_the_create_sends_once(app, twilio_api):
    """Died before Twilio placed anything: the list is empty, so the call is placed now."""
    now = utcnow()
    message_id = enqueued(app, now)
    with transaction(engine(app)) as tx:
        store.claim(tx, message_id, now)
    later = now + outbox.CLAIM_TIMEOUT + timedelta(seconds=1)
    delivery = outbox.run_once(engine(app), sender(twilio_api), later)
    assert delivery.sent == [message_id] and len(twilio_api.calls) == 1


def test_outbox_list_shows_what_waits_and_why(app, runner, twilio_api):
    """`outbox list`: pending and failed rows with their last error; sent ones not shown."""
    assert ok(runner, "outbox", "list") == ["nothing waiting"]
    now = utcnow()
    sent_id = enqueued(app, now)
    outbox.run_once(engine(app), sender(twilio_api), now)
    failing_id = enqueued(app, now)
    twilio_api.failures = [503]
    outbox.run_once(engine(app), sender(twilio_api), now)
    lines = ok(runner, "outbox", "list")
    assert len(lines) == 1 and sent_id != failing_id
    assert lines[0].split()[:5] == [str(failing_id), "call", "pending", "attempts", "1"]
    assert "Twilio 503" in lines[0]


def test_outbox_run_once_needs_credentials(runner):
    """Without TWILIO_ACCOUNT_SID the worker says what to set, nothing is lost."""
    assert "TWILIO_ACCOUNT_SID is not set" in refused(runner, "outbox", "run-once")


def test_outbox_run_once_command_places_the_call(app, runner, twilio_api, monkeypatch):
    """`outbox run-once` with the account configured: the settings' client reaches the fake
    (TWILIO_API_URL), the call is placed and the row marked."""
    state = app.extensions["ivr"]
    monkeypatch.setattr(state, "settings", dataclasses.replace(
        state.settings, twilio_account_sid=ACCOUNT_SID, twilio_api_url=twilio_api.url,
        twilio_auth_token=Secret(AUTH_TOKEN)))
    message_id = enqueued(app, utcnow())
    assert ok(runner, "outbox", "run-once") == [
        "1 sent, 0 found already sent, 0 to retry, 0 failed, 0 expired"]
    assert row(app, message_id).status == OutboxStatus.SENT and len(twilio_api.calls) == 1


def test_a_calls_own_webhook_names_its_row(app, twilio, twilio_api):
    """A webhook whose URL carries outbox=<id> keeps its CallSid on that row while the row is
    not marked (the first one only); the next worker marks the row with it, asking Twilio
    nothing; a row already marked keeps the sid it was marked with."""
    now = utcnow()
    message_id = enqueued(app, now)
    with transaction(engine(app)) as tx:
        store.claim(tx, message_id, now)  # claimed; the worker dies before the mark
    first, other = "CA" + "5" * 32, "CA" + "6" * 32
    for sid in (first, other):
        response = twilio.post(f"/voice/callback/status?cb=999&outbox={message_id}",
                               call_params(sid, CallStatus="completed"))
        assert response.status_code == 204
    stored = row(app, message_id)
    assert stored.status == OutboxStatus.SENDING and stored.provider_sid == first
    delivery = outbox.run_once(engine(app), sender(twilio_api),
                               now + outbox.CLAIM_TIMEOUT + timedelta(seconds=1))
    assert delivery.found == [message_id]
    assert twilio_api.requests == [] and row(app, message_id).provider_sid == first

    sent_id = enqueued(app, now)
    outbox.run_once(engine(app), sender(twilio_api), now)
    placed = row(app, sent_id).provider_sid
    twilio.post(f"/voice/callback/status?cb=999&outbox={sent_id}",
                call_params(other, CallStatus="completed"))
    assert row(app, sent_id).provider_sid == placed != other
