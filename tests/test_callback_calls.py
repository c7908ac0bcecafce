"""Calls back through the line, placed from the console, against the fake of Twilio's API:
the button takes the analyst's lease and writes the REST call to the outbox; the worker
places it; the fake answers it and walks its TwiML with the project's walker (the analyst's
whisper, their key, the <Dial> to the client with the line's caller ID and the extension as
keys, the client's greeting, the status callbacks); the analyst records the outcome."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from ivr.cli.call import FlaskTransport
from ivr.config import ConfigError, load_settings
from ivr.domain.clock import utcnow
from ivr.domain.statuses import CallbackCallState, CallbackState, OutboxStatus
from ivr.services import outbox
from ivr.services.callbacks import callback_attempts
from ivr.services.cases import get_case
from ivr.services.twilio_rest import TwilioRest
from ivr.store import analysts, callback_calls, holds
from ivr.store import outbox as outbox_rows
from ivr.store.tx import transaction
from tests.conftest import TOKEN, Twilio, call_params, twiml
from tests.console_support import Console, engine, make_user, open_test_case
from tests.routing_support import configure
from tests.twilio_fake import ACCOUNT_SID

CALLER_ID = "+582124713239"  # the CANTV line, verified as a caller ID
ANALYST_PHONE = "+15005550101"  # make_user's analyst
CLIENT = "+584125550123"  # open_test_case's caller
EXTENSION = "204"
DISABLED = re.compile(r'<button type="button" disabled[^>]*>Devolver llamada</button>\s*'
                      r'<p class="hint" id="callback-why">([^<]+)</p>')
ENABLED = re.compile(r'action="/console/cases/\d+/callback"')


class Line:
    """The console, the app and the fake of Twilio, for one case."""

    def __init__(self, app, fake, console, case, user):
        """Keep them."""
        self.app, self.fake, self.console, self.user = app, fake, console, user
        self.number, self.case_id = case.number, case.id
        self.transport = FlaskTransport(app)

    def press(self):
        """Press "Devolver llamada" on the case page."""
        return self.console.post(f"/console/cases/{self.number}/callback")

    def page(self) -> str:
        """The case page."""
        return self.console.get(f"/console/cases/{self.number}").get_data(as_text=True)

    def deliver(self, now=None) -> outbox.Delivery:
        """One run of the outbox worker."""
        rest = TwilioRest(ACCOUNT_SID, TOKEN, self.fake.url)
        return outbox.run_once(engine(self.app), outbox.CallSender(rest), now or utcnow())

    def call_back(self, script: str):
        """Press the button, deliver, and the analyst's phone answers with `script`."""
        assert self.press().status_code == 303
        assert self.deliver().sent
        return self.fake.answer(self.transport, script)

    def outcome(self, callback_id: int, outcome: str, note: str = ""):
        """Record what happened."""
        return self.console.post(f"/console/cases/{self.number}/callback/outcome",
                                 {"callback_id": str(callback_id), "outcome": outcome,
                                  "note": note})

    def rows(self):
        """The case's calls back as stored."""
        with transaction(engine(self.app)) as tx:
            return callback_calls.of_case(tx, self.case_id)

    def analyst(self):
        """The user's analyst row."""
        with transaction(engine(self.app)) as tx:
            return analysts.analyst_by_id(tx, self.user.analyst_id)

    def case(self):
        """The case as stored."""
        with transaction(engine(self.app)) as tx:
            return get_case(tx, self.case_id)

    def attempts(self):
        """The callback queue's attempts of the case (what `callbacks done` records)."""
        with transaction(engine(self.app)) as tx:
            return callback_attempts(tx, get_case(tx, self.case_id))

    def outbox_row(self, message_id):
        """An outbox row."""
        with transaction(engine(self.app)) as tx:
            return outbox_rows.by_id(tx, message_id)


@pytest.fixture
def line(app, clock, twilio_api):
    """Tuesday 16 February 2027, 10:00 in Caracas; Twilio configured with the fake; an
    analyst logged in; a case waiting for its callback, with an extension."""
    clock("2027-02-16 10:00")
    twilio_api.auth_token = TOKEN
    configure(app, twilio_account_sid=ACCOUNT_SID, twilio_api_url=twilio_api.url,
              callback_caller_id=CALLER_ID)
    user = make_user(app)
    console = Console(app)
    console.login()
    case = open_test_case(app)
    with transaction(engine(app)) as tx:
        tx.update("cases", case.id, callback_extension=EXTENSION)
    return Line(app, twilio_api, console, case, user)


def test_the_button_leases_the_analyst_and_writes_the_call_to_the_outbox(line):
    """Nothing is sent by the page itself: the analyst is leased (no incoming call rings
    them) and one 'call' row waits for the worker, to the analyst's own phone."""
    assert ENABLED.search(line.page())
    response = line.press()
    assert response.status_code == 303
    [row] = line.rows()
    assert row.state == CallbackCallState.PLACING and row.client_number == CLIENT
    assert line.analyst().lease_call_sid == f"callback:{row.id}"
    queued = line.outbox_row(row.outbox_id)
    assert queued.status == OutboxStatus.PENDING and line.fake.calls == []
    page = line.page()
    assert "En curso: llamando a su teléfono" in page and not ENABLED.search(page)


def test_connected_call_uses_the_lines_caller_id_and_the_extension(line):
    """The analyst presses 1: the client is dialled with CALLBACK_CALLER_ID, the extension as
    sendDigits on the <Number>, and greeted before the bridge; the analyst says "spoke" and the
    callback is done (the same record as `callbacks done`)."""
    call = line.call_back("1;dial:accept")
    asked = line.fake.created()[0]
    assert asked["To"] == ANALYST_PHONE and asked["From"] == CALLER_ID
    [row] = line.rows()
    assert asked["Url"] == f"http://localhost/voice/callback/answer?cb={row.id}" \
                           f"&outbox={row.outbox_id}"
    assert "Devolución de llamada, caso " in call.words and "marque 1" in call.words
    [dial] = call.dials()
    assert dial.get("callerId") == CALLER_ID
    [number] = dial.findall("Number")
    assert number.text == CLIENT and number.get("sendDigits") == EXTENSION
    assert number.get("url").startswith("/voice/callback/greeting?")
    digits = ", ".join(line.number)
    assert any(f"Le llama CCO Apoyo Empresarial por su caso {digits}" in words
               for words in call.leg_heard)
    assert row.state == CallbackCallState.ENDED and row.client_status == "completed"
    assert row.call_sid == call.entry["call"]["sid"]
    assert line.analyst().lease_call_sid is None
    sent = line.outbox_row(row.outbox_id)
    assert sent.status == OutboxStatus.SENT and sent.provider_sid == row.call_sid

    page = line.page()
    assert f'name="callback_id" type="hidden" value="{row.id}"' in page
    assert not ENABLED.search(page)  # the outcome first
    follow = line.console.get(line.press().headers["Location"]).get_data(as_text=True)
    assert "Registre primero qué pasó en la llamada anterior." in follow
    assert len(line.fake.created()) == 1 and len(line.rows()) == 1
    response = line.outcome(row.id, "spoke", "Reinició el servidor con el cliente")
    assert response.status_code == 303
    assert line.case().callback_state == CallbackState.DONE
    [attempt] = line.attempts()
    assert attempt.outcome == "spoke" and attempt.note == "Reinició el servidor con el cliente"
    assert line.rows()[0].outcome == "spoke"
    assert line.rows()[0].note == "Reinició el servidor con el cliente"
    assert 'name="callback_id"' not in line.page()  # nothing more to ask


@pytest.mark.parametrize(("answer", "status", "heard"), [
    ("ring", "no-answer", "El cliente no contestó."),
    ("busy", "busy", "La línea del cliente está ocupada."),
])
def test_client_not_reached(line, answer, status, heard):
    """No answer or busy: the analyst is told, the lease released; their outcome is counted
    and the case stays in the callback queue."""
    call = line.call_back(f"1;dial:{answer}")
    assert heard in call.words and "Registre el resultado en la consola" in call.words
    [row] = line.rows()
    assert row.client_status == status and row.state == CallbackCallState.ENDED
    assert line.analyst().lease_call_sid is None
    assert line.outcome(row.id, "no-answer").status_code == 303
    assert line.case().callback_state == CallbackState.PENDING
    assert [a.outcome for a in line.attempts()] == ["no-answer"]


@pytest.mark.parametrize("script", ["2", "-"], ids=["other-key", "no-key"])
def test_analyst_declines(line, script):
    """Another key, or none (a voicemail): the client is never dialled, the lease released,
    the attempt kept as declined, nothing asked afterwards and not counted for the cap."""
    call = line.call_back(script)
    assert call.dials() == []
    assert "quedó cancelada" in call.words
    [row] = line.rows()
    assert row.state == CallbackCallState.DECLINED and row.ended_at is not None
    assert line.analyst().lease_call_sid is None
    page = line.page()
    assert 'name="callback_id"' not in page and "Intentos hoy: 0 de 3." in page
    assert ENABLED.search(page)


def test_analysts_phone_not_answered(line):
    """The analyst's phone rings out: only the status callback comes; the lease is released
    and the attempt kept as missed."""
    assert line.press().status_code == 303
    line.deliver()
    line.fake.not_answered(line.transport, "no-answer")
    [row] = line.rows()
    assert row.state == CallbackCallState.MISSED and row.call_sid is None
    assert line.analyst().lease_call_sid is None


class Killed(BaseException):
    """The worker dies between Twilio's create and the mark."""


class DyingSender(outbox.CallSender):
    """Places the call, then dies before run_once can mark the row."""

    def send(self, message_id, kind, payload):
        """Create, then die."""
        super().send(message_id, kind, payload)
        raise Killed


def test_worker_killed_between_create_and_mark_places_no_second_call(line):
    """The call's own webhook names its outbox row: its sid is kept there, and the next worker
    marks the row with that exact sid without listing calls, and places nothing more."""
    assert line.press().status_code == 303
    now = utcnow()
    with pytest.raises(Killed):
        outbox.run_once(engine(line.app), DyingSender(TwilioRest(ACCOUNT_SID, TOKEN,
                                                                  line.fake.url)), now)
    call = line.fake.answer(line.transport, "1;dial:accept")
    [row] = line.rows()
    stored = line.outbox_row(row.outbox_id)
    assert stored.status == OutboxStatus.SENDING
    assert stored.provider_sid == call.entry["call"]["sid"]
    delivery = line.deliver(now + outbox.CLAIM_TIMEOUT + timedelta(seconds=1))
    assert delivery.found == [row.outbox_id] and delivery.sent == []
    assert len(line.fake.calls) == 1
    assert [m for m, _path, _p in line.fake.requests if m == "GET"] == []  # no list needed
    assert line.outbox_row(row.outbox_id).status == OutboxStatus.SENT


def test_a_retried_choice_dials_again(line, app):
    """Twilio retries the analyst's 1 (the first answer lost on the way): the same Dial again,
    not a cancellation."""
    assert line.press().status_code == 303
    line.deliver()
    [row] = line.rows()
    params = call_params(line.fake.placed()["call"]["sid"], CALLER_ID, To=ANALYST_PHONE,
                         Direction="outbound-api", Digits="1")
    for _ in range(2):
        root = twiml(Twilio(app).post(f"/voice/callback/choice?cb={row.id}", params))
        assert [n.text for n in root.iter("Number")] == [CLIENT]
    assert line.rows()[0].state == CallbackCallState.DIALLING


def test_daily_cap_per_case(line, app, clock):
    """Calls that rang the client are capped per case per Caracas day: the button is shown
    disabled with the reason, a forced post is refused and writes nothing; the next day it
    works again."""
    configure(app, callback_attempts_per_day=2)
    for _ in range(2):
        line.call_back("1;dial:ring")
        line.outcome(line.rows()[-1].id, "no-answer")
    page = line.page()
    reason = DISABLED.search(page).group(1)
    assert reason.startswith("Ya se hicieron 2 devoluciones de llamada a este cliente hoy")
    assert "Intentos hoy: 2 de 2." in page
    response = line.press()
    assert response.status_code == 303
    follow = line.console.get(response.headers["Location"]).get_data(as_text=True)
    assert "límite diario por caso" in follow
    assert len(line.rows()) == 2 and line.analyst().lease_call_sid is None
    clock("2027-02-17 08:40")
    line.console.login()  # the session idled out overnight
    assert ENABLED.search(line.page())
    assert line.press().status_code == 303 and len(line.rows()) == 3


@pytest.mark.parametrize(("changes", "why"), [
    ({"twilio_account_sid": None}, "Faltan las credenciales de Twilio"),
    ({"callback_caller_id": None}, "Falta CALLBACK_CALLER_ID"),
])
def test_disabled_without_configuration(line, app, changes, why):
    """Without credentials or a caller ID the button is disabled with the reason; a post
    anyway writes nothing (no row, no lease, no outbox message)."""
    configure(app, **changes)
    page = line.page()
    assert DISABLED.search(page).group(1).startswith(why)
    assert not ENABLED.search(page)
    response = line.press()
    follow = line.console.get(response.headers["Location"]).get_data(as_text=True)
    assert why in follow
    assert line.rows() == [] and line.analyst().lease_call_sid is None
    with transaction(engine(app)) as tx:
        assert outbox.unsent(tx) == []


def test_one_call_back_at_a_time(line, app):
    """While a call back of another case goes on, this case's button says why it waits; an
    outcome still owed on this case is asked before another call."""
    other = open_test_case(app, caller="+584145550177", sid="CAother")
    assert line.console.post(f"/console/cases/{other.number}/callback").status_code == 303
    assert DISABLED.search(line.page()).group(1) == "Ya tiene una devolución de llamada en curso."
    response = line.press()
    follow = line.console.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ya tiene una devolución de llamada en curso." in follow
    assert line.rows() == []


def test_a_lost_status_callback_blocks_nobody_for_long(line, clock):
    """Twilio never posts the call's end: the analyst's lease expires and, with it, the call
    back in progress; they can call again (and still record the outcome)."""
    assert line.press().status_code == 303
    line.deliver()
    assert not ENABLED.search(line.page())
    clock("2027-02-16 10:04")  # the ringing lease (3 min) is over
    page = line.page()
    assert "En curso" not in page and ENABLED.search(page)
    assert line.press().status_code == 303 and len(line.rows()) == 2


def test_refused_while_the_analyst_is_on_another_call(line, app):
    """The analyst's lease is held by an incoming call: the call back is refused, nothing
    written."""
    with transaction(engine(app)) as tx:
        tx.update("analysts", line.user.analyst_id, lease_call_sid="CA" + "1" * 32,
                  lease_until=utcnow() + timedelta(minutes=5))
    response = line.press()
    follow = line.console.get(response.headers["Location"]).get_data(as_text=True)
    assert "Está en otra llamada" in follow
    assert line.rows() == []


def test_outcome_form_errors_and_foreign_attempts(line, app):
    """No outcome chosen: the form says so (400); an attempt of another case is refused."""
    line.call_back("1;dial:accept")
    [row] = line.rows()
    response = line.outcome(row.id, "")
    assert response.status_code == 400
    assert "Elija qué pasó con la llamada." in response.get_data(as_text=True)
    other = open_test_case(app, caller="+584145550177", sid="CAother")
    response = line.console.post(f"/console/cases/{other.number}/callback/outcome",
                                 {"callback_id": str(row.id), "outcome": "spoke"})
    follow = line.console.get(response.headers["Location"]).get_data(as_text=True)
    assert "no es suya en este caso" in follow
    assert line.rows()[0].outcome is None


def test_the_timeline_shows_calls_back(line):
    """Each call back is in the case's history: who, how it went, the outcome."""
    line.call_back("1;dial:accept")
    line.outcome(line.rows()[0].id, "spoke")
    page = line.page()
    assert "Devolución de llamada</span> de Ana Analista · terminada · el cliente contestó" \
           " · resultado: Hablé con el cliente" in page
    assert line.rows()[0].note is None


def test_callback_caller_id_is_validated():
    """CALLBACK_CALLER_ID must be a phone number; national writing becomes E.164."""
    env = {"IVR_ENV": "testing", "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "x" * 32}
    assert load_settings({**env, "CALLBACK_CALLER_ID": "(0212) 471.32.39"}) \
        .callback_caller_id == CALLER_ID
    with pytest.raises(ConfigError, match="CALLBACK_CALLER_ID"):
        load_settings({**env, "CALLBACK_CALLER_ID": "CCO"})
    with pytest.raises(ConfigError, match="CALLBACK_ATTEMPTS_PER_DAY"):
        load_settings({**env, "CALLBACK_ATTEMPTS_PER_DAY": "0"})


def test_a_call_back_ending_while_callers_wait_on_hold_writes_an_offer(line):
    """The analyst's own call back ends while a caller waits on hold: the worker is told at
    once (a 'hold_offer' row due now), as when any of their calls ends."""
    waiting = open_test_case(line.app, sid="CAwaiting")
    with transaction(engine(line.app)) as tx:
        holds.join(tx, "CAwaiting0001", waiting.id, False, 2, utcnow())
    line.call_back("1;dial:accept")
    assert line.analyst().lease_call_sid is None
    with transaction(engine(line.app)) as tx:
        offers = [row for row in outbox.unsent(tx) if row.kind == "hold_offer"]
    assert len(offers) == 1 and offers[0].next_attempt_at <= utcnow()
