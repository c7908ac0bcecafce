"""A fault report answer by answer: what each one stores on the case.

The webhooks call these as the caller answers; the spool replay calls the same functions with
the answers that were given while the database was down, so both store exactly the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from ivr.domain import speech_intents
from ivr.domain.business_hours import Schedule
from ivr.domain.phones import parse_keyed_phone
from ivr.domain.statuses import FINAL_CALL_STATUSES, RECORDING_FINAL, RecordingKind
from ivr.services.alerts import raise_alert
from ivr.services.callbacks import URGENT_CALLBACK_MINUTES, schedule_callback
from ivr.services.cases import (
    completed_status,
    parse_duration,
    save_recording,
    set_company,
    update_case,
)
from ivr.store.tx import Rec, Tx

# The identification questions, in order: (field, prompt, column).
# A field's name is also the kind of its recording when speech fails.
FIELDS = ((RecordingKind.COMPANY, "report_company_ask", "company_name"),
          (RecordingKind.NAME, "report_name_ask", "caller_name"),
          (RecordingKind.POSITION, "report_position_ask", "caller_position"))
FIELD_INDEX = {name: i for i, (name, _p, _c) in enumerate(FIELDS)}
MAX_TRIES = 3  # a question is asked at most this many times
_EMAIL = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$")
_EMAIL_WORDS = ((" arroba ", "@"), (" punto ", "."), (" guion bajo ", "_"), (" guion ", "-"),
                (" guión bajo ", "_"), (" guión ", "-"))


def hung_up(form: Mapping) -> bool:
    """Whether a request only reports a hangup (its TwiML will be ignored)."""
    return form.get("Digits") == "hangup" or form.get("CallStatus") in FINAL_CALL_STATUSES


def heard(form: Mapping) -> tuple[str, str]:
    """The keys pressed and the words said in answer to a Gather."""
    digits = (form.get("Digits") or "").strip()[:32]
    speech = (form.get("SpeechResult") or "").strip()[:300]
    return digits, speech


def spoken_email(text: str) -> str | None:
    """An e-mail address from speech ("ana punto perez arroba gmail punto com")."""
    lowered = f" {text.lower().strip().rstrip('.')} "
    for words, symbol in _EMAIL_WORDS:
        lowered = lowered.replace(words, symbol)
    candidate = "".join(lowered.split())
    return candidate if _EMAIL.match(candidate) and len(candidate) <= 200 else None


def spoken_address(email: str | None) -> str:
    """An e-mail address as it is read back: "ana punto perez arroba gmail punto com"."""
    words = (email or "").replace("@", " arroba ").replace(".", " punto ")
    return " ".join(words.replace("_", " guion bajo ").replace("-", " guion ").split())


def callback_answer(digits: str, speech: str) -> bool | None:
    """'Same number?': True (1, sí), False (2, no, "a otro número") or None (not understood)."""
    answer = {"1": True, "2": False}.get(digits[:1]) if digits else speech_intents.yes_no(speech)
    if answer is None and "otro" in speech.lower():
        answer = False  # "a otro número"
    return answer


def severity_answer(digits: str, speech: str) -> int | None:
    """1 stopped, 2 partly affected, 3 a question; None when not understood."""
    if digits:
        return int(digits[:1]) if digits[:1] in ("1", "2", "3") else None
    return speech_intents.severity(speech)


def extension_answer(digits: str) -> str | None:
    """An extension: up to 10 digits (nothing when skipped)."""
    return digits if digits.isascii() and digits.isdigit() and len(digits) <= 10 else None


def store_field(tx: Tx, case: Rec, field: str, speech: str, now: datetime) -> None:
    """Company (linked to a known one when the name matches), name or cargo, as said."""
    column = FIELDS[FIELD_INDEX[field]][2]
    if column == "company_name":
        set_company(tx, case.id, speech, now)
    else:
        update_case(tx, case.id, now, **{column: speech[:120]})


def store_email(tx: Tx, case: Rec, speech: str, now: datetime) -> bool:
    """The e-mail when the words sound like one."""
    email = spoken_email(speech) if speech else None
    if email:
        update_case(tx, case.id, now, email=email)
    return email is not None


def call_back_on_caller_id(tx: Tx, case: Rec, now: datetime) -> None:
    """Call back on the number the caller is calling from."""
    update_case(tx, case.id, now, callback_number=case.caller_number)


def store_callback_number(tx: Tx, case: Rec, digits: str, now: datetime) -> bool:
    """A keyed callback number, when it is one we can call."""
    number = parse_keyed_phone(digits)
    if number:
        update_case(tx, case.id, now, callback_number=number)
    return number is not None


def store_extension(tx: Tx, case: Rec, digits: str, now: datetime) -> None:
    """The callback number's extension, if one was keyed."""
    extension = extension_answer(digits)
    if extension:
        update_case(tx, case.id, now, callback_extension=extension)


def store_severity(tx: Tx, schedule: Schedule, case: Rec, severity: int, now: datetime) -> Rec:
    """The severity, and the callback's due time that follows from it."""
    return schedule_callback(tx, schedule, case, now, severity=severity)


SUMMARY_CHARS = 300


def triage_answer(digits: str, speech: str) -> tuple[int | None, str | None, str | None]:
    """One answer for severity and area together: keys give the severity; words give the
    severity they name (if any), the area they name (if any) and the words themselves."""
    if digits:
        return severity_answer(digits, ""), None, None
    if not speech:
        return None, None, None
    return (speech_intents.severity(speech), speech_intents.fault_area(speech),
            " ".join(speech.split())[:SUMMARY_CHARS])


def store_triage(tx: Tx, schedule: Schedule, case: Rec, digits: str, speech: str,
                 now: datetime) -> Rec | None:
    """The answer to "¿qué falla tiene y qué tan grave es?": the severity (and the callback's
    due time that follows), the area and the caller's words; None when nothing was understood
    (keys that are no severity)."""
    severity, area, words = triage_answer(digits, speech)
    if severity is None and words is None:
        return None
    if words is not None:
        update_case(tx, case.id, now, fault_summary=words, area=area)
        case = case.replace(fault_summary=words, area=area)
    if severity is not None:
        case = store_severity(tx, schedule, case, severity, now)
    return case


def triage_given(case: Rec) -> bool:
    """Whether the caller has said what the fault is about, or how bad it is."""
    return case.severity is not None or case.fault_summary is not None


def finish_report(tx: Tx, schedule: Schedule, case: Rec, now: datetime) -> Rec:
    """The report has all its steps: received, with its callback due time."""
    return schedule_callback(tx, schedule, case, now, **completed_status(case))


def finish_emergency_message(tx: Tx, schedule: Schedule, case: Rec, now: datetime,
                             urgent_minutes: int = URGENT_CALLBACK_MINUTES) -> Rec:
    """An emergency message: the case is urgent, first in the callback queue, due within
    `urgent_minutes` at any hour, and the emergency phones are alerted."""
    case = schedule_callback(tx, schedule, case, now, urgent=True,
                             urgent_minutes=urgent_minutes, **completed_status(case))
    raise_alert(tx, case, now)
    return case


def emergency_unanswered(tx: Tx, schedule: Schedule, case: Rec, now: datetime,
                         urgent_minutes: int = URGENT_CALLBACK_MINUTES) -> Rec:
    """No emergency phone took the call: the case is urgent and alerted at once, whether or
    not the caller goes on to leave a message."""
    case = schedule_callback(tx, schedule, case, now, urgent=True,
                             urgent_minutes=urgent_minutes)
    raise_alert(tx, case, now)
    return case


def store_recording(tx: Tx, form: Mapping, case_id: int | None, kind: str | None,
                    now: datetime, status: str | None = None) -> bool:
    """Save the recording a Record action or a recording callback reports, if there is one."""
    sid = (form.get("RecordingSid") or "")[:64]
    if not sid:
        return False
    save_recording(tx, sid, (form.get("CallSid") or "")[:64], now, case_id=case_id, kind=kind,
                   url=(form.get("RecordingUrl") or "")[:500] or None,
                   duration=parse_duration(form.get("RecordingDuration")),
                   status=status)
    return True


def recording_status(form: Mapping) -> str | None:
    """A final RecordingStatus (completed, failed, absent), else None."""
    status = form.get("RecordingStatus")
    return status if status in RECORDING_FINAL else None
