"""The outbox: everything the line sends out is a row written in the transaction that causes
it (`enqueue`), delivered afterwards by a worker (`run_once`, run by `outbox work` or cron).

Delivery, per row:
- claimed (status sending, claimed_at) in a short transaction of its own — on PostgreSQL with
  FOR UPDATE SKIP LOCKED, so several workers never take the same row;
- sent outside any transaction, then marked sent with the provider's sid;
- on a failure worth retrying, pending again after 30 s × 2^attempts (at most 30 minutes);
  refused by the provider (4xx), failed for good; older than OUTBOX_MAX_AGE_MINUTES, expired;
- a claim never marked (the worker died between the provider's create and the mark) is taken
  again after CLAIM_TIMEOUT, and first the sender looks for what the provider already has for
  it (Twilio's create takes no idempotency key): found, the row is marked sent, no second call.
  A call's webhooks carry `outbox=<id>` in their URLs, so the first of them records the call's
  sid on its row (`note_call_sid`): that exact sid is used before any list is asked for.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine

from ivr.domain.statuses import OutboxStatus
from ivr.services.twilio_rest import (
    UNCERTAIN,
    ProviderError,
    ProviderRefused,
    TwilioRest,
    with_query,
)
from ivr.store import outbox as store
from ivr.store.tx import Rec, Tx, transaction

log = logging.getLogger("ivr.outbox")

BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=30)
CLAIM_TIMEOUT = timedelta(minutes=2)  # a send takes seconds: a claim this old was abandoned
BATCH = 20
# A confirmation by e-mail is still worth having hours later; a call or an alert is not.
MAX_AGE_BY_KIND = {"email": timedelta(hours=24)}


class Sender(Protocol):
    """What delivers outbox rows: sends one, or finds what an earlier attempt sent."""

    def send(self, message_id: int, kind: str, payload: dict) -> str:
        """Send; the provider's sid. ProviderRefused: never; ProviderError: later."""

    def find_sent(self, message_id: int, kind: str, payload: dict,
                  since: datetime) -> str | None:
        """The sid of what an attempt claimed at `since` already sent, or None."""


@dataclass
class Delivery:
    """What one run did, by row id."""

    sent: list[int] = field(default_factory=list)
    found: list[int] = field(default_factory=list)  # sent by a worker that died before marking
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        """Rows handled."""
        return sum(len(v) for v in (self.sent, self.found, self.retried, self.failed,
                                    self.expired))


def enqueue(tx: Tx, kind: str, payload: dict, now: datetime, due: datetime | None = None) -> int:
    """Write a message to send in the caller's transaction (gone if it rolls back), due now or
    at `due`; its id."""
    return store.add(tx, kind, json.dumps(payload, sort_keys=True), now, due)


def backoff(attempts: int) -> timedelta:
    """How long to wait after `attempts` failed attempts."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def run_once(engine: Engine, sender: Sender, now: datetime, *,
             max_age: timedelta = timedelta(minutes=60), limit: int = BATCH) -> Delivery:
    """Deliver the rows due now; what became of each."""
    with transaction(engine) as tx:
        rows = store.due(tx, now, now - CLAIM_TIMEOUT, limit)
        for row in rows:
            store.claim(tx, row.id, now)
    delivery = Delivery()
    for row in rows:
        _deliver(engine, sender, row, now, max_age, delivery)
    return delivery


def _deliver(engine: Engine, sender: Sender, row: Rec, now: datetime, max_age: timedelta,
             delivery: Delivery) -> None:
    """One claimed row: look for an earlier send, expire, send, mark."""
    payload = json.loads(row.payload)
    if row.provider_sid:
        # The call's own webhook already named it: sent, exactly this one.
        _mark(engine, row.id, row.provider_sid, now)
        delivery.found.append(row.id)
        return
    max_age = MAX_AGE_BY_KIND.get(row.kind, max_age)
    try:
        # A claim never marked (the worker died), or an attempt left without an answer (a
        # timeout): the provider may have it already.
        since = row.claimed_at if row.status == OutboxStatus.SENDING else \
            row.updated_at if (row.last_error or "").startswith(UNCERTAIN) else None
        if since is not None:
            sid = sender.find_sent(row.id, row.kind, payload, since)
            if sid is not None:
                _mark(engine, row.id, sid, now)
                delivery.found.append(row.id)
                return
        if now - row.created_at > max_age:
            _give_up(engine, row, OutboxStatus.EXPIRED, "not sent within "
                     f"{int(max_age.total_seconds() // 60)} min: {row.last_error or '-'}", now)
            delivery.expired.append(row.id)
            return
        sid = sender.send(row.id, row.kind, payload)
    except ProviderRefused as error:
        _give_up(engine, row, OutboxStatus.FAILED, str(error), now)
        delivery.failed.append(row.id)
        return
    except ProviderError as error:
        with transaction(engine) as tx:
            store.reschedule(tx, row.id, now + backoff(row.attempts + 1), str(error), now)
        log.warning("outbox %s: attempt %s failed: %s", row.id, row.attempts + 1, error)
        delivery.retried.append(row.id)
        return
    _mark(engine, row.id, sid, now)
    delivery.sent.append(row.id)


def _mark(engine: Engine, message_id: int, sid: str, now: datetime) -> None:
    """Sent: the provider's sid kept."""
    with transaction(engine) as tx:
        store.mark_sent(tx, message_id, sid, now)


def _give_up(engine: Engine, row: Rec, status: OutboxStatus, why: str, now: datetime) -> None:
    """No more attempts; a refused row's fallback (a WhatsApp's SMS) is written instead."""
    fallback = json.loads(row.payload).get("fallback") if status == OutboxStatus.FAILED \
        else None
    with transaction(engine) as tx:
        store.give_up(tx, row.id, status, why, now)
        if fallback:
            enqueue(tx, fallback["kind"], fallback["payload"], now)
    log.warning("outbox %s: %s: %s", row.id, status, why)


def note_call_sid(tx: Tx, message_id: int, call_sid: str, now: datetime) -> bool:
    """A webhook of a call the outbox placed (outbox=<id> in its URL) names the call: its sid
    kept on the row if the row is not marked yet. Whether it was kept."""
    if not call_sid.startswith("CA"):
        return False
    return store.note_sid(tx, message_id, call_sid, now)


def unsent(tx: Tx) -> list[Rec]:
    """Messages pending, being sent, failed or expired, oldest first."""
    return store.unsent(tx)


class CallSender:
    """Delivers 'call' rows through Twilio's REST API; the outbox id rides in both callback
    URLs, so the call's own webhooks say which row placed it."""

    def __init__(self, rest: TwilioRest):
        """A sender over the project's REST client."""
        self.rest = rest

    def send(self, message_id: int, kind: str, payload: dict) -> str:
        """Place the call."""
        if kind != "call":
            raise ProviderRefused(f"no sender for {kind!r} messages")
        return self.rest.create_call(
            to=payload["to"], from_=payload["from"],
            url=with_query(payload["url"], outbox=message_id),
            status_callback=with_query(payload["status_callback"], outbox=message_id),
            send_digits=payload.get("send_digits"), timeout=payload.get("timeout"),
            status_events=payload.get("status_events"))

    def find_sent(self, message_id: int, kind: str, payload: dict,
                  since: datetime) -> str | None:
        """A call to the row's number placed since its claim (the list shows no callback URL:
        any call to that number since then is taken as this row's, never a second one)."""
        if kind != "call":
            return None
        calls = self.rest.calls_to(payload["to"], since)
        return calls[0].sid if calls else None


def call_sender(settings) -> CallSender:
    """The sender for the configured account (InputError without credentials)."""
    return CallSender(TwilioRest(settings.twilio_account_sid, settings.twilio_auth_token,
                                 settings.twilio_api_url))


def max_age(settings) -> timedelta:
    """How old a message may get before it expires unsent."""
    return timedelta(minutes=settings.outbox_max_age_minutes)
