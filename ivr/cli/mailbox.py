"""`flask --app wsgi mailbox …`: read the support mailbox (rule 1.1 b) and show what came in."""

from __future__ import annotations

import signal
import threading

import click
from flask.cli import AppGroup

from ivr.cli.common import command_transaction, state
from ivr.cli.directory import shown, when
from ivr.domain.clock import utcnow
from ivr.domain.statuses import MailOutcome
from ivr.services import mail_reader
from ivr.services import mailbox as mailbox_service

mailbox = AppGroup("mailbox", help="The support mailbox: mails that open and follow cases.")


def _reader_parts():
    """(connector, rules) for the configured mailbox (an error when IMAP_URL is unset)."""
    settings = state().settings
    return mail_reader.open_mailbox(settings.imap_url), mailbox_service.rules(settings)


@mailbox.command("run-once")
def mailbox_run_once():
    """Read what the mailbox holds now, once (for cron and tests)."""
    connect, rules = _reader_parts()
    reading = mail_reader.read_once(state().engine, connect, rules, state().schedules.get,
                                    utcnow, mail_reader.reader_id())
    click.echo(mail_reader.describe(reading))


@mailbox.command("work")
@click.option("--interval", type=click.FloatRange(1, 600), default=30.0, show_default=True,
              help="Seconds between polls (IDLE wakes the reader earlier when offered), and "
                   "between attempts while the mail server is down.")
def mailbox_work(interval):
    """Read continuously until SIGTERM or Ctrl-C (one reader at a time, on any server)."""
    connect, rules = _reader_parts()
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo("mailbox reader started")
    try:
        mail_reader.work(state().engine, connect, rules, state().schedules.get, utcnow, stop,
                         interval, click.echo)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo("mailbox reader stopped")


@mailbox.command("list")
@click.option("--aside", "outcome", flag_value=MailOutcome.ASIDE,
              help="Only the mails kept aside for the coordinator.")
@click.option("--skipped", "outcome", flag_value=MailOutcome.SKIPPED,
              help="Only the mails not answered (loops, auto-replies, bounces).")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
def mailbox_list(outcome, limit):
    """The latest mails read, newest first, with what became of each."""
    with command_transaction() as tx:
        rows = mailbox_service.listing(tx, outcome, limit)
        holder = mailbox_service.lease_holder(tx)
    if holder is not None:
        click.echo(f"read by {holder.holder} (lease until {when(holder.until)})")
    if not rows:
        click.echo("no mails")
        return
    for row in rows:
        click.echo(f"{when(row.received_at)}  {row.outcome:<7}  {shown(row.sender)}  "
                   f"{shown(row.subject)[:60]}"
                   + (f"  [{row.reason}]" if row.reason else ""))
