"""`flask --app wsgi outbox …`: deliver what the line sends out, and show what waits."""

from __future__ import annotations

import signal
import threading
from datetime import datetime
from functools import cache
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ivr.cli.common import command_transaction, state
from ivr.domain.clock import utcnow
from ivr.services import alerts, confirmations, hold, overdue, senders
from ivr.services import outbox as outbox_service
from ivr.services.offer_signal import OFFER_KIND
from ivr.services.twilio_rest import TwilioRest

outbox = AppGroup("outbox", help="Calls, SMS, WhatsApp and e-mail waiting to be sent out.")


def _run(sender) -> outbox_service.Delivery:
    """One round now: the scheduled steps (emergency alerts, overdue warnings), then the
    delivery of what is due."""
    settings = state().settings
    now = utcnow()
    scheduled_steps(current_app, now)
    return outbox_service.run_once(state().engine, sender, now,
                                   max_age=outbox_service.max_age(settings))


class WebhookLinks:
    """Absolute URLs of the line's own webhooks, on PUBLIC_BASE_URL (as Twilio will call and
    sign them), for the calls the worker places."""

    def __init__(self, app: Flask, base_url: str | None):
        """Bound to the app's routes and the public base (http://localhost without one)."""
        parts = urlsplit(base_url or "http://localhost")
        self.adapter = app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                        url_scheme=parts.scheme)

    def alert_call(self, alert_id: int, contact_id: int) -> str:
        """What an alert call says when answered."""
        return self.adapter.build("voice.alert_call", {"a": alert_id, "e": contact_id},
                                  force_external=True)

    def hold_offer(self, offer: hold.Offer) -> str:
        """Where an offer redirects the call of a caller on hold."""
        return self.adapter.build("voice.hold_offer", {"h": offer.hold_id, "a": offer.attempt_id},
                                  force_external=True)

    def alert_status(self, alert_id: int, contact_id: int) -> str:
        """Where an alert call's final status goes."""
        return self.adapter.build("voice.alert_status", {"a": alert_id, "e": contact_id},
                                  force_external=True)


def scheduled_steps(app: Flask, now: datetime) -> int:
    """What the worker does each round before delivering: emergency alerts moved on,
    confirmations of cases whose call ended, overdue warnings; how many things it did."""
    ivr = app.extensions["ivr"]
    moved = alerts.tick(ivr.engine, alerts.AlertConfig.of(ivr.settings),
                        WebhookLinks(app, ivr.settings.public_base_url), now)
    moved += confirmations.sweep(ivr.engine, now, confirmations.NotifyConfig.of(ivr.settings))
    moved += overdue.sweep(ivr.engine, now, overdue.OverdueConfig.of(ivr.settings))
    # The time again: the sweeps may have taken a while, and an offer's lease counts from now.
    return moved + offer_round(app, utcnow())


def offer_round(app: Flask, now: datetime) -> int:
    """Callers on hold offered to the analysts free now (none without Twilio credentials: the
    offer redirects the caller's call through the REST API); how many."""
    ivr = app.extensions["ivr"]
    settings = ivr.settings
    if not settings.twilio_account_sid or not settings.twilio_auth_token:
        return 0
    rest = rest_client(settings.twilio_account_sid, str(settings.twilio_auth_token),
                       settings.twilio_api_url)
    links = WebhookLinks(app, settings.public_base_url)
    return hold.offer_round(ivr.engine, rest.redirect_call, links.hold_offer, now,
                            hold.HoldConfig.of(settings), ivr.schedules.get)


@cache
def rest_client(account_sid: str, auth_token: str, api_url: str) -> TwilioRest:
    """One REST client per account for the worker's life (an offer round runs every second)."""
    return TwilioRest(account_sid, auth_token, api_url)


class OfferRound:
    """Delivers 'hold_offer' rows (an analyst freed while callers wait): an offer round now."""

    def __init__(self, app: Flask):
        """For this application."""
        self.app = app

    def send(self, message_id: int, kind: str, payload: dict) -> str:
        """Make the offers; what was done, in place of a provider's sid."""
        return f"offers:{offer_round(self.app, utcnow())}"

    def find_sent(self, message_id: int, kind: str, payload: dict,
                  since: datetime) -> str | None:
        """A round made twice offers nobody twice: nothing to look for."""
        return None


def worker_sender(app: Flask):
    """The outbox's sender, with the offer rounds."""
    sender = senders.outbox_sender(app.extensions["ivr"].settings)
    sender.senders[OFFER_KIND] = OfferRound(app)
    return sender


def _report(delivery: outbox_service.Delivery) -> str:
    """What a round did, on one line."""
    return (f"{len(delivery.sent)} sent, {len(delivery.found)} found already sent, "
            f"{len(delivery.retried)} to retry, {len(delivery.failed)} failed, "
            f"{len(delivery.expired)} expired")


@outbox.command("run-once")
def outbox_run_once():
    """Deliver what is due now, once (for cron and tests)."""
    sender = worker_sender(current_app)
    click.echo(_report(_run(sender)))


@outbox.command("work")
@click.option("--interval", type=click.FloatRange(0.1, 60), default=1.0, show_default=True,
              help="Seconds between rounds when nothing was due.")
def outbox_work(interval):
    """Deliver continuously until SIGTERM or Ctrl-C."""
    sender = worker_sender(current_app)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo("outbox worker started")
    try:
        while not stop.is_set():
            delivery = _run(sender)
            if len(delivery):
                click.echo(_report(delivery))
            else:
                stop.wait(interval)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo("outbox worker stopped")


@outbox.command("list")
def outbox_list():
    """Messages pending, being sent, failed or expired, with why."""
    with command_transaction() as tx:
        rows = outbox_service.unsent(tx)
    if not rows:
        click.echo("nothing waiting")
    for row in rows:
        when = row.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{row.id:>5} {row.kind:<6} {row.status:<8} attempts {row.attempts}"
                   f"  next {when}  {row.last_error or '-'}")
