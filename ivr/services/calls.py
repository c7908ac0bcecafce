"""Call records: one row per CallSid, kept from the first webhook to the final status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ivr.domain import speech_intents
from ivr.domain.phones import parse_phone
from ivr.domain.statuses import CALL_STATUS_RANK, FINAL_CALL_STATUSES, CallStatus
from ivr.store import calls
from ivr.store.tx import Rec, Tx

STATUS_RANK, FINAL_STATUSES = CALL_STATUS_RANK, FINAL_CALL_STATUSES
MAX_WEBHOOKS_PER_CALL = 120


@dataclass(frozen=True)
class CallParams:
    """The Twilio parameters of a voice request that the call record keeps."""

    call_sid: str
    from_raw: str
    to: str
    forwarded_from: str
    direction: str
    status: str

    @classmethod
    def from_form(cls, form) -> CallParams:
        """Read them from a request form, tolerating anything missing or oversized."""
        def get(name: str, limit: int = 64) -> str:
            """One parameter, trimmed to its column's size."""
            return (form.get(name) or "")[:limit]

        return cls(
            call_sid=get("CallSid"),
            from_raw=get("From"),
            to=get("To"),
            forwarded_from=get("ForwardedFrom"),
            direction=get("Direction", 20),
            status=get("CallStatus", 16),
        )


def caller_id(params: CallParams, published: tuple[str, ...] = ()) -> str | None:
    """The caller's number, E.164, or None when withheld. A `From` equal to one of the line's
    published numbers, to the number dialled or to the forwarding number is no caller ID: a
    carrier that forwards the line may put its own number there, shared by every caller."""
    number = parse_phone(params.from_raw)
    if number is None or number in published:
        return None
    if number in (parse_phone(params.to), parse_phone(params.forwarded_from)):
        return None
    return number


def touch_call(tx: Tx, params: CallParams, now: datetime,
               published: tuple[str, ...] = ()) -> Rec:
    """Create the call's row or count one more webhook on it, in one statement."""
    status = params.status if params.status in STATUS_RANK else CallStatus.IN_PROGRESS
    return calls.touch(tx, call_sid=params.call_sid, direction=params.direction or None,
                       from_number=caller_id(params, published),
                       from_raw=params.from_raw or None, to_number=params.to or None,
                       forwarded_from=params.forwarded_from or None, status=status, now=now)


def apply_status(
    tx: Tx,
    params: CallParams,
    sequence: int | None,
    duration: int | None,
    now: datetime,
) -> None:
    """Record a status callback; a call's status only ever moves forward."""
    call = calls.get(tx, params.call_sid, for_update=True)
    if call is None:
        call = touch_call(tx, params, now)
    new_rank = STATUS_RANK.get(params.status)
    if new_rank is None:
        return
    changes: dict = {"updated_at": now}
    old_rank = STATUS_RANK.get(call.status, 0)
    if new_rank > old_rank or (new_rank == old_rank and _later(sequence, call.status_seq)):
        changes.update(status=params.status, status_seq=sequence)
    if params.status in FINAL_STATUSES:
        if duration is not None:
            changes["duration"] = duration
        changes["ended_at"] = call.ended_at or now
    calls.update(tx, params.call_sid, **changes)


def _later(sequence: int | None, stored: int | None) -> bool:
    """Whether a callback's SequenceNumber is after the stored one."""
    return sequence is not None and (stored is None or sequence > stored)


def update_call(tx: Tx, call_sid: str, **values) -> None:
    """Write some columns of a call."""
    calls.update(tx, call_sid, **values)


def change_call(tx: Tx, call: Rec, **values) -> Rec:
    """Write some columns of a call now (only those that change); the call as it is after."""
    changes = {name: value for name, value in values.items() if getattr(call, name) != value}
    if not changes:
        return call
    calls.update(tx, call.call_sid, **changes)
    return call.replace(**changes)


def small_int(raw: str | None, digits: int = 8) -> int | None:
    """A Twilio count (SequenceNumber, CallDuration…) as an int; None when absent or odd."""
    raw = (raw or "").strip()
    # ASCII digits only: "³".isdigit() is True, and int("³") raises.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= digits else None


def record_status_callback(tx: Tx, form, now: datetime) -> None:
    """The call's status callback, from its form."""
    if form.get("CallSid"):
        apply_status(tx, CallParams.from_form(form), small_int(form.get("SequenceNumber")),
                     small_int(form.get("CallDuration")), now)


def record_satisfaction(tx: Tx, call_sid: str, digits: str, speech: str) -> int | None:
    """The caller's answer to "Del 1 al 5, ¿cómo le atendimos?", kept with the call; the
    score, or None when the answer was no score."""
    key = digits[:1] if digits else ""
    value = int(key) if key in ("1", "2", "3", "4", "5") else \
        (None if digits else speech_intents.score(speech))
    if value is not None:
        calls.update(tx, call_sid, satisfaction=value)
    return value
