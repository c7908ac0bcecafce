"""When the database is unavailable: answer without it, spool what the caller gives, replay later.

The open/closed decision comes from the last schedule seen (kept on disk), the caller is put
through to the fallback phones with a database-free whisper, and out of hours (or when nobody
answers) a message is recorded. Every request answered this way is appended to the local spool;
once the database is back the spool is replayed: the original handlers run again on the
spooled requests (they are idempotent, as replays by Twilio require), and messages left while
offline become cases with the number the caller was given.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from datetime import datetime

from flask import Flask, g, request
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from ivr.domain.case_numbers import CURRENT_LENGTH, make_case_number, spoken_digits
from ivr.domain.clock import utcnow
from ivr.domain.phones import parse_phone
from ivr.services.callbacks import schedule_callback
from ivr.services.calls import CallParams, touch_call
from ivr.services.cases import complete_report, open_case, parse_duration, save_recording
from ivr.services.directory import find_contact
from ivr.store.spool import Spool
from ivr.store.tx import Tx
from ivr.voice import bp, scrubbed_traceback
from ivr.voice.context import app_state, speaker
from ivr.voice.fallback import dial_fallback, record_offline_message, someone_took_it
from ivr.voice.fallback import fallback_accept as db_free_accept
from ivr.voice.fallback import fallback_whisper as db_free_whisper
from ivr.voice.twiml import VoiceResponse, no_content, twiml
from ivr.voice.urls import url_for

log = logging.getLogger("ivr.offline")

OFFLINE_SEQ = 0  # the origin_seq of a case made from a message left while offline
SPOOL_CHECK_SECONDS = 5.0
# Handlers run again on replay: they only store what the caller said (no dialling).
RERUN_ENDPOINTS = frozenset({
    "voice.status", "voice.recording_status", "voice.report_field",
    "voice.report_field_recorded", "voice.report_email", "voice.report_callback",
    "voice.report_callback_number", "voice.report_extension", "voice.report_severity",
    "voice.report_recorded", "voice.case_addendum", "voice.emergency_recorded",
    "voice.leg_status", "voice.whisper", "voice.whisper_answer",
})
# Dial actions are not run again (they would ring the next phone), but the leg they report is
# closed: its analyst is freed even when no leg status callback ever comes.
DIAL_ACTIONS = frozenset({"voice.connect_result", "voice.emergency_result"})
SILENT_ENDPOINTS = frozenset({"voice.status", "voice.recording_status", "voice.leg_status",
                              "voice.offline_recording_status"})


def database_unavailable(error: BaseException) -> bool:
    """Whether an exception means the database cannot be reached (not a bug of ours)."""
    if isinstance(error, sa_exc.DBAPIError):
        return isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)) or \
            error.connection_invalidated
    return isinstance(error, sa_exc.TimeoutError)


def offline_case_number(call_sid: str) -> str:
    """The case number given to a caller while offline: derived from the CallSid, so stable."""
    digest = int.from_bytes(hashlib.sha256(call_sid.encode()).digest()[:8], "big")
    # One digit longer than the numbers issued online (CURRENT_LENGTH): an offline number can
    # then never be one already given to another case, which would make open_case pick
    # another number and leave the caller with a number that is not theirs.
    low = 10 ** (CURRENT_LENGTH - 1)
    return make_case_number(low + digest % (9 * low))


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


def degraded_answer():
    """Answer any voice webhook without the database; spool what it carried."""
    spool_request()
    endpoint = request.endpoint or ""
    if endpoint in SILENT_ENDPOINTS:
        return no_content()
    if request.form.get("Digits") == "hangup" or request.form.get("CallStatus") == "completed":
        return twiml(VoiceResponse())
    if endpoint == "voice.whisper":
        return db_free_whisper(speaker())
    if endpoint == "voice.whisper_answer":
        return db_free_accept()
    response = VoiceResponse()
    if endpoint in ("voice.connect_result", "voice.emergency_result") and \
            someone_took_it(request.form):
        speaker().say(response, "goodbye")
        response.hangup()
        return twiml(response)
    s = speaker()
    s.say(response, "apology")
    if app_state().schedules.offline().is_open(utcnow()):
        dial_fallback(s, app_state().settings.fallback_numbers, response, 0)
    else:
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
    if request.form.get("Digits") != "hangup" and request.form.get("CallStatus") != "completed":
        number = offline_case_number((request.form.get("CallSid") or "")[:64])
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
    store = Spool(app.extensions["ivr"].settings.spool_dir)
    applied = 0
    for path in store.claim():
        choices: dict[str, list[str]] = {}
        for record in store.records(path):
            replay_record(app, record, choices)
            applied += 1
        store.done(path)
        log.info("spool: replayed %s", path.name)
    return applied


def replay_record(app: Flask, record: dict, choices: dict[str, list[str]]) -> None:
    """Apply one spooled request to the database (raises if the database is still down)."""
    form = record.get("form") or {}
    sid = (form.get("CallSid") or "")[:64]
    heard = form.get("Digits") or form.get("SpeechResult")
    if sid and heard and heard != "hangup":
        choices.setdefault(sid, []).append(heard[:40])
    endpoint = record.get("endpoint") or ""
    with app.test_request_context(record.get("path") or "/", method="POST", data=form):
        g.now = datetime.fromisoformat(record["t"])
        tx = g.db = Tx(app.extensions["ivr"].engine)
        try:
            if endpoint == "voice.offline_recorded":
                offline_case(tx, form, choices.get(sid, []), g.now)
            elif endpoint == "voice.offline_recording_status":
                store_offline_recording(tx, form, None, g.now)
            elif endpoint in RERUN_ENDPOINTS:
                view = app.view_functions[endpoint]
                view(**(request.view_args or {}))
            elif endpoint in DIAL_ACTIONS:
                close_dial_leg()
            elif sid:
                touch_call(tx, CallParams.from_form(form), g.now)
            tx.commit()
        except Exception as error:
            tx.rollback()
            if database_unavailable(error):
                raise
            log.error("spool: a record of call %s could not be applied\n%s", sid,
                      scrubbed_traceback(error))
        finally:
            g.pop("db", None)
            tx.close()


def close_dial_leg() -> None:
    """Replay of a Dial action: record how the leg ended and free its analyst; ring nobody."""
    from ivr.voice.common import begin_call
    from ivr.voice.connect import attempt_arg, close_leg

    call = begin_call()
    attempt = attempt_arg()
    if attempt is None or close_leg(call, attempt) != "accepted":
        return
    if attempt.analyst_id is not None:
        call.outcome, call.answered_by = "answered", f"analyst:{attempt.analyst_id}"
    else:
        call.outcome = "emergency-answered"
        call.answered_by = f"emergency:{attempt.emergency_contact_id}"


def offline_case(tx: Tx, form: dict, heard: list[str], now: datetime) -> None:
    """Turn a message left while offline into a case (once: keyed by CallSid)."""
    params = CallParams.from_form(form)
    call = touch_call(tx, params, now)
    caller = parse_phone(params.from_raw)
    contact = find_contact(tx, caller)
    schedule = app_state().schedules.get(tx)
    case = open_case(tx, params.call_sid, OFFLINE_SEQ, caller, contact,
                     not schedule.is_open(now), now, number=offline_case_number(params.call_sid))
    call.case_id = case.id
    case.callback_number = case.callback_number or caller
    note = "Registrado sin base de datos disponible."
    if heard:
        note += " Opciones del llamante: " + ", ".join(heard) + "."
    case.notes = case.notes or note
    if store_offline_recording(tx, form, case.id, now):
        complete_report(tx, case, now)
    schedule_callback(tx, schedule, case, now)


def store_offline_recording(tx: Tx, form: dict, case_id: int | None, now: datetime) -> bool:
    """Save a recording carried by a spooled request; True when there was one."""
    sid = (form.get("RecordingSid") or "")[:64]
    if not sid:
        return False
    status = form.get("RecordingStatus")
    save_recording(tx, sid, (form.get("CallSid") or "")[:64], now, case_id=case_id,
                   kind="description" if case_id else None,
                   url=(form.get("RecordingUrl") or "")[:500] or None,
                   duration=parse_duration(form.get("RecordingDuration")),
                   status=status if status in ("completed", "failed", "absent") else None)
    return True


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


