"""What a caller goes through: seconds of prompts before a person rings, inputs, webhooks.

`python -m bench.experience` walks six calls in process on a fresh SQLite database with the
demo data (three analysts free): a new fault, a returning client and "hablar con una persona",
each open (Tuesday 09:00) and closed (Monday 20:00), through the real webhooks with the
project's walker. The caller answers each question the way a person would, whatever order the
line asks them in. Prompts are counted at 2.5 spoken words a second, on the caller's side,
until the first phone rings (or, when none rings, until the caller hangs up); inputs are the
questions answered by then; webhooks are the requests made for TwiML by then (the whole call
in brackets).
"""

from __future__ import annotations

import argparse
import logging
import re
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import time_machine

from ivr import create_app
from ivr.cli.call import FlaskTransport
from ivr.domain.business_hours import CARACAS
from ivr.services.demo import load_demo_data
from ivr.services.directory import seed_business_hours
from ivr.sim.simulator import Output
from ivr.sim.walker import Answer, Exchange, Observer, Question, Walker
from ivr.store.schema import init_db
from ivr.store.tx import transaction

WORDS_PER_SECOND = 2.5
TOKEN = "experience-token"  # noqa: S105 - signs requests to a throwaway in-process app
OPEN = "2026-12-08 09:00"  # a Tuesday morning
CLOSED = "2026-12-07 20:00"  # a Monday night
CASE_NUMBER = re.compile(r"\b\d(?:, \d){6,8}\b")  # read digit by digit
NEW_CALLER = "+584125550123"
KNOWN_CONTACT = "+15005550201"  # Ana Prueba, Empresa Demo (demo data)


class Person:
    """Answers what the line asks, by the question's URL, as a caller with a goal would."""

    def __init__(self, menu_key: str, case_digits: str = "", wants_person: bool = True):
        """menu_key: what the caller wants from the main menu."""
        self.menu_key = menu_key
        self.wants_person = wants_person
        self.case_digits = case_digits
        self.asked: list[Question] = []

    def next(self, question: Question) -> Answer | None:
        """The answer to one question (None hangs up)."""
        self.asked.append(question)
        if question.kind == "dial":
            return Answer("dial", "accept", seconds=60)
        if question.kind == "record":
            return Answer("record", seconds=20)
        parts = urlsplit(question.action)
        args = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        answer = ANSWERS.get((path, args.get("f")), ANSWERS.get((path, None)))
        if path == "/voice/menu":
            return Answer("keys", self.menu_key)
        if path == "/voice/case/option" and not self.wants_person:
            return None  # closed: the status was all the caller wanted
        if path == "/voice/case/number":
            return Answer("keys", self.case_digits + "#")
        if answer is None:
            return None  # a question this caller has no answer to: they hang up
        kind, value = answer
        return Answer(kind, value)

    def refused(self, answer: Answer, reason: str) -> None:
        """A wrong kind of answer is a mistake here."""
        raise AssertionError(reason)


ANSWERS = {
    ("/voice/report/field", "company"): ("speech", "Comercial Ejemplo"),
    ("/voice/report/field", "name"): ("speech", "Eva Ensayo"),
    ("/voice/report/field", "position"): ("speech", "Contadora"),
    ("/voice/report/email", None): ("keys", "#"),
    ("/voice/report/callback", None): ("keys", "1"),
    ("/voice/report/severity", None): ("keys", "1"),
    ("/voice/report/triage", None): ("keys", "1"),
    ("/voice/case/confirm", None): ("keys", "1"),
    ("/voice/case/option", None): ("keys", "2"),
    ("/voice/emergency-confirm", None): ("keys", "1"),
}


class Meter(Observer):
    """Counts words and webhooks until the first phone rings."""

    def __init__(self):
        """Nothing heard yet."""
        self.words = 0
        self.webhooks_before = 0
        self.webhooks = 0
        self.rang = False
        self.case_digits = ""

    def exchanged(self, exchange: Exchange) -> None:
        """A request: a leg's first one means a phone rings."""
        if exchange.leg:
            self.rang = True
        if exchange.kind == "twiml" and not exchange.leg:
            self.webhooks += 1
            if not self.rang:
                self.webhooks_before += 1

    def said(self, text: str, leg: bool) -> None:
        """Words the caller hears before anyone rings."""
        if not leg and not self.rang:
            self.words += len(text.split())
        number = CASE_NUMBER.search(text)
        if number and not self.case_digits:
            self.case_digits = re.sub(r"\D", "", number.group())


@dataclass
class Row:
    """One call's figures."""

    name: str
    seconds: float
    inputs: int
    webhooks_before: int
    webhooks: int
    rang: bool


def fresh_app(folder: str):
    """The line on an empty SQLite database with the demo data."""
    app = create_app({"IVR_ENV": "testing", "DATABASE_URL": f"sqlite:///{folder}/line.sqlite3",
                      "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "x" * 32,
                      "PUBLIC_BASE_URL": "", "SPOOL_DIR": f"{folder}/spool"})
    app.instance_path = folder
    state = app.extensions["ivr"]
    state.schedules.path = f"{folder}/schedule-cache.json"
    init_db(state.engine)
    with transaction(state.engine) as tx:
        seed_business_hours(tx)
        load_demo_data(tx, datetime.now(CARACAS), "testing")
    return app


NARRATOR = None  # --show: the transcript of every call


def walk(app, at: str, caller: str, person: Person) -> Meter:
    """One call at a Caracas time; what it measured."""
    meter = Meter()
    moment = datetime.fromisoformat(at).replace(tzinfo=CARACAS)
    with ExitStack() as stack:
        travel = stack.enter_context(time_machine.travel(moment, tick=False))
        stack.enter_context(app.app_context())
        walker = Walker(FlaskTransport(app), person, NARRATOR, token=TOKEN, caller=caller,
                        advance=lambda s: travel.shift(timedelta(seconds=s)), observer=meter)
        walker.run()
    return meter


def inputs_before_ring(person: Person) -> int:
    """Questions the caller answered before a phone rang."""
    count = 0
    for question in person.asked:
        if question.kind == "dial":
            break
        count += 1
    return count


def measure(name: str, at: str, caller: str, menu_key: str, setup=None,
            wants_person: bool = True) -> Row:
    """One scenario on its own fresh database."""
    with tempfile.TemporaryDirectory() as folder:
        app = fresh_app(folder)
        digits = setup(app) if setup else ""
        person = Person(menu_key, digits, wants_person)
        meter = walk(app, at, caller, person)
        app.extensions["ivr"].engine.dispose()
    asked = inputs_before_ring(person) - (0 if meter.rang else 1)  # the last one: hung up
    return Row(name, meter.words / WORDS_PER_SECOND, asked, meter.webhooks_before,
               meter.webhooks, meter.rang)


def earlier_report(app) -> str:
    """The returning client reported a fault the day before (Monday 10:00, in hours)."""
    person = Person("2")
    meter = walk(app, "2026-12-07 16:00", KNOWN_CONTACT, person)
    return meter.case_digits


def scenarios() -> list[Row]:
    """The six calls."""
    rows = []
    for when, at in (("open", OPEN), ("closed", CLOSED)):
        rows.append(measure(f"new fault, {when}", at, NEW_CALLER, "2"))
        rows.append(measure(f"returning client, {when}", at, KNOWN_CONTACT, "1",
                            setup=earlier_report, wants_person=when == "open"))
        rows.append(measure(f"hablar con una persona, {when}", at, NEW_CALLER, "0"))
    return rows


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print every call's transcript")
    if parser.parse_args().show:
        global NARRATOR  # noqa: PLW0603 - a command-line switch
        NARRATOR = Output(print)
    logging.getLogger("ivr").setLevel(logging.ERROR)
    print("| Call | Prompts before ringing | Inputs | Webhooks before ringing (whole call) |")
    print("|---|---|---|---|")
    for row in scenarios():
        ring = "" if row.rang else " (nobody rung)"
        print(f"| {row.name} | {row.seconds:.0f} s{ring} | {row.inputs} | "
              f"{row.webhooks_before} ({row.webhooks}) |")


if __name__ == "__main__":
    main()
