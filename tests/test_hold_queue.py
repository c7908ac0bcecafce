"""The hold queue, against the fake of Twilio's REST API and signed webhooks walked by the one
walker: wait on the line hearing one's place, 1 for a callback, the longest wait, a hang-up,
offers to an analyst who frees up (an update of the call in progress), declines that keep the
place, skills, and contract clients ahead. The moved clock drives every wait; nothing sleeps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.domain.clock import utcnow
from ivr.domain.statuses import HoldState
from ivr.services import hold as holding
from ivr.services import routing, skills
from ivr.services.cases import open_case
from ivr.services.directory import add_company, add_contact, set_analyst_status
from ivr.sim.walker import Answer
from ivr.store.tx import Q, transaction
from tests.conftest import call_params, spoken, twiml
from tests.hold_support import HoldCaller, Line
from tests.routing_support import add_analysts, configure


@pytest.fixture
def line(app, twilio_api):
    """In hours, Twilio configured with the fake; the clock moved by the calls."""
    line = Line(app, twilio_api)
    yield line
    line.stop()


def offer_at(line: Line, wait: int, analyst_id: int, cycle: int = 1):
    """At the caller's `wait`-th cycle: `analyst_id`'s other call ends and the worker runs."""
    def on_wait(n: int):
        if n == cycle:
            line.free(analyst_id)
            delivery = line.work()
            assert delivery.sent, delivery  # the offer row, delivered
        return None
    return on_wait


def test_hold_then_answered(line):
    """Both analysts busy: the caller chooses to wait, hears they are next, and when one frees
    up the worker redirects their call to that analyst's whispered Dial; they talk."""
    first, second = line.analysts(2)

    def on_wait(n: int):
        if n == 2:
            line.free(second)
            assert line.work().sent
        return None

    walker, heard = line.call(HoldCaller(on_wait, dials=["accept"]))
    hold = line.hold(walker.call_sid)
    assert hold.state == HoldState.BRIDGED and hold.offers == 1
    assert hold.analyst_id == second
    assert 60 <= hold.waited_seconds <= 100  # two cycles of 30 to 45 seconds
    assert "Usted es el próximo en ser atendido" in heard.words
    assert "Le comunicamos con un especialista" in heard.words
    # Twilio's own queue: one per caller, named by the CallSid.
    [enqueue] = [doc.find("Enqueue") for doc in heard.documents("/voice/hold/choice")]
    assert enqueue.text == walker.call_sid
    assert enqueue.get("waitUrl") == f"/voice/hold/wait?h={hold.id}"
    assert enqueue.get("action") == f"/voice/hold/left?h={hold.id}"
    [(sid, url)] = line.fake.redirects
    assert sid == walker.call_sid
    assert url.endswith(f"/voice/hold/offer?h={hold.id}&a={hold.attempt_id}")
    [call] = line.rows("SELECT outcome, answered_by FROM calls WHERE call_sid = :s",
                       s=walker.call_sid)
    assert (call.outcome, call.answered_by) == ("answered", f"analyst:{second}")
    [leg] = line.rows("SELECT analyst_id, outcome, accepted_at FROM dial_attempts"
                      " WHERE id = :a", a=hold.attempt_id)
    assert (leg.analyst_id, leg.outcome) == (second, "accepted")
    # The wait ended when the analyst pressed 1 (the wallboard stops showing it then), not
    # when the conversation ended.
    assert hold.ended_at == leg.accepted_at
    [case] = line.rows("SELECT assigned_analyst_id FROM cases WHERE id = :c", c=hold.case_id)
    assert case.assigned_analyst_id == second


def test_wait_documents_use_only_wait_verbs_and_cycle_every_30_to_45_seconds(line):
    """Each wait document is one cycle: the place and the estimate, 1 for a callback, music or
    a pause, inside one Gather; only the verbs a wait URL may answer."""
    line.analysts(1)
    walker, heard = line.call(HoldCaller(lambda n: Answer("hangup") if n == 3 else None))
    docs = heard.documents("/voice/hold/wait")
    assert len(docs) == 3
    for doc in docs:
        assert {verb.tag for verb in doc} <= {"Say", "Play", "Pause", "Gather", "Redirect",
                                              "Leave", "Hangup"}
        [gather] = list(doc)
        assert gather.tag == "Gather" and gather.get("numDigits") == "1"
        assert gather.get("action").startswith("/voice/hold/key?h=")
    # The walker speaks 14 characters a second, as the line reckons its cycle.
    starts = [at for at, text in heard.lines if text.startswith("Usted es")]
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert gaps and all(30 <= gap <= 45 for gap in gaps), gaps


def test_hold_then_callback_by_key(line):
    """1 while waiting: out of the queue (<Leave/>), the case in the callback queue, the
    caller told when they will be called and their case number."""
    line.analysts(2)
    walker, heard = line.call(HoldCaller(lambda n: Answer("keys", "1") if n == 2 else None))
    hold = line.hold(walker.call_sid)
    assert hold.state == HoldState.LEFT and hold.ended_at is not None
    [key_doc] = heard.documents("/voice/hold/key")
    assert [verb.tag for verb in key_doc] == ["Leave"]
    assert "no tendrá que seguir esperando" in heard.words
    [case] = line.rows("SELECT callback_state, due_at FROM cases WHERE id = :c",
                       c=hold.case_id)
    assert case.callback_state == "pending" and case.due_at is not None
    [call] = line.rows("SELECT outcome FROM calls WHERE call_sid = :s", s=walker.call_sid)
    assert call.outcome == "callback"
    assert line.fake.redirects == []


def test_hold_then_maximum_wait(app, line):
    """After HOLD_MAX_WAIT_MINUTES the wait says sorry and leaves: the callback queue."""
    configure(app, hold_max_wait_minutes=2)
    line.analysts(1)
    walker, heard = line.call(HoldCaller(lambda n: None))
    hold = line.hold(walker.call_sid)
    assert hold.state == HoldState.TIMED_OUT
    assert 120 <= hold.waited_seconds <= 165
    assert "Lamentamos la espera de dos minutos" in heard.words
    assert "le llamará" in heard.words
    [case] = line.rows("SELECT callback_state FROM cases WHERE id = :c", c=hold.case_id)
    assert case.callback_state == "pending"


def test_hold_then_hang_up(line):
    """A caller who hangs up while waiting: abandoned, with how long they waited; the case
    joins the callback queue (there is a number to call)."""
    line.analysts(1)
    walker, heard = line.call(HoldCaller(lambda n: Answer("hangup") if n == 2 else None))
    hold = line.hold(walker.call_sid)
    assert hold.state == HoldState.ABANDONED
    assert 30 <= hold.waited_seconds <= 90
    left = [e for e in heard.exchanges if e.url.split("?")[0].endswith("/voice/hold/left")]
    assert left and left[0].params["QueueResult"] == "hangup"
    [case] = line.rows("SELECT callback_state FROM cases WHERE id = :c", c=hold.case_id)
    assert case.callback_state == "pending"
    [call] = line.rows("SELECT outcome FROM calls WHERE call_sid = :s", s=walker.call_sid)
    assert call.outcome == "abandoned"


def test_declined_offer_keeps_the_place(line):
    """The analyst offered the caller declines: the caller is back in the queue with their
    original wait start (still next), and the next analyst who frees up takes them."""
    first, second = line.analysts(2)
    started = {}

    def on_wait(n: int):
        if n == 1:
            started["since"] = line.hold(line.current.call_sid).waiting_since
            line.free(first)
            assert line.work().sent
        if n == 3:
            line.free(second)
            assert line.work().sent
        return None

    walker, heard = line.call(HoldCaller(on_wait, dials=["decline", "accept"]))
    hold = line.hold(walker.call_sid)
    assert hold.state == HoldState.BRIDGED and hold.offers == 2
    assert hold.analyst_id == second
    assert hold.waiting_since == started["since"]
    assert "Usted conserva su lugar en la fila" in heard.words
    legs = line.rows("SELECT analyst_id, outcome FROM dial_attempts WHERE call_sid = :s"
                     " ORDER BY seq", s=walker.call_sid)
    assert [(leg.analyst_id, leg.outcome) for leg in legs] == [
        (first, "declined"), (second, "accepted")]


def test_contract_client_goes_ahead_of_an_earlier_caller(line, twilio):
    """A contract client who calls later is placed ahead: each hears the place the line gives,
    and the first analyst who frees up is offered the contract client."""
    with transaction(line.engine) as tx:
        add_company(tx, "Contratos del Este", 4, utcnow())
        add_contact(tx, "Contratos del Este", "Ana Pérez", "+584145550777", None, None, utcnow())
    first, _second = line.analysts(2)
    seen = {}

    def contract_waits(n: int):
        if n == 1:
            earlier = line.hold(seen["earlier"].call_sid)
            root = twiml(twilio.post(f"/voice/hold/wait?h={earlier.id}",
                                     call_params(earlier.call_sid)))
            seen["earlier_place"] = spoken(root)
            line.free(first)
            assert line.work().sent
        return None

    def earlier_waits(n: int):
        if n == 1:
            seen["earlier"] = line.current
            walker, heard = line.call(HoldCaller(contract_waits, dials=["accept"]),
                                      number="+584145550777")
            seen["contract"], seen["contract_heard"] = walker, heard
            line.current = seen["earlier"]
        if n == 2:
            return Answer("keys", "1")
        return None

    walker, heard = line.call(HoldCaller(earlier_waits))
    contract = line.hold(seen["contract"].call_sid)
    earlier = line.hold(walker.call_sid)
    assert contract.contract and not earlier.contract
    assert "Usted es el próximo en ser atendido" in seen["contract_heard"].words
    assert "Usted es el número dos en la fila" in seen["earlier_place"]
    assert (contract.state, contract.analyst_id) == (HoldState.BRIDGED, first)
    assert earlier.state == HoldState.LEFT and earlier.offers == 0


def test_skilled_analyst_first_then_anyone_after_the_skill_wait(app, line):
    """The caller's fault is about the network: an analyst without the skill who frees up is
    not offered them until SKILL_WAIT_SECONDS have passed (one with it is on duty); then is."""
    configure(app, skill_wait_seconds=60)
    plain, skilled = line.analysts(2)
    with transaction(line.engine) as tx:
        skills.seed_skills(tx, utcnow())
        analyst = tx.row(Q("SELECT * FROM analysts WHERE id = :id"), id=skilled)
        skills.set_analyst_skills(tx, analyst, ["redes"], utcnow())
    offered_at = {}

    def on_wait(n: int):
        hold = line.hold(line.current.call_sid)
        if n == 1:
            line.rows_update("UPDATE cases SET area = 'network' WHERE id = :c", c=hold.case_id)
            line.free(plain)
            line.work()
            assert line.fake.redirects == []  # waited less than the skill wait
        elif not line.fake.redirects:
            line.work()
            if line.fake.redirects:
                offered_at["waited"] = (utcnow() - hold.waiting_since).total_seconds()
        return None

    walker, _heard = line.call(HoldCaller(on_wait, dials=["accept"]))
    hold = line.hold(walker.call_sid)
    assert (hold.state, hold.analyst_id) == (HoldState.BRIDGED, plain)
    assert 60 <= offered_at["waited"] < 60 + 45


def test_hunt_prefers_the_skilled_analyst(app, line):
    """Free analysts: the one with a skill for the fault's area is rung first, even when
    another has been idle longer."""
    plain, skilled = line.analysts(2, busy=False)
    with transaction(line.engine) as tx:
        skills.seed_skills(tx, utcnow())
        analyst = tx.row(Q("SELECT * FROM analysts WHERE id = :id"), id=skilled)
        skills.set_analyst_skills(tx, analyst, ["impresoras"], utcnow())
        claimed = routing.claim_analyst(tx, "CAprinter", utcnow(), 20, area="printer")
        other = routing.claim_analyst(tx, "CAnetwork", utcnow(), 20, area="network")
    assert claimed.analyst_id == skilled
    assert other.analyst_id == plain  # nobody has the skill: the longest idle


def test_offer_to_a_call_that_ended_is_an_abandoned_wait(line):
    """Twilio no longer has the call (21220): the offer is withdrawn, the analyst free again,
    the wait recorded as abandoned."""
    first, = line.analysts(1)
    seen = {}

    def on_wait(n: int):
        walker = line.current
        walker.ended = True  # as if the caller had hung up a moment ago
        line.free(first)
        line.work()
        walker.ended = False
        seen["hold"] = line.hold(walker.call_sid)
        seen["analyst"] = line.rows("SELECT lease_call_sid FROM analysts WHERE id = :a",
                                    a=first)[0]
        return Answer("hangup")

    line.call(HoldCaller(on_wait))
    assert seen["hold"].state == HoldState.ABANDONED
    assert seen["analyst"].lease_call_sid is None
    [leg] = line.rows("SELECT outcome FROM dial_attempts WHERE id = :a",
                      a=seen["hold"].attempt_id)
    assert leg.outcome == "canceled"


def test_wrap_up_delays_the_offer(line):
    """An analyst whose call ends is offered the next caller only after the wrap-up time: the
    outbox row is due then, and the worker makes the offer within its next round."""
    first, = line.analysts(1)
    seen = {}

    def on_wait(n: int):
        if n == 1:
            line.free(first, wrap_up=30)
            seen["freed"] = utcnow()
            line.work()
            assert line.fake.redirects == []
            [row] = line.rows("SELECT next_attempt_at FROM outbox WHERE kind = 'hold_offer'")
            seen["due"] = row.next_attempt_at
        elif n == 2:
            line.work()
            seen["offered"] = utcnow()
        return None

    walker, _heard = line.call(HoldCaller(on_wait, dials=["accept"]))
    assert seen["due"] == seen["freed"] + timedelta(seconds=30)
    assert seen["offered"] >= seen["due"]
    assert line.hold(walker.call_sid).state == HoldState.BRIDGED


def test_nobody_on_duty_goes_straight_to_the_callback_queue(line):
    """With no analyst available (nobody will free up), waiting is not offered."""
    line.analysts(1, busy=False)
    line.rows_update("UPDATE analysts SET status = 'unavailable'")
    walker, heard = line.call(HoldCaller(lambda n: None))
    assert "Para esperar en línea" not in heard.words
    assert line.hold(walker.call_sid) is None


def test_places_follow_contract_then_severity_then_arrival(app, db, clock):
    """Contract clients first, then severity 1, 2, 3, unknown, then who came first; the place
    said is the count of those ahead, and the estimate grows with it."""
    clock("2027-02-16 10:00")
    add_analysts(db, 2)
    company = add_company(db, "Contratos del Este", 4, utcnow())
    joined = []
    # (contract, severity) in the order the callers join
    for n, (contract, severity) in enumerate([(False, None), (False, 3), (False, 1),
                                              (True, 3), (False, 1), (True, 1)]):
        case = open_case(db, f"CAplace{n:04d}", 1, "+584125550123", None, False, utcnow())
        db.update("cases", case.id, severity=severity,
                  company_id=company.id if contract else None)
        case = case.replace(severity=severity, company_id=company.id if contract else None)
        joined.append(holding.join(db, f"CAplace{n:04d}", case, utcnow()))
    db.commit()
    places = [holding.place(db, hold) for hold in joined]
    # contract+1 (n5), contract+3 (n3), 1 (n2), 1 (n4), 3 (n1), unknown (n0)
    assert places == [6, 5, 3, 2, 4, 1]
    config = holding.HoldConfig.of(app.extensions["ivr"].settings)
    estimates = [holding.estimate_seconds(db, p, utcnow(), config) for p in range(1, 7)]
    assert estimates == sorted(estimates) and estimates[0] > 0
    # Two analysts on duty, no conversation on record yet: (5 min talk + 30 s) × place ÷ 2.
    assert estimates[:2] == [165, 330]


def test_nobody_left_on_duty_while_waiting_moves_to_the_callback_queue(line):
    """The analysts go unavailable while a caller waits (nobody will free up): at the next
    cycle the caller is told and leaves for the callback queue."""
    first, = line.analysts(1)

    def on_wait(n: int):
        if n == 1:
            line.rows_update("UPDATE analysts SET status = 'unavailable' WHERE id = :a", a=first)
        return None

    walker, heard = line.call(HoldCaller(on_wait))
    hold = line.hold(walker.call_sid)
    assert hold.state == HoldState.TIMED_OUT and hold.waited_seconds < 60
    assert "ya no quedan especialistas para atenderle en línea" in heard.words
    assert "le llamará" in heard.words
    [case] = line.rows("SELECT callback_state FROM cases WHERE id = :c", c=hold.case_id)
    assert case.callback_state == "pending"


def test_an_analyst_going_available_is_offered_the_caller(line):
    """Someone goes available while a caller waits (the other analyst still busy): the status
    change writes the offer row, and the worker offers them the caller."""
    busy, = line.analysts(1)
    later, = line.analysts(1, busy=False, start=2)
    line.rows_update("UPDATE analysts SET status = 'unavailable' WHERE id = :a", a=later)

    def on_wait(n: int):
        if n == 1:
            with transaction(line.engine) as tx:
                analyst = tx.row(Q("SELECT * FROM analysts WHERE id = :id"), id=later)
                set_analyst_status(tx, analyst, "available", utcnow())
            [row] = line.rows("SELECT status FROM outbox WHERE kind = 'hold_offer'")
            assert row.status == "pending"
            assert line.work().sent
        return None

    walker, _heard = line.call(HoldCaller(on_wait, dials=["accept"]))
    hold = line.hold(walker.call_sid)
    assert (hold.state, hold.analyst_id) == (HoldState.BRIDGED, later)
    assert busy != later
