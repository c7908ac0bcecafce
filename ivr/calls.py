"""Call records: one row per CallSid, kept from the first webhook to the final status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, bindparam, text, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ivr.models import Call
from ivr.phones import parse_phone

# Call statuses in the order a call lives through them; the final ones share the last rank.
STATUS_RANK = {
    "queued": 0,
    "initiated": 1,
    "ringing": 2,
    "in-progress": 3,
    "completed": 4,
    "busy": 4,
    "failed": 4,
    "no-answer": 4,
    "canceled": 4,
}
FINAL_STATUSES = frozenset(s for s, rank in STATUS_RANK.items() if rank == 4)
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


_CALL_COLUMNS = tuple(Call.__table__.columns)
# One round trip per webhook: create the call's row or count one more webhook on it, and read
# it back. Plain SQL that SQLite (3.35+) and PostgreSQL both accept; written once, so no
# statement is built per request.
_TOUCH = text(
    "INSERT INTO calls (call_sid, direction, from_number, from_raw, to_number, forwarded_from,"
    " status, webhooks, attempts, ring_seconds, started_at, updated_at)"
    " VALUES (:call_sid, :direction, :from_number, :from_raw, :to_number, :forwarded_from,"
    " :status, 1, 0, 0, :now, :now)"
    " ON CONFLICT (call_sid) DO UPDATE SET webhooks = calls.webhooks + 1, updated_at = :now"
    " RETURNING call_sid, direction, from_number, from_raw, to_number, "
    "forwarded_from, status, status_seq, duration, contact_id, analyst_id, "
    "case_id, webhooks, outcome, answered_by, attempts, ring_seconds, "
    "hunt_started_at, started_at, updated_at, ended_at"
).bindparams(bindparam("now", type_=DateTime)).columns(*_CALL_COLUMNS)


def touch_call(session: Session, params: CallParams, now: datetime) -> Call:
    """Create the call's row or count one more webhook on it, in one statement."""
    status = params.status if params.status in STATUS_RANK else "in-progress"
    row = session.execute(_TOUCH, {
        "call_sid": params.call_sid,
        "direction": params.direction or None,
        "from_number": parse_phone(params.from_raw),
        "from_raw": params.from_raw or None,
        "to_number": params.to or None,
        "forwarded_from": params.forwarded_from or None,
        "status": status,
        "now": now,
    }).one()
    return _attach(session, row._mapping)


def _attach(session: Session, values) -> Call:
    """The row as a Call the session tracks, without loading it a second time."""
    key = session.identity_key(Call, values["call_sid"])
    call = session.identity_map.get(key)
    if call is not None:
        for column in _CALL_COLUMNS:
            set_committed_value(call, column.key, values[column.name])
        return call
    call = Call(**{column.key: values[column.name] for column in _CALL_COLUMNS})
    make_transient_to_detached(call)
    session.add(call)
    return call


def apply_status(
    session: Session,
    params: CallParams,
    sequence: int | None,
    duration: int | None,
    now: datetime,
) -> Call:
    """Record a status callback; a call's status only ever moves forward."""
    call = session.get(Call, params.call_sid, with_for_update=True)
    if call is None:
        call = touch_call(session, params, now)
    new_rank = STATUS_RANK.get(params.status)
    if new_rank is None:
        return call
    old_rank = STATUS_RANK.get(call.status, 0)
    if new_rank > old_rank or (new_rank == old_rank and _later(sequence, call.status_seq)):
        call.status = params.status
        call.status_seq = sequence
    if params.status in FINAL_STATUSES:
        if duration is not None:
            call.duration = duration
        call.ended_at = call.ended_at or now
    call.updated_at = now
    return call


def _later(sequence: int | None, stored: int | None) -> bool:
    """Whether a callback's SequenceNumber is after the stored one."""
    return sequence is not None and (stored is None or sequence > stored)


def set_call_fields(session: Session, call_sid: str, **values) -> None:
    """Update some columns of a call in one statement."""
    session.execute(update(Call).where(Call.call_sid == call_sid).values(**values))
