"""Every closed set of words (and severities) the line stores, each defined once.

The members are `StrEnum`s (`IntEnum` for severities): they compare and hash like the plain
strings the database returns, and both drivers bind them as those strings, so a query may pass
`CaseStatus.RESOLVED` or a tuple of members as parameters. The schema's CHECK constraints are
generated from the same definitions (`check_in`, used by ivr/store/tables.py), so a value
written here and nowhere else is refused by the database, not stored.

Pure Python: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum, StrEnum


class CaseStatus(StrEnum):
    """Where a case stands (cases.status)."""

    INCOMPLETE = "incomplete"  # opened at the first step of a report, not finished yet
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    VISIT_SCHEDULED = "visit_scheduled"
    WAITING_CLIENT = "waiting_client"
    RESOLVED = "resolved"


CASE_STATUSES: tuple[CaseStatus, ...] = tuple(CaseStatus)
OPEN_CASE_STATUSES: tuple[CaseStatus, ...] = tuple(
    s for s in CaseStatus if s is not CaseStatus.RESOLVED)


class CallbackState(StrEnum):
    """Whether a case waits in the callback queue (cases.callback_state)."""

    NONE = "none"  # never queued (the line itself always queues a new case)
    PENDING = "pending"
    DONE = "done"


CALLBACK_STATES: tuple[CallbackState, ...] = tuple(CallbackState)


class Severity(IntEnum):
    """How badly the caller is affected (cases.severity; NULL while unknown)."""

    STOPPED = 1
    PARTLY_AFFECTED = 2
    QUESTION = 3


SEVERITIES: tuple[Severity, ...] = tuple(Severity)


class FaultArea(StrEnum):
    """What a fault is about, as the caller said it in one phrase (cases.area; NULL when not
    said): kept for routing to the analyst who knows it."""

    EQUIPMENT = "equipment"  # a computer, a server, a screen
    PRINTER = "printer"
    NETWORK = "network"  # internet, the network, the wifi, the phones
    EMAIL = "email"
    SOFTWARE = "software"  # a program, the system, an application


FAULT_AREAS: tuple[FaultArea, ...] = tuple(FaultArea)
# The answer to "Del 1 al 5, ¿cómo le atendimos?" (calls.satisfaction; NULL when not given).
SATISFACTION_SCORES: tuple[int, ...] = (1, 2, 3, 4, 5)


class VisitStatus(StrEnum):
    """The fate of an arranged visit (cases.visit_status; NULL when none was arranged)."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DONE = "done"
    CANCELLED = "cancelled"


VISIT_STATUSES: tuple[VisitStatus, ...] = tuple(VisitStatus)
# Visits a caller is told about: arranged and still to come (None: a visit with no status yet).
VISIT_STATUSES_TOLD: tuple[VisitStatus | None, ...] = (
    None, VisitStatus.PROPOSED, VisitStatus.CONFIRMED)


class AnalystStatus(StrEnum):
    """What an analyst chose, or what missed calls made of them (analysts.status).

    "Busy" is not a status: an analyst is busy while holding a live lease (lease_until).
    """

    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    AWAY = "away"  # set after too many missed calls in a row


ANALYST_STATUSES: tuple[AnalystStatus, ...] = tuple(AnalystStatus)


class RecordingStatus(StrEnum):
    """A recording's state as Twilio reports it (recordings.status)."""

    IN_PROGRESS = "in-progress"  # also what a recording is before any status callback
    COMPLETED = "completed"
    FAILED = "failed"
    ABSENT = "absent"


RECORDING_STATUSES: tuple[RecordingStatus, ...] = tuple(RecordingStatus)
# Final: a later "in-progress" never replaces them.
RECORDING_FINAL: tuple[RecordingStatus, ...] = (
    RecordingStatus.COMPLETED, RecordingStatus.FAILED, RecordingStatus.ABSENT)


class RecordingKind(StrEnum):
    """What a recording holds (recordings.kind).

    Not checked by the database yet: the recording-status webhook stores the `k` argument of
    its URL as it comes (tests/test_out_of_order.py posts a made-up one), so a CHECK would
    turn such a request into an error. Once the voice layer maps unknown kinds to UNKNOWN, a
    CHECK can follow.
    """

    DESCRIPTION = "description"
    COMPANY = "company"
    NAME = "name"
    POSITION = "position"
    ADDENDUM = "addendum"
    EMERGENCY = "emergency"
    UNKNOWN = "unknown"  # a status callback came before the action that names the kind


RECORDING_KINDS: tuple[RecordingKind, ...] = tuple(RecordingKind)


class CallStatus(StrEnum):
    """Twilio's CallStatus of an inbound call (calls.status)."""

    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"


CALL_STATUSES: tuple[CallStatus, ...] = tuple(CallStatus)
# The order a call lives through its statuses; the final ones share the last rank.
CALL_STATUS_RANK: dict[CallStatus, int] = {
    CallStatus.QUEUED: 0,
    CallStatus.INITIATED: 1,
    CallStatus.RINGING: 2,
    CallStatus.IN_PROGRESS: 3,
    CallStatus.COMPLETED: 4,
    CallStatus.BUSY: 4,
    CallStatus.FAILED: 4,
    CallStatus.NO_ANSWER: 4,
    CallStatus.CANCELED: 4,
}
FINAL_CALL_STATUSES: frozenset[CallStatus] = frozenset(
    s for s, rank in CALL_STATUS_RANK.items() if rank == max(CALL_STATUS_RANK.values()))


class CallOutcome(StrEnum):
    """How routing ended for a call (calls.outcome; NULL while nothing is decided)."""

    ANSWERED = "answered"  # an analyst took it
    EMERGENCY_ANSWERED = "emergency-answered"  # an emergency phone took it
    EMERGENCY_MESSAGE = "emergency-message"  # nobody did: the caller left a message
    CALLBACK = "callback"  # nobody could: the case waits in the callback queue
    ABANDONED = "abandoned"  # the caller hung up while being put through


CALL_OUTCOMES: tuple[CallOutcome, ...] = tuple(CallOutcome)


class DialOutcome(StrEnum):
    """How one leg rung for a caller ended (dial_attempts.outcome)."""

    RINGING = "ringing"  # not ended yet
    ACCEPTED = "accepted"  # pressed 1 at the whisper (and bridged)
    DECLINED = "declined"  # pressed something else
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELED = "canceled"  # the caller left first: nobody missed it
    VOICEMAIL = "voicemail"  # answered, but nobody pressed 1


DIAL_OUTCOMES: tuple[DialOutcome, ...] = tuple(DialOutcome)
# Ways a leg ends without anyone taking the call, and those that count as a miss.
MISSED_DIAL_OUTCOMES: frozenset[DialOutcome] = frozenset({
    DialOutcome.NO_ANSWER, DialOutcome.BUSY, DialOutcome.FAILED, DialOutcome.VOICEMAIL})
NOT_TAKEN_DIAL_OUTCOMES: frozenset[DialOutcome] = MISSED_DIAL_OUTCOMES | {
    DialOutcome.DECLINED, DialOutcome.CANCELED}


def sql_literal(value: str | int) -> str:
    """A string or integer as an SQL literal ('it''s', 3); anything else is refused."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"only strings and integers can be SQL literals here, not {value!r}")
    if isinstance(value, int):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


def sql_in(values: Iterable[str | int]) -> str:
    """A parenthesised list of literals for IN: ('a', 'b'); NULL is refused (IN never
    matches it: say IS NULL instead)."""
    values = list(values)
    if not values:
        raise ValueError("an IN list needs at least one value")
    if any(v is None for v in values):
        raise ValueError("NULL in an IN list matches nothing; allow NULL with IS NULL instead")
    return "(" + ", ".join(sql_literal(v) for v in values) + ")"


def check_in(column: str, values: Iterable[str | int]) -> str:
    """The condition of a CHECK that allows only `values` in `column`: `column IN (...)`.

    A CHECK passes when its condition is NULL, so a nullable column still accepts NULL; a NOT
    NULL column refuses it by its own constraint.
    """
    if not column.isidentifier():
        raise ValueError(f"not a plain column name: {column!r}")
    return f"{column} IN {sql_in(values)}"


class GuessKind(StrEnum):
    """What a failed guess was at (guesses.kind): bounded per call, per caller ID, per analyst."""

    CASE_NUMBER = "case"  # a well-formed case number that is no case
    PIN = "pin"  # a wrong analyst PIN


GUESS_KINDS: tuple[GuessKind, ...] = tuple(GuessKind)


class CallbackOutcome(StrEnum):
    """How a call back to a client went (callback_attempts.outcome): only SPOKE closes it."""

    SPOKE = "spoke"
    NO_ANSWER = "no-answer"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong-number"


CALLBACK_OUTCOMES: tuple[CallbackOutcome, ...] = tuple(CallbackOutcome)


class CallbackCallState(StrEnum):
    """Where a call back placed from the console stands (callback_calls.state): the analyst's
    phone rings first, and only on their 1 is the client dialled."""

    PLACING = "placing"  # queued in the outbox, or ringing the analyst's phone
    DIALLING = "dialling"  # the analyst pressed 1: the client is dialled (or on the line)
    DECLINED = "declined"  # the analyst pressed another key, or none
    MISSED = "missed"  # the analyst's phone was not answered (busy, no answer, failed)
    ENDED = "ended"  # the call is over after the client was dialled


CALLBACK_CALL_STATES: tuple[CallbackCallState, ...] = tuple(CallbackCallState)
# Calls back that never reached the client's phone: not counted against the daily cap.
CALLBACK_CALLS_NOT_DIALLED: tuple[CallbackCallState, ...] = (
    CallbackCallState.DECLINED, CallbackCallState.MISSED)
# Still going on: the analyst cannot place another one meanwhile.
CALLBACK_CALLS_LIVE: tuple[CallbackCallState, ...] = (
    CallbackCallState.PLACING, CallbackCallState.DIALLING)


class UserRole(StrEnum):
    """What a console user may do (users.role): analysts work cases, the coordinator also
    manages analysts, users and assignments."""

    ANALYST = "analyst"
    COORDINATOR = "coordinator"


USER_ROLES: tuple[UserRole, ...] = tuple(UserRole)


class OutboxStatus(StrEnum):
    """Where a message to the outside stands (outbox.status)."""

    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by a worker (claimed_at), not marked yet
    SENT = "sent"
    FAILED = "failed"  # refused for good by the provider
    EXPIRED = "expired"  # not sent within OUTBOX_MAX_AGE_MINUTES


OUTBOX_STATUSES: tuple[OutboxStatus, ...] = tuple(OutboxStatus)


class MailOutcome(StrEnum):
    """What became of a mail read from the support mailbox (mails.outcome)."""

    CASE = "case"  # opened a case
    NOTE = "note"  # added to the case it quotes or answers
    SKIPPED = "skipped"  # a loop or a machine: not answered, no case
    ASIDE = "aside"  # kept for the coordinator: no text and no known sender, or too many


MAIL_OUTCOMES: tuple[MailOutcome, ...] = tuple(MailOutcome)


class AlertStatus(StrEnum):
    """Where an emergency alert stands (alerts.status): the emergency phones are texted and
    rung, round after round, until one of them (or an analyst in the console) takes the case."""

    ALERTING = "alerting"
    TAKEN = "taken"
    UNANSWERED = "unanswered"  # every round went by: the coordinator was told


ALERT_STATUSES: tuple[AlertStatus, ...] = tuple(AlertStatus)


class HoldState(StrEnum):
    """Where a caller waiting on the line stands (holds.state)."""

    WAITING = "waiting"  # in the queue, hearing their place
    OFFERED = "offered"  # an analyst claimed for them is being rung
    BRIDGED = "bridged"  # talked to an analyst
    LEFT = "left"  # pressed 1: the case went to the callback queue
    # Waited the longest wait allowed, or nobody was left on duty (the centre closed, the
    # analysts went unavailable): the callback queue too.
    TIMED_OUT = "timed_out"
    ABANDONED = "abandoned"  # hung up while waiting


HOLD_STATES: tuple[HoldState, ...] = tuple(HoldState)
# Still on hold: counted in the queue's places.
HOLD_STATES_QUEUED: tuple[HoldState, ...] = (HoldState.WAITING, HoldState.OFFERED)
