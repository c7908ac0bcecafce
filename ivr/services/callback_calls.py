"""Calls back through the line, placed from the console (rules 4 and 9).

The analyst presses the button: their lease is taken as for an incoming call (nobody else can
ring them meanwhile), and a REST call to their own phone is written to the outbox in the same
transaction. When they answer, the line whispers the case and on 1 dials the client with the
line's caller ID (`CALLBACK_CALLER_ID`), the extension sent as keys, and a greeting to the
client before the two are bridged. Any other key, no key, or a phone not answered: the lease
is released and the attempt kept. When the call ends (its status callback) the lease is
released. Afterwards the analyst records what happened; only "spoke" takes the case off the
callback queue (the same service as `callbacks done`). Calls that may have rung the client
are capped per case per Caracas day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ivr.domain.business_hours import to_caracas, to_naive_utc
from ivr.domain.statuses import (
    CALLBACK_OUTCOMES,
    FINAL_CALL_STATUSES,
    CallbackCallState,
    CallbackState,
    CallStatus,
)
from ivr.domain.text import strip_forbidden
from ivr.services.callbacks import CallbackAttempt, record_callback
from ivr.services.directory import DirectoryError
from ivr.services.offer_signal import analyst_freed
from ivr.services.outbox import enqueue
from ivr.services.twilio_rest import with_query
from ivr.store import analysts
from ivr.store import callback_calls as store
from ivr.store.tx import Rec, Tx

# The analyst's lease while the worker places the call and their phone rings: a call not
# answered by then frees them anyway (an expired lease counts as free).
PLACING_LEASE = timedelta(minutes=3)
LEASE_MARGIN = timedelta(seconds=15)
ANALYST_RING_SECONDS = 25  # how long the analyst's own phone rings
NOT_ANSWERED = (CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED, CallStatus.CANCELED)
ACCEPT_KEY = "1"


class CallbackCallError(DirectoryError):
    """A call back that cannot be placed or recorded; the message is for the analyst."""


@dataclass(frozen=True)
class Setup:
    """What a call back needs from the configuration."""

    account_sid: str | None
    auth_token: str
    caller_id: str | None
    per_day: int
    dial_timeout: int
    call_seconds: int

    @classmethod
    def from_settings(cls, settings) -> Setup:
        """The call-back part of the settings."""
        return cls(settings.twilio_account_sid, str(settings.twilio_auth_token),
                   settings.callback_caller_id, settings.callback_attempts_per_day,
                   settings.dial_timeout, settings.dial_time_limit)

    def missing(self) -> str | None:
        """Why calls back cannot be placed at all (None: they can)."""
        if not self.account_sid or not self.auth_token.strip():
            return ("Faltan las credenciales de Twilio (TWILIO_ACCOUNT_SID y "
                    "TWILIO_AUTH_TOKEN): la devolución de llamada no está configurada.")
        if not self.caller_id:
            return ("Falta CALLBACK_CALLER_ID, el número que verá el cliente: la devolución "
                    "de llamada no está configurada.")
        return None


LEASE_PREFIX = "callback:"


def lease_key(callback_id: int) -> str:
    """What the analyst's lease names while a call back holds it."""
    return f"{LEASE_PREFIX}{callback_id}"


def client_number(case: Rec) -> str | None:
    """The number to call the client back on: the one given, else the caller ID."""
    return case.callback_number or case.caller_number or None


def day_start(now: datetime) -> datetime:
    """Midnight of today in Caracas, as naive UTC."""
    local = to_caracas(now)
    return to_naive_utc(local.replace(hour=0, minute=0, second=0, microsecond=0))


def dialled_today(tx: Tx, case: Rec, now: datetime) -> int:
    """Calls back to the case's client placed today (Caracas), declined or unanswered ones by
    the analyst not counted."""
    return store.dialled_since(tx, case.id, day_start(now))


def why_not(tx: Tx, setup: Setup, user: Rec, case: Rec, now: datetime) -> str | None:
    """Why this user cannot call this case's client back now (None: they can)."""
    missing = setup.missing()
    if missing:
        return missing
    if not user.analyst_id:
        return "Su usuario no está vinculado a un analista: la llamada sonaría en su teléfono."
    if client_number(case) is None:
        return "El caso no tiene un número para devolver la llamada: agréguelo en los datos."
    if store.live_of_user(tx, user.id, LEASE_PREFIX, now) is not None:
        return "Ya tiene una devolución de llamada en curso."
    if awaiting_outcome(store.of_case(tx, case.id), user) is not None:
        return "Registre primero qué pasó en la llamada anterior."
    if dialled_today(tx, case, now) >= setup.per_day:
        return (f"Ya se hicieron {setup.per_day} devoluciones de llamada a este cliente hoy: "
                "el límite diario por caso. Inténtelo mañana.")
    return None


def place(tx: Tx, setup: Setup, user: Rec, case: Rec, now: datetime, *, answer_url: str,
          status_url: str) -> Rec:
    """Take the analyst's lease and write the REST call to their phone to the outbox, in this
    transaction; the call back's row. `answer_url` and `status_url` are the line's webhooks
    (absolute), to which the call back's id is added."""
    reason = why_not(tx, setup, user, case, now)
    if reason:
        raise CallbackCallError(reason)
    analyst = analysts.analyst_by_id(tx, user.analyst_id)
    if analyst is None or analyst.deactivated_at is not None:
        raise CallbackCallError("Su analista está desactivado.")
    row = store.add(tx, case_id=case.id, user_id=user.id, analyst_id=analyst.id,
                    client_number=client_number(case), now=now)
    if not analysts.lease_one(tx, analyst.id, lease_key(row.id), now, now + PLACING_LEASE):
        raise CallbackCallError("Está en otra llamada: espere a que termine.")
    outbox_id = enqueue(tx, "call", {
        "to": analyst.phone, "from": setup.caller_id,
        "url": with_query(answer_url, cb=row.id),
        "status_callback": with_query(status_url, cb=row.id),
        "timeout": ANALYST_RING_SECONDS}, now)
    store.set_outbox(tx, row.id, outbox_id)
    return row.replace(outbox_id=outbox_id)


def get(tx: Tx, callback_id: int | None) -> Rec | None:
    """A call back by id."""
    return store.by_id(tx, callback_id)


def of_case(tx: Tx, case: Rec) -> list[Rec]:
    """A case's calls back from the console, oldest first (with user_name)."""
    return store.of_case(tx, case.id)


def live_of_user(tx: Tx, user: Rec, now: datetime) -> Rec | None:
    """The user's call back still going on (its lease not expired)."""
    return store.live_of_user(tx, user.id, LEASE_PREFIX, now)


def analyst_answered(tx: Tx, callback: Rec, call_sid: str) -> bool:
    """The analyst's phone answered (the call's first webhook); whether the call back is still
    waiting for their choice."""
    if call_sid:
        store.note_call_sid(tx, callback.id, call_sid)
    return callback.state == CallbackCallState.PLACING


def analyst_chose(tx: Tx, setup: Setup, callback: Rec, digits: str, now: datetime) -> bool:
    """The analyst's key at the whisper: 1 dials the client (their lease kept for the call);
    anything else, or nothing, declines (the lease released). Whether to dial."""
    if digits[:1] == ACCEPT_KEY and callback.state == CallbackCallState.DIALLING:
        return True  # the same answer again (a retried webhook): the same Dial
    if digits[:1] == ACCEPT_KEY and store.dial(tx, callback.id, now):
        analysts.extend_lease(tx, callback.analyst_id, lease_key(callback.id),
                              now + timedelta(seconds=setup.call_seconds) + LEASE_MARGIN)
        return True
    if store.stop(tx, callback.id, CallbackCallState.DECLINED, now):
        analysts.release(tx, callback.analyst_id, lease_key(callback.id), now)
    return False


def client_leg_ended(tx: Tx, callback: Rec, dial_status: str, bridged: bool) -> str:
    """The client's leg is over (the Dial's action): how it went, kept on the row."""
    status = CallStatus.COMPLETED if bridged else (dial_status or CallStatus.NO_ANSWER)
    store.client_status(tx, callback.id, status)
    return status


def call_ended(tx: Tx, callback: Rec, call_status: str, now: datetime) -> None:
    """The analyst's call is over (its status callback): the lease released, the attempt
    closed (missed when their phone was never answered)."""
    if call_status not in FINAL_CALL_STATUSES:
        return
    if callback.state == CallbackCallState.PLACING:
        store.stop(tx, callback.id, CallbackCallState.MISSED if call_status in NOT_ANSWERED
                   else CallbackCallState.DECLINED, now)
    else:
        store.end(tx, callback.id, now)
    if analysts.release(tx, callback.analyst_id, lease_key(callback.id), now):
        analyst_freed(tx, now)  # a caller on hold may be offered to them now


def awaiting_outcome(callbacks: list[Rec], user: Rec) -> Rec | None:
    """The user's latest call back of a case that rang the client and has no outcome yet."""
    for row in reversed(callbacks):
        if row.user_id == user.id and row.outcome is None and row.dialled_at is not None:
            return row
    return None


def record_outcome(tx: Tx, user: Rec, case: Rec, callback_id: int, outcome: str,
                   note: str | None, now: datetime) -> CallbackAttempt | None:
    """What the analyst says happened on a call back: kept on the attempt and, while the case
    waits in the callback queue, recorded as `callbacks done` records it (only "spoke" takes
    it off the queue). The queue's attempt, or None when the case was not waiting."""
    if outcome not in CALLBACK_OUTCOMES:
        raise CallbackCallError("Elija qué pasó con la llamada.")
    callback = store.by_id(tx, callback_id)
    if callback is None or callback.case_id != case.id or callback.user_id != user.id:
        raise CallbackCallError("Esa devolución de llamada no es suya en este caso.")
    if note is not None:
        note = strip_forbidden(note).strip() or None
    if store.record_outcome(tx, callback.id, outcome, note, now) is None:
        raise CallbackCallError("El resultado de esa llamada ya estaba registrado.")
    if case.callback_state != CallbackState.PENDING:
        return None
    return record_callback(tx, case, outcome, note, now)
