"""Call records: one row per CallSid, kept from the first webhook to the final status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ivr.domain.phones import parse_phone
from ivr.store.tx import Q, Rec, Tx, as_tx

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


# One round trip per webhook: create the call's row or count one more webhook on it, and read
# it back. Plain SQL that SQLite (3.35+) and PostgreSQL both accept.
_TOUCH = Q(
    "INSERT INTO calls (call_sid, direction, from_number, from_raw, to_number, forwarded_from,"
    " status, webhooks, attempts, ring_seconds, started_at, updated_at)"
    " VALUES (:call_sid, :direction, :from_number, :from_raw, :to_number, :forwarded_from,"
    " :status, 1, 0, 0, :now, :now)"
    " ON CONFLICT (call_sid) DO UPDATE SET webhooks = calls.webhooks + 1, updated_at = :now"
    " RETURNING *"
)
_CALL_FOR_UPDATE = Q("SELECT * FROM calls WHERE call_sid = :sid FOR UPDATE")
_CALL = Q("SELECT * FROM calls WHERE call_sid = :sid")


def touch_call(tx: Tx, params: CallParams, now: datetime) -> Rec:
    """Create the call's row or count one more webhook on it, in one statement."""
    tx = as_tx(tx)
    status = params.status if params.status in STATUS_RANK else "in-progress"
    return tx.row(_TOUCH, "calls", call_sid=params.call_sid,
                  direction=params.direction or None,
                  from_number=parse_phone(params.from_raw),
                  from_raw=params.from_raw or None,
                  to_number=params.to or None,
                  forwarded_from=params.forwarded_from or None,
                  status=status, now=now)


def apply_status(
    tx: Tx,
    params: CallParams,
    sequence: int | None,
    duration: int | None,
    now: datetime,
) -> Rec:
    """Record a status callback; a call's status only ever moves forward."""
    tx = as_tx(tx)
    call = tx.row(_CALL_FOR_UPDATE if tx.pg else _CALL, "calls", sid=params.call_sid)
    if call is None:
        call = touch_call(tx, params, now)
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
