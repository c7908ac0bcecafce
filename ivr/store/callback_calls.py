"""Statements about calls back placed from the console (callback_calls): one row per attempt,
from the button to the outcome the analyst records."""

from __future__ import annotations

from datetime import datetime

from ivr.domain.statuses import CALLBACK_CALLS_LIVE, CALLBACK_CALLS_NOT_DIALLED, CallbackCallState
from ivr.store.tx import Q, Rec, Tx

PLACING, DIALLING = CALLBACK_CALLS_LIVE  # still going on
DECLINED, MISSED = CALLBACK_CALLS_NOT_DIALLED  # the client's phone never rang
ENDED = CallbackCallState.ENDED

_NEW = Q(
    "INSERT INTO callback_calls (case_id, user_id, analyst_id, client_number, state, created_at)"
    " VALUES (:case_id, :user_id, :analyst_id, :client_number, :placing, :now) RETURNING *")
_SET_OUTBOX = Q("UPDATE callback_calls SET outbox_id = :outbox_id WHERE id = :id")
_BY_ID = Q("SELECT * FROM callback_calls WHERE id = :id")
# Calls that may have rung the client's phone today (declined and unanswered ones did not).
_DIALLED_SINCE = Q(
    "SELECT COUNT(*) FROM callback_calls WHERE case_id = :case_id AND created_at >= :since"
    " AND state NOT IN (:declined, :missed)")
_OF_CASE = Q(
    "SELECT b.*, u.name AS user_name FROM callback_calls b JOIN users u ON u.id = b.user_id"
    " WHERE b.case_id = :case_id ORDER BY b.created_at, b.id")
# Still going on: its analyst's lease still held for it (a status callback that never came
# leaves the row as it was, but the lease expires and the analyst may call again).
_LIVE_OF_USER = Q(
    "SELECT b.* FROM callback_calls b JOIN analysts a ON a.id = b.analyst_id"
    " WHERE b.user_id = :user_id AND b.state IN (:placing, :dialling)"
    " AND a.lease_call_sid = :prefix || CAST(b.id AS VARCHAR(12)) AND a.lease_until > :now"
    " ORDER BY b.id DESC LIMIT 1")
_NOTE_SID = Q(
    "UPDATE callback_calls SET call_sid = :sid WHERE id = :id AND call_sid IS NULL")
_DIAL = Q(
    "UPDATE callback_calls SET state = :dialling, dialled_at = :now"
    " WHERE id = :id AND state = :placing")
_STOP = Q(
    "UPDATE callback_calls SET state = :state, ended_at = :now"
    " WHERE id = :id AND state = :placing")
_END = Q(
    "UPDATE callback_calls SET state = :ended, ended_at = COALESCE(ended_at, :now)"
    " WHERE id = :id AND state = :dialling")
_CLIENT_STATUS = Q(
    "UPDATE callback_calls SET client_status = :status WHERE id = :id AND client_status IS NULL")
_OUTCOME = Q(
    "UPDATE callback_calls SET outcome = :outcome, note = :note, recorded_at = :now"
    " WHERE id = :id AND outcome IS NULL RETURNING *")


def add(tx: Tx, *, case_id: int, user_id: int, analyst_id: int, client_number: str,
        now: datetime) -> Rec:
    """A new call back, placing; the row."""
    return tx.row(_NEW, case_id=case_id, user_id=user_id, analyst_id=analyst_id,
                  client_number=client_number, placing=PLACING, now=now)


def set_outbox(tx: Tx, callback_id: int, outbox_id: int) -> None:
    """The outbox row that places the call."""
    tx.run(_SET_OUTBOX, id=callback_id, outbox_id=outbox_id)


def by_id(tx: Tx, callback_id: int | None) -> Rec | None:
    """One call back."""
    if callback_id is None:
        return None
    return tx.row(_BY_ID, id=callback_id)


def dialled_since(tx: Tx, case_id: int, since: datetime) -> int:
    """How many calls back to the case's client were placed since a time (not counting those
    the analyst declined or never answered)."""
    return tx.value(_DIALLED_SINCE, case_id=case_id, since=since, declined=DECLINED,
                    missed=MISSED)


def of_case(tx: Tx, case_id: int) -> list[Rec]:
    """A case's calls back from the console, oldest first, each with user_name."""
    return tx.rows(_OF_CASE, case_id=case_id)


def live_of_user(tx: Tx, user_id: int, lease_prefix: str, now: datetime) -> Rec | None:
    """The user's call back still going on (its analyst leased under `lease_prefix` + its id
    until after `now`), if any."""
    return tx.row(_LIVE_OF_USER, user_id=user_id, placing=PLACING, dialling=DIALLING,
                  prefix=lease_prefix, now=now)


def note_call_sid(tx: Tx, callback_id: int, call_sid: str) -> None:
    """The analyst's call, from its first webhook (the first one seen is kept)."""
    tx.run(_NOTE_SID, id=callback_id, sid=call_sid)


def dial(tx: Tx, callback_id: int, now: datetime) -> bool:
    """The analyst pressed 1. False if the call back was no longer placing."""
    return tx.run(_DIAL, id=callback_id, dialling=DIALLING, placing=PLACING, now=now) == 1


def stop(tx: Tx, callback_id: int, state: CallbackCallState, now: datetime) -> bool:
    """Ended before the client was dialled (declined, missed). False if not placing."""
    return tx.run(_STOP, id=callback_id, state=state, placing=PLACING, now=now) == 1


def end(tx: Tx, callback_id: int, now: datetime) -> bool:
    """The call is over after the client was dialled. False if it was not dialling."""
    return tx.run(_END, id=callback_id, ended=ENDED, dialling=DIALLING, now=now) == 1


def client_status(tx: Tx, callback_id: int, status: str) -> None:
    """How the client's leg ended (its DialCallStatus; the first one reported is kept)."""
    tx.run(_CLIENT_STATUS, id=callback_id, status=status)


def record_outcome(tx: Tx, callback_id: int, outcome: str, note: str | None,
                   now: datetime) -> Rec | None:
    """What the analyst says happened (and a note); the row, or None when one was recorded
    already."""
    return tx.row(_OUTCOME, id=callback_id, outcome=outcome, note=note, now=now)
