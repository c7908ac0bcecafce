"""Every webhook delivered three times (one after another, or at once) leaves the same state.

Twilio retries a webhook when told to (connection overrides) or when an answer is slow, and
status callbacks come when they come. The same calls are walked verb by verb on an empty
database once with every request delivered once, then with every request (TwiML webhooks,
whisper legs, recording, leg and call status callbacks) delivered three times — in sequence,
and concurrently from three threads. The full database snapshots (every column that says
something, with ids replaced by natural keys and counters such as calls.webhooks left out)
must be equal: one case per report, one recording per RecordingSid, one dial attempt per
leg, no miss counted twice, and call statuses only moving forward (a late `ringing` never
overwrites `completed`).
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from ivr.domain.clock import utcnow
from ivr.services.directory import add_company, add_contact, add_emergency, seed_business_hours
from ivr.store.models import (
    Analyst,
    Call,
    Case,
    Company,
    Contact,
    DialAttempt,
    EmergencyContact,
    Recording,
)
from ivr.store.tx import transaction
from tests.call_walker import HANGUP, Caller, CallWalk
from tests.conftest import Twilio, _empty_tables, call_params, orm_session
from tests.routing_support import add_analysts, analyst_phone

OPEN, CLOSED = "2026-12-07 09:00", "2026-12-07 21:00"  # a Monday in Caracas
CONTACT = "+584145550123"
EMERGENCY = ("+584140000001", "+584140000002")


class Reporter(Caller):
    """Reports a fault by speech and keys; analysts answer as `answers` says (by phone)."""

    def __init__(self, answers: dict[str, str] | None = None):
        """answers: phone -> accept | decline | no-answer | busy."""
        self.answers = answers or {}

    def gather(self, path, args, gather):
        """The caller's answers."""
        return {
            "/voice/menu": {"Digits": "2"},
            "/voice/report/field": {"SpeechResult": {"company": "Empresa Demo",
                                                     "name": "María Pérez",
                                                     "position": "Gerente"}.get(args.get("f")),
                                    "Confidence": "0.9"},
            "/voice/report/email": {"SpeechResult": "maria arroba example punto com"},
            "/voice/report/callback": {"Digits": "2"},
            "/voice/report/callback-number": {"Digits": "04141234567"},
            "/voice/report/extension": {"Digits": "25"},
            "/voice/report/severity": {"Digits": "2"},
            "/voice/report/after": {"Digits": "1"} if args.get("t") == "1" else {"Digits": "9"},
        }.get(path)

    def dial(self, number):
        """Each phone does what the script says (ring out by default)."""
        return self.answers.get(number.text, "no-answer")


class Emergency(Caller):
    """Out of hours: 0, yes it is an emergency, nobody answers, an urgent message."""

    def gather(self, path, args, gather):
        """The caller's answers."""
        return {"/voice/menu": {"Digits": "0"},
                "/voice/emergency-confirm": {"SpeechResult": "sí, es una emergencia"}}.get(path)


class Lookup(Caller):
    """Menu 1, keys a case number, adds a recording, then hangs up."""

    def __init__(self, number: str):
        """The case number to key."""
        self.number = number
        self.options = 0

    def gather(self, path, args, gather):
        """The caller's answers."""
        if path == "/voice/case/option":
            self.options += 1
            return {"Digits": "1"} if self.options == 1 else HANGUP
        return {"/voice/menu": {"Digits": "1"},
                "/voice/case/number": {"Digits": self.number}}.get(path)


# --- deliveries -----------------------------------------------------------------------------


def once(app):
    """Every request delivered once."""
    return Twilio(app).post


def thrice(app):
    """Every request delivered three times in a row; the last answer is the one followed."""
    poster = Twilio(app)

    def deliver(path, params):
        """Post three times."""
        return [poster.post(path, params) for _ in range(3)][-1]

    return deliver


def concurrently(app):
    """Every request delivered three times at once, from three threads."""
    posters = [Twilio(app) for _ in range(3)]

    def deliver(path, params):
        """Post from three threads at the same moment."""
        responses = [None] * 3
        barrier = threading.Barrier(3)

        def post(i):
            """One delivery."""
            barrier.wait()
            responses[i] = posters[i].post(path, params)

        threads = [threading.Thread(target=post, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = {r.status_code for r in responses}
        assert len(statuses) == 1, (path, statuses)
        return responses[-1]

    return deliver


DELIVERIES = {"once": once, "thrice": thrice, "concurrently": concurrently}


# --- the calls ------------------------------------------------------------------------------


def seed(app) -> None:
    """Hours, a known contact, three analysts and two emergency phones."""
    state = app.extensions["ivr"]
    _empty_tables(state.engine)
    state.schedules.invalidate()
    with transaction(state.engine) as tx:
        seed_business_hours(tx)
        now = utcnow()
        add_company(tx, "Empresa Demo", 4, now)
        add_contact(tx, "Empresa Demo", "Ana Prueba", CONTACT, "Gerente", None, now)
        for i, phone in enumerate(EMERGENCY):
            add_emergency(tx, f"Guardia {i}", phone, None, now)
        add_analysts(tx, 3)


def walk_calls(app, clock, deliver) -> list[CallWalk]:
    """The same calls, in the same order, with the same sids: the delivery is what differs."""
    walks = []

    def call(when, caller, sid, caller_id="+584125550123", start="/voice/incoming"):
        """Walk one call, then a late 'ringing' and a replayed final status."""
        clock(when)
        walk = CallWalk(deliver, caller, caller_id=caller_id, sid=sid).run(start)
        walk.callback("/voice/status", walk.params(CallStatus="ringing", SequenceNumber="0"))
        walk.callback("/voice/status", walk.params(CallStatus="in-progress",
                                                   SequenceNumber="1"))
        walks.append(walk)
        return walk

    # Open: the first analyst declines, the second rings out, the third takes it.
    first = call(OPEN, Reporter({analyst_phone(1): "decline", analyst_phone(3): "accept"}),
                 "CA" + "1" * 32)
    # Closed, a known contact (no identity questions): ends with the callback promise.
    call(CLOSED, Reporter(), "CA" + "3" * 32, caller_id=CONTACT)
    # Closed emergency: both emergency phones ring out, an urgent message is left.
    call(CLOSED, Emergency(), "CA" + "4" * 32, caller_id="+584245550177")
    # Open, the first case looked up and a recording added to it.
    call(OPEN, Lookup(first.case_numbers[0]), "CA" + "5" * 32, caller_id="+584125550111")
    return walks


# --- the snapshot ---------------------------------------------------------------------------


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row that matters, ids replaced by natural keys, counters and clocks of writes out."""
    with orm_session(app) as session:
        case_key = {c.id: (c.origin_call_sid, c.origin_seq) for c in session.scalars(select(Case))}
        analyst = {a.id: a.phone for a in session.scalars(select(Analyst))}
        emergency = {e.id: e.phone for e in session.scalars(select(EmergencyContact))}
        company = {c.id: c.name_key for c in session.scalars(select(Company))}
        contact = {c.id: c.phone for c in session.scalars(select(Contact))}

        def who(answered_by):
            """'analyst:3' as 'analyst:+58…' (ids differ between databases)."""
            if not answered_by:
                return answered_by
            kind, _, ref = answered_by.partition(":")
            table = analyst if kind == "analyst" else emergency
            return f"{kind}:{table.get(int(ref), ref)}"

        return {
            "cases": sorted((
                c.origin_call_sid, c.origin_seq, c.status, c.severity, company.get(c.company_id),
                contact.get(c.contact_id), c.company_name, c.caller_name, c.caller_position,
                c.email, c.caller_number, c.callback_number, c.callback_extension,
                c.out_of_hours, c.urgent, c.callback_state, c.due_at,
                analyst.get(c.assigned_analyst_id), c.visit_at, c.visit_status, c.created_at,
                c.notes) for c in session.scalars(select(Case))),
            "recordings": sorted((
                r.recording_sid, r.call_sid, case_key.get(r.case_id), r.kind, r.url,
                r.duration, r.status, r.created_at) for r in session.scalars(select(Recording))),
            "calls": sorted((
                c.call_sid, c.direction, c.from_number, c.from_raw, c.to_number,
                c.forwarded_from, c.status, c.status_seq, c.duration, contact.get(c.contact_id),
                analyst.get(c.analyst_id), case_key.get(c.case_id), c.outcome,
                who(c.answered_by), c.attempts, c.ring_seconds, c.hunt_started_at,
                c.started_at, c.ended_at) for c in session.scalars(select(Call))),
            "dial_attempts": sorted((
                d.call_sid, d.seq, case_key.get(d.case_id), analyst.get(d.analyst_id),
                emergency.get(d.emergency_contact_id), d.dial_call_sid, d.outcome, d.started_at,
                d.accepted_at, d.ended_at) for d in session.scalars(select(DialAttempt))),
            "analysts": sorted((
                a.phone, a.status, a.idle_since, a.lease_call_sid, a.lease_until,
                a.missed_in_row, a.away_notice) for a in session.scalars(select(Analyst))),
        }


def run(app, clock, delivery: str) -> tuple[dict, list[CallWalk]]:
    """Seed, walk the calls with one kind of delivery, snapshot."""
    seed(app)
    walks = walk_calls(app, clock, DELIVERIES[delivery](app))
    for walk in walks:
        assert not walk.failures, (walk.sid, walk.failures)
        assert walk.ended in ("hangup", "caller-hung-up"), (walk.sid, walk.ended, walk.path_log)
    return snapshot(app), walks


# --- the tests ------------------------------------------------------------------------------


def check_reference(app, state: dict, walks: list[CallWalk]) -> None:
    """The state after single delivery is the one these calls should leave."""
    calls = {c[0]: c for c in state["calls"]}
    # The open call is put through after two questions (no recorded description): the
    # recordings are the closed report's, the emergency message and the addendum.
    assert len(state["cases"]) == 3 and len(state["recordings"]) == 3
    assert {c[6] for c in calls.values()} == {"completed"}  # late 'ringing' ignored
    assert calls["CA" + "1" * 32][13] == f"analyst:{analyst_phone(3)}"
    assert [(d[3], d[6]) for d in state["dial_attempts"] if d[0] == "CA" + "1" * 32] == [
        (analyst_phone(1), "declined"), (analyst_phone(2), "no-answer"),
        (analyst_phone(3), "accepted")]
    assert [(d[4], d[6]) for d in state["dial_attempts"] if d[0] == "CA" + "4" * 32] == [
        (EMERGENCY[0], "no-answer"), (EMERGENCY[1], "no-answer")]


def heard_numbers_exist(app, walks: list[CallWalk]) -> None:
    """Every case number a caller heard is a case of the database."""
    with orm_session(app) as session:
        numbers = set(session.scalars(select(Case.number)))
    heard = {n for w in walks for n in w.case_numbers}
    assert heard and heard <= numbers


@pytest.mark.slow
def test_triple_delivery_leaves_the_same_state(app, clock):
    """Each webhook three times, in a row or at once: the same database as delivered once."""
    reference, walks = run(app, clock, "once")
    check_reference(app, reference, walks)
    heard_numbers_exist(app, walks)
    for delivery in ("thrice", "concurrently"):
        state, walks = run(app, clock, delivery)
        for table in reference:
            assert state[table] == reference[table], (delivery, table)
        heard_numbers_exist(app, walks)
    assert app.extensions["ivr"].apologies == 0 and app.extensions["ivr"].degraded == 0


STATUS_ORDERS = {
    "in order": ["ringing", "in-progress", "completed"],
    "reversed": ["completed", "in-progress", "ringing"],
    "final first, then replays": ["completed", "ringing", "completed", "in-progress"],
    "busy then late ringing": ["busy", "ringing", "queued"],
}


@pytest.mark.parametrize("order", list(STATUS_ORDERS))
@pytest.mark.parametrize("with_sequence", [True, False])
def test_status_callbacks_only_move_forward(app, twilio, session, clock, order, with_sequence):
    """Any order, with or without SequenceNumber, each thrice: the final status stays."""
    clock(OPEN)
    sid = twilio.new_sid()
    statuses = STATUS_ORDERS[order]
    rank = {s: i for i, s in enumerate(["queued", "ringing", "in-progress"])}
    for status in statuses:
        seq = {"queued": 0, "ringing": 1, "in-progress": 2}.get(status, 3)
        extra = {"SequenceNumber": str(seq)} if with_sequence else {}
        for _ in range(3):
            response = twilio.post("/voice/status", call_params(
                sid, CallStatus=status, CallDuration="42" if status not in rank else None,
                **extra))
            assert response.status_code == 204 and response.data == b""
    call = session.get(Call, sid)
    final = next(s for s in statuses if s not in rank)
    assert call.status == final and call.duration == 42 and call.ended_at is not None
    assert call.status_seq == (3 if with_sequence else None)
