"""The spool replayed: what callers gave while the database was down, stored once it is back.

Each spooled request is applied with the same service functions its webhook calls (reports,
routing, calls), from its form and the arguments of its URL; nothing is dialled again. A
message left while offline becomes a case with the number the caller was given.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy.engine import Engine

from ivr.domain.case_numbers import CURRENT_LENGTH, make_case_number
from ivr.domain.phones import parse_phone
from ivr.domain.statuses import FINAL_CALL_STATUSES, CallOutcome, DialOutcome, RecordingKind
from ivr.logs import scrubbed_traceback
from ivr.services import hold, reports, routing
from ivr.services.callbacks import schedule_callback
from ivr.services.calls import (
    CallParams,
    change_call,
    record_satisfaction,
    record_status_callback,
    touch_call,
)
from ivr.services.cases import (
    RECORDING_IN_PROGRESS,
    completed_status,
    get_case,
    open_case,
    update_case,
)
from ivr.services.directory import find_contact
from ivr.store.engine import database_unavailable
from ivr.store.spool import Spool
from ivr.store.tx import Tx, transaction

log = logging.getLogger("ivr.offline")

OFFLINE_SEQ = 0  # the origin_seq of a case made from a message left while offline
# Dial actions are not run again (they would ring the next phone), but the leg they report is
# closed: its analyst is freed even when no leg status callback ever comes.
DIAL_ACTIONS = {"voice.connect_result": CallOutcome.ANSWERED,
                "voice.hold_result": CallOutcome.ANSWERED,
                "voice.emergency_result": CallOutcome.EMERGENCY_ANSWERED}


def offline_case_number(call_sid: str) -> str:
    """The case number given to a caller while offline: derived from the CallSid, so stable."""
    digest = int.from_bytes(hashlib.sha256(call_sid.encode()).digest()[:8], "big")
    # One digit longer than the numbers issued online (CURRENT_LENGTH): an offline number can
    # then never be one already given to another case, which would make open_case pick
    # another number and leave the caller with a number that is not theirs.
    low = 10 ** (CURRENT_LENGTH - 1)
    return make_case_number(low + digest % (9 * low))


class Spooled:
    """One spooled request: its form, the arguments of its URL, when it came."""

    def __init__(self, record: dict):
        """Read a spool record."""
        self.form: Mapping = record.get("form") or {}
        self.endpoint: str = record.get("endpoint") or ""
        self.args = dict(parse_qsl(urlsplit(record.get("path") or "/").query))
        self.now = datetime.fromisoformat(record["t"])
        self.sid = (self.form.get("CallSid") or "")[:64]

    def int_arg(self, name: str) -> int | None:
        """A small integer argument of the URL."""
        raw = self.args.get(name, "")
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None

    def hung_up(self) -> bool:
        """Whether the request only reported a hangup."""
        return reports.hung_up(self.form)


def replay_spool(engine: Engine, spool: Spool, schedules, settings) -> int:
    """Replay every spooled request into the database; return how many were applied."""
    applied = 0
    for path in spool.claim():
        choices: dict[str, list[str]] = {}
        for record in spool.records(path):
            replay_record(engine, schedules, settings, Spooled(record), choices)
            applied += 1
        spool.done(path)
        log.info("spool: replayed %s", path.name)
    return applied


def replay_record(engine: Engine, schedules, settings, req: Spooled,
                  choices: dict[str, list[str]]) -> None:
    """Apply one spooled request (raises if the database is still down; a request that fails
    for another reason is logged and skipped)."""
    heard = req.form.get("Digits") or req.form.get("SpeechResult")
    if req.sid and heard and heard != "hangup":
        choices.setdefault(req.sid, []).append(heard[:40])
    try:
        with transaction(engine) as tx:
            if req.endpoint == "voice.offline_recorded":
                offline_case(tx, schedules, req, choices.get(req.sid, []),
                             settings.urgent_callback_minutes)
            elif req.endpoint in REPLAYS:
                REPLAYS[req.endpoint](tx, schedules, settings, req)
            elif req.endpoint in DIAL_ACTIONS:
                close_dial_leg(tx, settings, req)
            elif req.sid:
                touch_call(tx, CallParams.from_form(req.form), req.now)
    except Exception as error:
        if database_unavailable(error):
            raise
        log.error("spool: a record of call %s could not be applied\n%s", req.sid,
                  scrubbed_traceback(error))


def offline_case(tx: Tx, schedules, req: Spooled, heard: list[str],
                 urgent_minutes: int = reports.URGENT_CALLBACK_MINUTES) -> None:
    """Turn a message left while offline into a case (once: keyed by CallSid); out of hours,
    after 0 (the emergency phones, which did not take it), an urgent one, alerted."""
    params = CallParams.from_form(req.form)
    call = touch_call(tx, params, req.now)
    caller = parse_phone(params.from_raw)
    contact = find_contact(tx, caller)
    schedule = schedules.get(tx)
    case = open_case(tx, params.call_sid, OFFLINE_SEQ, caller, contact,
                     not schedule.is_open(req.now), req.now,
                     number=offline_case_number(params.call_sid))
    change_call(tx, call, case_id=case.id)
    note = "Registrado sin base de datos disponible."
    if heard:
        note += " Opciones del llamante: " + ", ".join(heard) + "."
    changes = {"callback_number": case.callback_number or caller, "notes": case.notes or note}
    if reports.store_recording(tx, req.form, case.id, RecordingKind.DESCRIPTION, req.now,
                               reports.recording_status(req.form)):
        changes.update(completed_status(case))
    case = schedule_callback(tx, schedule, case, req.now, **changes)
    if heard and heard[0] == "0" and case.out_of_hours:
        reports.emergency_unanswered(tx, schedule, case, req.now, urgent_minutes)


def close_dial_leg(tx: Tx, settings, req: Spooled) -> None:
    """Replay of a Dial action: record how the leg ended and free its analyst; ring nobody."""
    call = touch_call(tx, CallParams.from_form(req.form), req.now)
    attempt = routing.get_attempt(tx, req.int_arg("a"))
    if attempt is None:
        return
    outcome, rang = routing.close_leg(
        tx, call.call_sid, attempt, (req.form.get("DialCallStatus") or "")[:16],
        (req.form.get("DialBridged") or "").lower()[:8], req.hung_up(), req.now,
        settings.missed_calls_to_away)
    changes: dict = {"ring_seconds": call.ring_seconds + rang}
    if outcome == DialOutcome.ACCEPTED:
        changes.update(outcome=DIAL_ACTIONS[req.endpoint], answered_by=routing.answered_by(attempt))
    change_call(tx, call, **changes)


# --- the requests replayed, by endpoint ----------------------------------------------------


def _case_step(step: Callable) -> Callable:
    """A report step: the call touched, its case (`c`) found, then `step(tx, req, case, …)`."""
    def replay(tx: Tx, schedules, settings, req: Spooled) -> None:
        touch_call(tx, CallParams.from_form(req.form), req.now)
        case = get_case(tx, req.int_arg("c"))
        if case is not None:
            step(tx, schedules, req, case)
    return replay


def _field(tx, _schedules, req, case):
    _digits, speech = reports.heard(req.form)
    if speech and req.args.get("f") in reports.FIELD_INDEX:
        reports.store_field(tx, case, req.args["f"], speech, req.now)


def _field_recorded(tx, _schedules, req, case):
    if req.args.get("f") in reports.FIELD_INDEX:
        reports.store_recording(tx, req.form, case.id, req.args["f"], req.now)


def _email(tx, _schedules, req, case):
    reports.store_email(tx, case, reports.heard(req.form)[1], req.now)


def _callback(tx, _schedules, req, case):
    answer = reports.callback_answer(*reports.heard(req.form))
    tries_over = (req.int_arg("t") or 1) >= reports.MAX_TRIES
    if not req.hung_up() and (answer is True or (answer is None and tries_over)):
        reports.call_back_on_caller_id(tx, case, req.now)


def _callback_number(tx, _schedules, req, case):
    if not req.hung_up():
        reports.store_callback_number(tx, case, reports.heard(req.form)[0], req.now)


def _extension(tx, _schedules, req, case):
    reports.store_extension(tx, case, reports.heard(req.form)[0], req.now)


def _severity(tx, schedules, req, case):
    if not req.hung_up():
        reports.store_triage(tx, schedules.get(tx), case, *reports.heard(req.form), req.now)


def _recorded(tx, schedules, req, case):
    reports.store_recording(tx, req.form, case.id, RecordingKind.DESCRIPTION, req.now)
    reports.finish_report(tx, schedules.get(tx), case, req.now)


def _addendum(tx, _schedules, req, case):
    if reports.store_recording(tx, req.form, case.id, RecordingKind.ADDENDUM, req.now):
        update_case(tx, case.id, req.now)


def _emergency(tx, schedules, settings, req):
    touch_call(tx, CallParams.from_form(req.form), req.now)
    case = get_case(tx, req.int_arg("c"))
    if case is not None:
        reports.store_recording(tx, req.form, case.id, RecordingKind.EMERGENCY, req.now)
        reports.finish_emergency_message(tx, schedules.get(tx), case, req.now,
                                         settings.urgent_callback_minutes)


def _satisfaction(tx, _schedules, _settings, req):
    touch_call(tx, CallParams.from_form(req.form), req.now)
    record_satisfaction(tx, (req.form.get("CallSid") or "")[:64], *reports.heard(req.form))


def _status(tx, schedules, _settings, req):
    record_status_callback(tx, req.form, req.now)
    if (req.form.get("CallStatus") or "") in FINAL_CALL_STATUSES and req.sid:
        hold.call_ended(tx, schedules.get(tx), req.sid, req.now)


def _recording_status(tx, _schedules, _settings, req):
    if req.form.get("RecordingStatus"):
        case = get_case(tx, req.int_arg("c"))
        reports.store_recording(tx, req.form, case.id if case else None,
                                (req.args.get("k") or "")[:16] or None, req.now,
                                reports.recording_status(req.form) or RECORDING_IN_PROGRESS)


def _offline_recording_status(tx, _schedules, _settings, req):
    reports.store_recording(tx, req.form, None, None, req.now, reports.recording_status(req.form))


def _leg_status(tx, _schedules, _settings, req):
    routing.leg_ended(tx, routing.get_attempt(tx, req.int_arg("a")),
                      (req.form.get("CallStatus") or "")[:16], req.now)


def _whisper(tx, _schedules, _settings, req):
    attempt = routing.get_attempt(tx, req.int_arg("a"))
    if attempt is not None and attempt.ended_at is None:
        routing.note_leg_sid(tx, attempt, req.sid)


def _whisper_answer(tx, _schedules, settings, req):
    attempt = routing.get_attempt(tx, req.int_arg("a"))
    if attempt is None or attempt.ended_at is not None:
        return
    if (req.form.get("Digits") or "")[:1] == "1":
        routing.take_call(tx, attempt, req.sid, req.now, settings.dial_time_limit)
    else:
        routing.decline(tx, attempt, req.sid)


REPLAYS: dict[str, Callable] = {
    "voice.status": _status,
    "voice.recording_status": _recording_status,
    "voice.offline_recording_status": _offline_recording_status,
    "voice.report_field": _case_step(_field),
    "voice.report_field_recorded": _case_step(_field_recorded),
    "voice.report_email": _case_step(_email),
    "voice.report_callback": _case_step(_callback),
    "voice.report_callback_number": _case_step(_callback_number),
    "voice.report_extension": _case_step(_extension),
    "voice.report_severity": _case_step(_severity),
    "voice.report_recorded": _case_step(_recorded),
    "voice.case_addendum": _case_step(_addendum),
    "voice.emergency_recorded": _emergency,
    "voice.leg_status": _leg_status,
    "voice.satisfaction": _satisfaction,
    "voice.whisper": _whisper,
    "voice.whisper_answer": _whisper_answer,
}
