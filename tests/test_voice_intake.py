"""A new fault put through at once (rule 4): the fewest questions with an analyst free, the full
intake picking up where the short one stopped when nobody answers."""

from __future__ import annotations

from sqlalchemy import select

from ivr.domain.clock import utcnow
from ivr.services.directory import add_company, add_contact
from ivr.store.models import Call, Case
from tests.call_walker import HANGUP, Caller, CallWalk
from tests.routing_support import add_analysts

OPEN, CLOSED = "2026-12-07 09:00", "2026-12-07 20:00"  # a Monday in Caracas
CONTACT = "+584145550123"
WORDS_PER_SECOND = 2.5
FAULT = "la impresora no imprime y estamos parados"


class NewFault(Caller):
    """Menu 2, the company and the fault in words; the analyst's phone does `pickup`; asked
    to wait or be called back, presses 1 (a callback); the rest of the intake by keys."""

    def __init__(self, pickup: str = "accept"):
        """pickup: what the analyst's phone does (accept, no-answer…)."""
        self.pickup = pickup
        self.asked: list[tuple[str, dict]] = []

    def gather(self, path, args, gather):
        """A person's answers, noting every question."""
        self.asked.append((path, args))
        said = {"company": "Comercial Ejemplo", "name": "Eva Ensayo", "position": "Contadora"}
        return {
            "/voice/menu": {"Digits": "2"},
            "/voice/report/field": {"SpeechResult": said.get(args.get("f"), "-"),
                                    "Confidence": "0.9"},
            "/voice/report/severity": {"SpeechResult": FAULT, "Confidence": "0.9"},
            "/voice/connect/choice": {"Digits": "1"},
            "/voice/report/email": {"SpeechResult": "eva arroba ejemplo punto com"},
            "/voice/report/callback": {"Digits": "1"},
            "/voice/report/after": HANGUP,
        }.get(path, HANGUP)

    def dial(self, number):
        """The analyst's phone."""
        return self.pickup


class Heard(CallWalk):
    """A walk that also keeps what the analyst hears at the whisper, and when the first
    phone rang."""

    def __post_init__(self):
        """No whisper heard yet."""
        super().__post_init__()
        self.whispers: list[str] = []
        self.before_ringing: list[str] | None = None

    def exchanged(self, exchange):
        """The first request of a leg: a phone rings."""
        if exchange.leg and self.before_ringing is None:
            self.before_ringing = list(self.heard)
        super().exchanged(exchange)

    def said(self, text, leg):
        """The whisper on the analyst's phone, and the caller's words."""
        if leg:
            self.whispers.append(text)
        super().said(text, leg)


def seconds(words: list[str]) -> float:
    """Seconds of prompts at 2.5 spoken words a second."""
    return sum(len(text.split()) for text in words) / WORDS_PER_SECOND


def paths(walk) -> list[str]:
    """The webhooks the caller's call made, without their arguments."""
    return [entry.split("?")[0] for entry in walk.path_log]


def test_new_fault_rings_an_analyst_after_two_questions(twilio, clock, db, session):
    """In hours with an analyst free: the company and one question for what and how bad, then
    the phone rings — within 30 s of prompts, no Redirect on the way, the case number not read
    before ringing; the whisper carries what was said; the number is read after the call."""
    add_analysts(db, 2)
    clock(OPEN)
    caller = NewFault()
    walk = Heard(twilio.post, caller).run()
    assert [path for path, _args in caller.asked] == [
        "/voice/menu", "/voice/report/field", "/voice/report/severity"]
    assert paths(walk) == ["/voice/incoming", "/voice/menu", "/voice/report/field",
                           "/voice/report/severity", "/voice/connect/result"]
    assert seconds(walk.before_ringing) <= 30, walk.before_ringing
    case = session.scalars(select(Case)).one()
    assert ", ".join(case.number) not in " ".join(walk.before_ringing)
    assert walk.case_numbers == [case.number]  # after the conversation
    assert (case.company_name, case.severity, case.area, case.fault_summary) == (
        "Comercial Ejemplo", 1, "printer", FAULT)
    assert (case.caller_name, case.email, case.callback_number) == (None, None, None)
    whisper = " ".join(walk.whispers)
    assert "Comercial Ejemplo" in whisper and FAULT in whisper and "detenida" in whisper
    call = session.get(Call, walk.sid)
    assert (call.outcome, call.case_id) == ("answered", case.id)


def test_known_caller_is_asked_only_what_and_how_bad(twilio, clock, db, session):
    """The caller ID pre-fills the company: one question, then the phone rings."""
    add_company(db, "Empresa Demo", 4, utcnow())
    add_contact(db, "Empresa Demo", "Ana Prueba", CONTACT, "Gerente", None, utcnow())
    add_analysts(db, 1)
    clock(OPEN)
    caller = NewFault()
    walk = Heard(twilio.post, caller, caller_id=CONTACT).run()
    assert [path for path, _args in caller.asked] == ["/voice/menu", "/voice/report/severity"]
    assert seconds(walk.before_ringing) <= 30, walk.before_ringing
    case = session.scalars(select(Case)).one()
    assert (case.company_name, case.caller_name, case.area) == ("Empresa Demo", "Ana Prueba",
                                                                "printer")


def test_nobody_answers_then_the_intake_picks_up_where_it_stopped(twilio, clock, db,
                                                                   session):
    """The analyst lets it ring; the caller asks for a callback: the case number, then only
    what the case lacks (name, cargo, e-mail read back, callback number, the description),
    never the company or the severity again; the case joins the callback queue."""
    add_analysts(db, 1)
    clock(OPEN)
    caller = NewFault(pickup="no-answer")
    walk = Heard(twilio.post, caller).run()
    asked = [(path, args.get("f")) for path, args in caller.asked]
    assert asked == [
        ("/voice/menu", None), ("/voice/report/field", "company"),
        ("/voice/report/severity", None), ("/voice/connect/choice", None),
        ("/voice/report/field", "name"), ("/voice/report/field", "position"),
        ("/voice/report/email", None), ("/voice/report/callback", None),
        ("/voice/report/after", None)]
    case = session.scalars(select(Case)).one()
    assert walk.case_numbers[0] == case.number  # read once nobody answered
    assert "Anotamos el correo eva arroba ejemplo punto com" in walk.words
    assert (case.company_name, case.caller_name, case.caller_position, case.email) == (
        "Comercial Ejemplo", "Eva Ensayo", "Contadora", "eva@ejemplo.com")
    assert (case.severity, case.area, case.status, case.callback_state) == (
        1, "printer", "received", "pending")
    assert session.get(Call, walk.sid).outcome == "callback"


def test_closed_takes_the_full_intake_with_the_number_first(twilio, clock, db, session):
    """Out of hours nobody is rung: the case number first, then every question."""
    add_analysts(db, 2)
    clock(CLOSED)
    caller = NewFault()
    walk = Heard(twilio.post, caller).run()
    fields = [args.get("f") for path, args in caller.asked if path == "/voice/report/field"]
    assert fields == ["company", "name", "position"]
    assert walk.before_ringing is None
    case = session.scalars(select(Case)).one()
    assert walk.case_numbers[0] == case.number
    assert case.status == "received" and case.out_of_hours


def test_forwarded_from_an_analysts_phone_is_noted_on_the_case(twilio, clock, db, session):
    """Rule 9: a call forwarded from an analyst's own phone is taken like any other, and its
    case says where it came from; the caller never hears that phone's number."""
    add_analysts(db, 2)
    clock(OPEN)
    walk = Heard(twilio.post, NewFault())
    walk.walker.forwarded_from = "+584125550002"  # analyst 2's own phone
    walk.run()
    case = session.scalars(select(Case)).one()
    assert "Llamada desviada a la línea desde el teléfono de Analista 2" in case.notes
    assert "555" not in walk.words
    published = Heard(twilio.post, NewFault())
    published.walker.forwarded_from = "+582124713239"  # the line's own published number
    published.run()
    other = session.scalars(select(Case).where(Case.origin_call_sid == published.sid)).one()
    assert other.notes is None
