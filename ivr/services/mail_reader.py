"""Reading the support mailbox over IMAP (`imapclient`): every mail in the folder is handled
(ivr/services/mailbox.py), then moved out of it — to the handled folder, or to the aside
folder for the coordinator. A mail is moved only after its transaction committed: a reader
that dies in between finds it again, and its Message-ID makes the second reading a no-op.

One reader at a time, whichever server it runs on: a lease row in the database, renewed while
the reader works and given back when it stops (a dead reader's lease simply runs out).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy.engine import Engine

from ivr.config import is_loopback
from ivr.domain.business_hours import Schedule
from ivr.domain.errors import InputError
from ivr.domain.mail import parse_mail
from ivr.domain.statuses import MailOutcome
from ivr.services import mailbox
from ivr.store.tx import Tx, transaction

log = logging.getLogger("ivr.mailbox")

DONE_FOLDER = "Procesados"
ASIDE_FOLDER = "Apartados"
LEASE = timedelta(minutes=5)
BATCH = 50  # mails fetched per round
TIMEOUT = 30  # seconds for the server to answer


class MailboxUnavailable(InputError):
    """The mail server cannot be reached or refuses us: nothing was lost, try again later."""


@dataclass
class Reading:
    """What one round did."""

    busy_with: str | None = None  # another reader holds the lease
    handled: list[mailbox.Handled] = field(default_factory=list)

    def count(self, outcome: MailOutcome) -> int:
        """Mails of one outcome handled now for the first time."""
        return sum(1 for h in self.handled if h.outcome == outcome and not h.again)


def reader_id() -> str:
    """This process, as a lease holder: host and pid."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


class ImapMailbox:
    """One connection to the mailbox's folder."""

    def __init__(self, url: str, timeout: float = TIMEOUT):
        """Connect and log in: imaps:// over TLS; imap:// with STARTTLS, or in the clear on
        loopback only (a local test server)."""
        parts = urlsplit(url)
        self.folder = unquote(parts.path.strip("/")) or "INBOX"
        host = parts.hostname or ""
        secure = parts.scheme == "imaps"
        try:
            self.client = IMAPClient(host, port=parts.port or (993 if secure else 143),
                                     ssl=secure, timeout=timeout)
            if not secure:
                if b"STARTTLS" in self.client.capabilities():
                    self.client.starttls(ssl.create_default_context())
                elif not is_loopback(host):
                    self.client.shutdown()
                    raise MailboxUnavailable(
                        f"{host} offers no STARTTLS: use imaps:// (the password would travel "
                        "in the clear)")
            self.client.login(unquote(parts.username or ""), unquote(parts.password or ""))
            self.client.select_folder(self.folder)
            for name in (DONE_FOLDER, ASIDE_FOLDER):
                if not self.client.folder_exists(name):
                    self.client.create_folder(name)
        except (OSError, IMAPClientError) as error:
            raise MailboxUnavailable(f"mail server {host}: {error}") from None

    def messages(self, limit: int = BATCH) -> Iterator[tuple[int, bytes]]:
        """(uid, raw bytes) of the mails in the folder, oldest first."""
        uids = sorted(self.client.search("ALL"))[:limit]
        if not uids:
            return
        fetched = self.client.fetch(uids, [b"BODY.PEEK[]"])
        for uid in uids:
            data = fetched.get(uid, {})
            raw = data.get(b"BODY[]")
            if raw is not None:
                yield uid, raw

    def move(self, uid: int, folder: str) -> None:
        """Take a mail out of the folder (MOVE, or copy, flag and expunge)."""
        if b"MOVE" in self.client.capabilities():
            self.client.move([uid], folder)
        else:
            self.client.copy([uid], folder)
            self.client.delete_messages([uid])
            self.client.expunge()

    def wait(self, seconds: float, stop: threading.Event) -> None:
        """Until new mail arrives, `seconds` pass or `stop` is set: IDLE when the server
        offers it (woken within a second of a stop), else polling."""
        if b"IDLE" not in self.client.capabilities():
            stop.wait(seconds)
            return
        self.client.idle()
        try:
            waited = 0.0
            while waited < seconds and not stop.is_set():
                if self.client.idle_check(timeout=1):
                    break
                waited += 1
        finally:
            self.client.idle_done()

    def close(self) -> None:
        """Log out (the connection may be gone already)."""
        with contextlib.suppress(OSError, IMAPClientError):
            self.client.logout()


def read_once(engine: Engine, open_mailbox: Callable[[], ImapMailbox],
              rules: mailbox.MailboxRules, schedule_of: Callable[[Tx], Schedule],
              clock: Callable[[], datetime], holder: str,
              keep_lease: bool = False) -> Reading:
    """One round: take the lease, handle every mail in the folder, move each out."""
    now = clock()
    with transaction(engine) as tx:
        if not mailbox.take_lease(tx, holder, now + LEASE, now):
            lease = mailbox.lease_holder(tx)
            return Reading(busy_with=lease.holder if lease else "?")
    reading = Reading()
    try:
        server = open_mailbox()
        try:
            _read(engine, server, rules, schedule_of, clock, holder, reading)
        finally:
            server.close()
    finally:
        if not keep_lease:
            with transaction(engine) as tx:
                mailbox.drop_lease(tx, holder)
    return reading


def _read(engine: Engine, server: ImapMailbox, rules: mailbox.MailboxRules,
          schedule_of: Callable[[Tx], Schedule], clock: Callable[[], datetime], holder: str,
          reading: Reading) -> None:
    """Handle what the folder holds now."""
    own = rules.own
    try:
        for uid, raw in server.messages():
            mail = parse_mail(raw, own)
            now = clock()
            with transaction(engine) as tx:
                if not mailbox.take_lease(tx, holder, now + LEASE, now):
                    log.warning("mailbox: lease lost to another reader; stopping")
                    return
                handled = mailbox.handle_mail(tx, schedule_of(tx), rules, mail, now)
            reading.handled.append(handled)
            log.info("mailbox: mail %s: %s%s", uid, handled.outcome,
                     f" (case {handled.case_number})" if handled.case_number else "")
            server.move(uid, ASIDE_FOLDER if handled.outcome == MailOutcome.ASIDE
                        else DONE_FOLDER)
    except (OSError, IMAPClientError) as error:
        raise MailboxUnavailable(f"mail server: {error}") from None


def work(engine: Engine, open_mailbox: Callable[[], ImapMailbox],
         rules: mailbox.MailboxRules, schedule_of: Callable[[Tx], Schedule],
         clock: Callable[[], datetime], stop: threading.Event, interval: float,
         report: Callable[[str], None]) -> None:
    """Read until `stop` is set: one connection kept open, new mail awaited with IDLE; the
    server down, tried again every `interval` seconds (nothing is lost: the mail waits)."""
    holder = reader_id()
    server: ImapMailbox | None = None
    try:
        while not stop.is_set():
            try:
                now = clock()
                with transaction(engine) as tx:
                    if not mailbox.take_lease(tx, holder, now + LEASE, now):
                        report("another reader holds the mailbox; waiting")
                        stop.wait(interval)
                        continue
                if server is None:
                    server = open_mailbox()
                reading = Reading()
                _read(engine, server, rules, schedule_of, clock, holder, reading)
                if reading.handled:
                    report(describe(reading))
                server.wait(interval, stop)
            except MailboxUnavailable as error:
                report(f"{error}; trying again in {interval:g} s")
                if server is not None:
                    server.close()
                    server = None
                stop.wait(interval)
    finally:
        if server is not None:
            server.close()
        with transaction(engine) as tx:
            mailbox.drop_lease(tx, holder)


def describe(reading: Reading) -> str:
    """What a round did, on one line."""
    if reading.busy_with:
        return f"another reader ({reading.busy_with}) holds the mailbox: nothing read"
    again = sum(1 for h in reading.handled if h.again)
    return (f"{reading.count(MailOutcome.CASE)} new cases, {reading.count(MailOutcome.NOTE)} "
            f"notes, {reading.count(MailOutcome.SKIPPED)} skipped, "
            f"{reading.count(MailOutcome.ASIDE)} set aside, {again} read before")


def open_mailbox(url: str) -> Callable[[], ImapMailbox]:
    """A connector for the configured mailbox (InputError when none is configured)."""
    if not url:
        raise InputError("IMAP_URL is not set: the support mailbox is not read")
    return lambda: ImapMailbox(url)
