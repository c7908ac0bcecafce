"""When the database is unavailable: answer without it, spool what the caller gives, replay later.

The open/closed decision comes from the last schedule seen (kept on disk), the caller is put
through to the fallback phones with a database-free whisper, and out of hours (or when nobody
answers) a message is recorded. Every request answered this way is appended to the local spool;
once the database is back the spool is replayed (ivr.services.replay) with the service
functions the webhooks call, and messages left while offline become cases with the number the
caller was given.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, request
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from ivr.domain.case_numbers import spoken_digits
from ivr.domain.clock import utcnow
from ivr.services import replay
from ivr.store.spool import Spool
from ivr.voice.blueprint import bp
from ivr.voice.common import hung_up
from ivr.voice.context import app_state, speaker
from ivr.voice.fallback import dial_fallback, record_offline_message, someone_took_it
from ivr.voice.fallback import fallback_accept as db_free_accept
from ivr.voice.fallback import fallback_whisper as db_free_whisper
from ivr.voice.twiml import VoiceResponse, no_content, twiml
from ivr.voice.urls import url_for

log = logging.getLogger("ivr.offline")

SPOOL_CHECK_SECONDS = 5.0
SILENT_ENDPOINTS = frozenset({"voice.status", "voice.recording_status", "voice.leg_status",
                              "voice.offline_recording_status", "voice.callback_status",
                              "voice.alert_status"})
# Calls back placed from the console, on the analyst's phone: without the database nobody is
# dialled, the analyst is told and the call ends (never the fallback phones: it is no caller).
CALLBACK_CALL_ENDPOINTS = frozenset({"voice.callback_answer", "voice.callback_choice",
                                     "voice.callback_dialled"})
# An alert call to an emergency phone: without the database it cannot be taken, and ringing
# the fallback phones from it would only call them back; it ends, and the next round rings.
ALERT_ENDPOINTS = frozenset({"voice.alert_call", "voice.alert_answer"})





def spool() -> Spool:
    """This application's spool."""
    return Spool(app_state().settings.spool_dir)


def spool_request() -> None:
    """Append the current request (never its signature) to the spool."""
    record = {
        "t": utcnow().isoformat(),
        "endpoint": request.endpoint,
        "path": request.full_path.rstrip("?"),
        "form": dict(request.form.items()),
    }
    try:
        spool().append(record)
    except OSError:
        # The spool itself failed: the caller is still routed; the operator sees this line.
        log.error("spool: could not write a request of call %s",
                  (request.form.get("CallSid") or "")[:64])


# Webhooks answered while the caller waits in a queue: only the wait verbs may be answered.
WAIT_ENDPOINTS = frozenset({"voice.hold_wait", "voice.hold_key"})


def degraded_answer():
    """Answer any voice webhook without the database; spool what it carried."""
    spool_request()
    endpoint = request.endpoint or ""
    if endpoint in SILENT_ENDPOINTS:
        return no_content()
    if hung_up():
        return twiml(VoiceResponse())
    if endpoint in ALERT_ENDPOINTS:
        response = VoiceResponse()
        speaker().say(response, "alert_unavailable")
        response.hangup()
        return twiml(response)
    if endpoint in WAIT_ENDPOINTS:
        # A caller on hold: out of the queue (only wait verbs may be answered here); the
        # Enqueue's action, without the database too, puts them through to the fallback phones.
        response = VoiceResponse()
        response.leave()
        return twiml(response)
    if endpoint == "voice.whisper":
        return db_free_whisper(speaker())
    if endpoint == "voice.whisper_answer":
        return db_free_accept()
    if endpoint == "voice.callback_greeting":
        # The client has answered a call back: greeted without the case, and bridged.
        response = VoiceResponse()
        speaker().say(response, "callback_greeting_offline")
        return twiml(response)
    if endpoint in CALLBACK_CALL_ENDPOINTS:
        response = VoiceResponse()
        speaker().say(response, "callback_unavailable")
        response.hangup()
        return twiml(response)
    response = VoiceResponse()
    if endpoint == "voice.satisfaction" or (endpoint in replay.DIAL_ACTIONS and
                                            someone_took_it(request.form)):
        # The conversation is over (the score is spooled and replayed): only goodbye.
        speaker().say(response, "goodbye")
        response.hangup()
        return twiml(response)
    s = speaker()
    if app_state().schedules.offline().is_open(utcnow()):
        s.say(response, "apology")
        dial_fallback(s, app_state().settings.fallback_numbers, response, 0)
    else:
        # Closed: the apology must not promise a specialist now; the choice says what there is.
        s.say(response, "apology_closed")
        gather = response.gather(input="dtmf", num_digits=1, timeout=5,
                                 action=url_for("voice.offline_choice"), method="POST")
        s.say(gather, "offline_closed_choice")
        record_offline_message(s, response)
    return twiml(response)


@bp.post("/offline/choice")
def offline_choice():
    """Closed and offline: 0 rings the fallback (emergency) phones, else a message."""
    spool_request()
    response = VoiceResponse()
    if (request.form.get("Digits") or "")[:1] == "0":
        dial_fallback(speaker(), app_state().settings.fallback_numbers, response, 0)
    else:
        record_offline_message(speaker(), response)
    return twiml(response)


@bp.post("/offline/recorded")
def offline_recorded():
    """A message left without the database: spooled, and the caller gets a case number."""
    spool_request()
    response = VoiceResponse()
    if not hung_up():
        number = replay.offline_case_number((request.form.get("CallSid") or "")[:64])
        speaker().say(response, "offline_recorded", digits=spoken_digits(number))
        speaker().say(response, "goodbye")
        response.hangup()
    return twiml(response)


@bp.post("/offline/recording-status")
def offline_recording_status():
    """The status of a message left without the database: spooled."""
    spool_request()
    return no_content()


# --- replay --------------------------------------------------------------------------------


def replay_spool(app: Flask) -> int:
    """Replay every spooled request into the database; return how many were applied."""
    state = app.extensions["ivr"]
    return replay.replay_spool(state.engine, Spool(state.settings.spool_dir), state.schedules,
                               state.settings)


class SpoolReplayer:
    """Replays the spool in the background once the database answers again."""

    def __init__(self):
        """Nothing running yet."""
        self._lock = threading.Lock()
        self._next_check = 0.0

    def poke(self, app: Flask) -> None:
        """Called after requests: every few seconds, start a replay if anything is spooled."""
        moment = time.monotonic()
        if moment < self._next_check:
            return
        self._next_check = moment + SPOOL_CHECK_SECONDS
        if not Spool(app.extensions["ivr"].settings.spool_dir).pending():
            return
        if self._lock.locked():
            return
        threading.Thread(target=self.run, args=(app,), daemon=True).start()

    def run(self, app: Flask) -> int:
        """Replay now if the database answers; return the records applied."""
        if not self._lock.acquire(blocking=False):
            return 0
        try:
            with app.app_context():
                engine = app.extensions["ivr"].engine
                try:
                    with engine.connect() as conn:
                        conn.execute(text("SELECT 1"))
                        conn.rollback()
                except sa_exc.SQLAlchemyError:
                    return 0
                try:
                    return replay_spool(app)
                except sa_exc.SQLAlchemyError as error:
                    log.warning("spool: replay stopped, database unavailable again: %s",
                                type(error).__name__)
                    return 0
        finally:
            self._lock.release()


