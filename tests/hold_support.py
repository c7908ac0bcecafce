"""Calls that wait on the line, for the hold queue's tests: the app wired to the fake of
Twilio's REST API, a moved clock, analysts made busy and freed, and a caller played by the one
walker (ivr/sim/walker.py) whose waits run the worker when the test says so."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: N817 - the usual name
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import time_machine
from sqlalchemy import text

from ivr.cli.call import FlaskTransport
from ivr.cli.outbox import offer_round, worker_sender
from ivr.domain.clock import utcnow
from ivr.services import outbox, routing
from ivr.sim.walker import Answer, Exchange, Observer, Question, Walker
from ivr.store import holds
from ivr.store.tx import Q, Rec, transaction
from tests.conftest import TOKEN, caracas
from tests.routing_support import add_analysts, configure
from tests.twilio_fake import ACCOUNT_SID

OPEN = "2027-02-16 10:00"  # a Tuesday, in hours
TALK = 120  # seconds a caller talks with the analyst who takes them


@dataclass
class Heard(Observer):
    """What the caller heard, with the simulated second it was said at, and every document."""

    walker: Walker | None = None
    lines: list[tuple[int, str]] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)

    def said(self, text: str, leg: bool) -> None:
        """Keep what the caller hears (not the analyst's whisper)."""
        if not leg:
            self.lines.append((self.walker.elapsed if self.walker else 0, text))

    def exchanged(self, exchange: Exchange) -> None:
        """Keep every request and its answer."""
        self.exchanges.append(exchange)

    @property
    def words(self) -> str:
        """Everything heard, in order."""
        return " ".join(text for _at, text in self.lines)

    def documents(self, path: str) -> list[ET.Element]:
        """The TwiML answered at a path, in order."""
        return [ET.fromstring(e.reply.body) for e in self.exchanges
                if e.kind == "twiml" and urlsplit(e.url).path == path and e.reply.body]

    def paths(self) -> list[str]:
        """The paths requested, in order."""
        return [urlsplit(e.url).path for e in self.exchanges]


class HoldCaller:
    """Plays the caller: 0 at the menu (a person), `choice` at "wait or be called back",
    whatever `on_wait(n)` answers at the n-th cycle of the wait (None: silence), and the
    analysts' phones as `dials` says, one answer per ring."""

    def __init__(self, on_wait: Callable[[int], Answer | None], dials=(), choice: str = "1"):
        """The caller's plan."""
        self.on_wait = on_wait
        self.dials = list(dials)
        self.choice = choice
        self.waits = 0

    def next(self, question: Question) -> Answer | None:
        """The answer to a question, by where it posts."""
        if question.kind == "dial":
            choice = self.dials.pop(0) if self.dials else "ring"
            return Answer("dial", choice, seconds=TALK)
        action = urlsplit(question.action).path
        if action == "/voice/menu":
            return Answer("keys", "0")
        if action == "/voice/hold/choice":
            return Answer("keys", self.choice)
        if action == "/voice/hold/key":
            self.waits += 1
            answer = self.on_wait(self.waits)
            return answer if answer is not None else Answer("silence")
        return Answer("silence")

    def refused(self, answer: Answer, reason: str) -> None:
        """A planned answer that does not fit: a mistake in the test."""
        raise AssertionError(reason)


class Line:
    """The application in hours, its clock, the fake of Twilio and the worker."""

    def __init__(self, app, fake):
        """Configure the app for the fake and freeze the clock at OPEN."""
        self.app, self.fake = app, fake
        fake.auth_token = TOKEN
        configure(app, twilio_account_sid=ACCOUNT_SID, twilio_api_url=fake.url)
        self.traveller = time_machine.travel(caracas(OPEN), tick=False)
        self.coordinates = self.traveller.start()
        self.engine = app.extensions["ivr"].engine
        self.current: Walker | None = None  # the call being walked

    def stop(self) -> None:
        """Let the clock go."""
        self.traveller.stop()

    def shift(self, seconds: float) -> None:
        """Move the clock on."""
        self.coordinates.shift(seconds)

    def analysts(self, count: int, busy: bool = True, start: int = 1) -> list[int]:
        """Available analysts, each on another call when `busy`."""
        with transaction(self.engine) as tx:
            ids = add_analysts(tx, count, start=start)
        if busy:
            for analyst_id in ids:
                self.make_busy(analyst_id)
        return ids

    def make_busy(self, analyst_id: int) -> None:
        """The analyst is on another call for the next hour."""
        with transaction(self.engine) as tx:
            tx.update("analysts", analyst_id, lease_call_sid=f"CAother{analyst_id:04d}",
                      lease_until=utcnow() + timedelta(hours=1))

    def free(self, analyst_id: int, wrap_up: int = 0) -> None:
        """The analyst's other call ends (after `wrap_up` seconds of wrap-up)."""
        with transaction(self.engine) as tx:
            assert routing.release(tx, analyst_id, f"CAother{analyst_id:04d}", utcnow(),
                                   timedelta(seconds=wrap_up) if wrap_up else None)

    def work(self) -> outbox.Delivery:
        """One round of the outbox worker: its offer round, then the delivery of the rows due
        (the offer rows written when an analyst freed up among them)."""
        offer_round(self.app, utcnow())
        return outbox.run_once(self.engine, worker_sender(self.app), utcnow())

    def call(self, caller: HoldCaller, number: str = "+584125550123") -> tuple[Walker, Heard]:
        """A call to the line, walked to its end."""
        heard = Heard()
        walker = Walker(FlaskTransport(self.app), caller, token=TOKEN, caller=number,
                        advance=self.shift, observer=heard, max_steps=400)
        heard.walker = walker
        self.current = walker
        self.fake.attach(walker)
        walker.run()
        return walker, heard

    def hold(self, call_sid: str) -> Rec:
        """A call's hold as stored."""
        with transaction(self.engine) as tx:
            return holds.by_call(tx, call_sid)

    def rows(self, sql: str, **params) -> list[Rec]:
        """Rows read by the test itself (times as datetimes, on both databases)."""
        with transaction(self.engine) as tx:
            return tx.rows(Q(sql), **params)

    def rows_update(self, sql: str, **params) -> None:
        """A change made by the test itself."""
        with self.engine.begin() as conn:
            conn.execute(text(sql), params)
