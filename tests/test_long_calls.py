"""Callers who never get anywhere still end somewhere sensible, within a bounded call.

A caller who stays silent at every question, one who presses the same wrong key forever,
one who mumbles, and one who keeps going round the menus are walked verb by verb the way
Twilio walks the TwiML. Each call must end — a <Hangup/>, or the end of the document after
a message was taken — within a bounded number of webhooks, without an apology. And legs that
Twilio never reports back (a lost Dial action, even one lost in a database outage) still
free the analyst.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.services.calls import MAX_WEBHOOKS_PER_CALL
from ivr.store.models import Analyst, Call, Case, DialAttempt
from ivr.voice.offline import replay_spool
from tests.call_walker import Caller, CallWalk, database_gone
from tests.conftest import call_params, twiml
from tests.routing_support import add_analysts

OPEN, CLOSED = "2026-12-07 09:00", "2026-12-07 21:00"
SILENCE_BOUND = 40


class Silent(Caller):
    """Says nothing at any question or recording; phones ring out."""

    def record(self, path, args):
        """Silence at the beep."""
        return False


class SameKey(Silent):
    """Presses the same key at every question."""

    def __init__(self, key: str):
        """The key."""
        self.key = key

    def gather(self, path, args, gather):
        """Always that key."""
        return {"Digits": self.key}


class Mumbler(Silent):
    """Answers every question with speech that means nothing."""

    def gather(self, path, args, gather):
        """Words the line cannot use."""
        return {"SpeechResult": "eh… bueno… este", "Confidence": "0.2"}


class RoundAndRound(Silent):
    """Looks up a case, then asks for the menu, then looks it up again, forever."""

    def __init__(self, number: str):
        """The case number to key each time."""
        self.number = number

    def gather(self, path, args, gather):
        """1 at the menu, the number, then 3 (back to the menu)."""
        return {"/voice/menu": {"Digits": "1"},
                "/voice/case/confirm": {"Digits": "1"},
                "/voice/case/number": {"Digits": self.number},
                "/voice/case/option": {"Digits": "3"}}.get(path, {"Digits": "*"})


def walk(twilio, caller: Caller, max_webhooks: int = 200, **kwargs) -> CallWalk:
    """Walk one call to its end (or give up after max_webhooks)."""
    return CallWalk(twilio.post, caller, max_webhooks=max_webhooks, **kwargs).run()


def ended_sensibly(call: CallWalk, bound: int) -> None:
    """No bad answer, ended by the line (hangup) or after a message, within the bound."""
    assert not call.failures, call.failures
    assert call.ended in ("hangup", "document-ended"), (call.ended, call.path_log[-5:])
    assert len(call.path_log) <= bound, (len(call.path_log), call.path_log)


@pytest.mark.parametrize("when", [OPEN, CLOSED])
@pytest.mark.parametrize("caller", ["silent", "key-7", "mumbler"])
def test_callers_who_never_answer_end_within_bounds(app, twilio, db, session, clock, when,
                                                   caller):
    """Silence, a wrong key or nonsense at every question: over within 40 webhooks."""
    add_analysts(db, 2)
    clock(when)
    script = {"silent": Silent(), "key-7": SameKey("7"), "mumbler": Mumbler()}[caller]
    call = walk(twilio, script)
    ended_sensibly(call, SILENCE_BOUND)
    assert app.extensions["ivr"].apologies == 0
    session.expire_all()
    # Nobody is left leased to a call that is over.
    assert [a.lease_call_sid for a in session.scalars(select(Analyst))] == [None, None]
    # Whatever the caller did, the report path leaves a case to call back (rule 5).
    case = session.scalars(select(Case).where(Case.origin_call_sid == call.sid)).first()
    if case is not None:
        assert case.callback_state in ("pending", "done")


def test_a_caller_going_round_the_menus_is_ended(app, twilio, session, clock):
    """Lookup, back to the menu, lookup again…: ended by the line's webhook bound."""
    clock(OPEN)
    first = walk(twilio, SameKey("2"), caller_id="+584125550111")
    number = next(c.number for c in session.scalars(select(Case)))
    assert first.ended
    call = walk(twilio, RoundAndRound(number), max_webhooks=MAX_WEBHOOKS_PER_CALL + 10)
    ended_sensibly(call, MAX_WEBHOOKS_PER_CALL + 2)
    assert call.path_log.count("/voice/menu?t=1&again=1") > 10  # it did go round


def test_a_twilio_redirect_loop_is_ended(app, twilio, clock):
    """The same webhook posted again and again (a retry loop) ends with a Hangup."""
    clock(OPEN)
    sid = twilio.new_sid()
    posted = 0
    while posted < MAX_WEBHOOKS_PER_CALL + 5:
        posted += 1
        root = twiml(twilio.post("/voice/menu?t=1", call_params(sid)))
        if root.find("Hangup") is not None:
            break
    assert root.find("Hangup") is not None and posted <= MAX_WEBHOOKS_PER_CALL + 1
    assert app.extensions["ivr"].apologies == 0


# --- lost legs ----------------------------------------------------------------------------


def test_dial_action_lost_in_an_outage_frees_the_analyst(app, twilio, db, session, clock):
    """Accepted, then the Dial action meets the outage and no leg status ever comes: once the
    spool is replayed the leg is closed and the analyst is free again."""
    [analyst] = add_analysts(db, 1)
    clock(OPEN)
    sid = twilio.new_sid()
    root = twiml(twilio.post("/voice/connect?r=1", call_params(sid)))
    number = root.find("Dial/Number")
    attempt = int(number.get("url").rsplit("=", 1)[1])
    leg = call_params("CA" + "8" * 32, "+15005550006", ParentCallSid=sid,
                      Direction="outbound-dial")
    twiml(twilio.post(number.get("url"), leg))
    twiml(twilio.post(f"/voice/whisper/answer?a={attempt}", {**leg, "Digits": "1"}))
    with database_gone(app):
        root = twiml(twilio.post(root.find("Dial").get("action"), call_params(
            sid, DialCallStatus="completed", DialBridged="true", DialCallDuration="300")))
        assert root.find("Hangup") is not None  # someone took it: goodbye
        assert twilio.post("/voice/status", call_params(
            sid, CallStatus="completed", CallDuration="320")).status_code == 204
    session.expire_all()
    assert session.get(Analyst, analyst).lease_call_sid == sid  # still leased: nothing came
    replay_spool(app)
    session.expire_all()
    assert session.get(Analyst, analyst).lease_call_sid is None
    assert session.get(DialAttempt, attempt).outcome == "accepted"
    assert session.get(DialAttempt, attempt).ended_at is not None


def test_whisper_accept_lost_in_an_outage_is_kept_on_replay(app, twilio, db, session, clock):
    """Whisper, accept and Dial action all during the outage: after the replay the leg is
    closed as taken, the analyst is free, and the leg left no call row of its own."""
    [analyst] = add_analysts(db, 1)
    clock(OPEN)
    sid = twilio.new_sid()
    root = twiml(twilio.post("/voice/connect?r=1", call_params(sid)))
    number = root.find("Dial/Number")
    attempt = int(number.get("url").rsplit("=", 1)[1])
    leg_sid = "CA" + "9" * 32
    leg = call_params(leg_sid, "+15005550006", ParentCallSid=sid, Direction="outbound-dial")
    with database_gone(app):
        whisper = twiml(twilio.post(number.get("url"), leg))
        accept = whisper.find("Gather").get("action")
        assert list(twiml(twilio.post(accept, {**leg, "Digits": "1"}))) == []  # bridged
        twiml(twilio.post(root.find("Dial").get("action"), call_params(
            sid, DialCallStatus="completed", DialBridged="true")))
    replay_spool(app)
    session.expire_all()
    assert session.get(Call, leg_sid) is None
    assert session.get(Analyst, analyst).lease_call_sid is None
    dial = session.get(DialAttempt, attempt)
    assert dial.outcome == "accepted" and dial.ended_at is not None
    assert session.get(Call, sid).outcome == "answered"
