"""The schema in code: SQLAlchemy Core tables, the one definition the ORM models map onto.

schema.sql is the readable DDL that creates a database; tests/test_schema.py keeps it, these
tables and the migrations equal on SQLite and PostgreSQL, CHECK constraints included. The
status CHECKs are generated from ivr/domain/statuses.py, so the allowed words are written once.

Below the tables, what a DB-API layer needs to convert values, derived from the column types:
`TIME_COLUMNS`, `DATE_COLUMNS`, `DECIMAL_COLUMNS` (with `DECIMAL_SCALES`) and `PRIMARY_KEYS`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ivr.domain.statuses import (
    ALERT_STATUSES,
    ANALYST_STATUSES,
    CALL_OUTCOMES,
    CALL_STATUSES,
    CALLBACK_CALL_STATES,
    CALLBACK_OUTCOMES,
    CALLBACK_STATES,
    CASE_STATUSES,
    DIAL_OUTCOMES,
    FAULT_AREAS,
    GUESS_KINDS,
    HOLD_STATES,
    MAIL_OUTCOMES,
    OUTBOX_STATUSES,
    RECORDING_STATUSES,
    SATISFACTION_SCORES,
    SEVERITIES,
    USER_ROLES,
    VISIT_STATUSES,
    check_in,
)

metadata = MetaData()


def one_of(table: str, column: str, values: Iterable[str | int]) -> CheckConstraint:
    """CHECK that `column` holds one of `values` (or NULL, where the column allows it)."""
    return CheckConstraint(check_in(column, values), name=f"ck_{table}_{column}")


business_hours = Table(
    "business_hours", metadata,
    Column("id", Integer, primary_key=True),
    Column("weekday", Integer, nullable=False),  # 0 = Monday
    Column("opens", String(5), nullable=False),  # 'HH:MM', Caracas time
    Column("closes", String(5), nullable=False),
    UniqueConstraint("weekday", "opens", name="uq_business_hours"),
)

closures = Table(
    "closures", metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("starts", String(5)),  # NULL with ends NULL: the whole day
    Column("ends", String(5)),
    Column("reason", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_closures_day", "day"),
)

emergency_contacts = Table(
    "emergency_contacts", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("phone", String(20), nullable=False),  # E.164
    Column("position", Integer, nullable=False),  # ringing order, 1 first
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("ring_seconds", Integer),  # how long this phone rings (NULL: DIAL_TIMEOUT)
    UniqueConstraint("phone", name="uq_emergency_contacts_phone"),
    UniqueConstraint("position", name="uq_emergency_contacts_position"),
)

analysts = Table(
    "analysts", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("phone", String(20), nullable=False),  # E.164, never spoken to callers
    Column("pin_hash", String(200)),
    Column("status", String(16), nullable=False),
    Column("idle_since", DateTime, nullable=False),  # end of the last call or status change
    Column("lease_call_sid", String(64)),  # the call ringing or bridged to this analyst
    Column("lease_until", DateTime),  # busy while now < lease_until
    Column("missed_in_row", Integer, nullable=False),
    Column("away_notice", Boolean, nullable=False),  # tell them on their next menu call
    Column("created_at", DateTime, nullable=False),
    Column("deactivated_at", DateTime),  # never rung, phone menu closed (history kept)
    UniqueConstraint("phone", name="uq_analysts_phone"),
    one_of("analysts", "status", ANALYST_STATUSES),
    Index("ix_analysts_status_idle", "status", "idle_since"),
)

companies = Table(
    "companies", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),  # lower case, no accents
    Column("contract_hours", Integer),  # response time of a contract, business hours
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("name_key", name="uq_companies_name_key"),
)

contacts = Table(
    "contacts", metadata,
    Column("id", Integer, primary_key=True),
    Column("company_id", Integer, ForeignKey("companies.id"), nullable=False),
    Column("name", String(120), nullable=False),
    Column("position", String(120)),  # cargo
    Column("phone", String(20), nullable=False),  # E.164
    Column("email", String(200)),
    Column("created_at", DateTime, nullable=False),
    Index("ix_contacts_company", "company_id"),
    # A company's switchboard may be several of its contacts' phone (never two companies').
    Index("ix_contacts_phone", "phone"),
)

cases = Table(
    "cases", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(12), nullable=False),  # digits with a Damm check digit
    Column("status", String(20), nullable=False),
    Column("severity", Integer),
    Column("company_id", Integer, ForeignKey("companies.id")),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("company_name", String(200)),  # as the caller said it
    Column("caller_name", String(120)),
    Column("caller_position", String(120)),
    Column("email", String(200)),
    Column("caller_number", String(20)),  # E.164 caller ID, NULL when withheld
    Column("callback_number", String(20)),
    Column("callback_extension", String(10)),
    Column("origin_call_sid", String(64), nullable=False),
    Column("origin_seq", Integer, nullable=False),  # the report's order within its call
    Column("out_of_hours", Boolean, nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("callback_state", String(12), nullable=False),
    Column("due_at", DateTime),
    Column("assigned_analyst_id", Integer, ForeignKey("analysts.id")),
    Column("visit_at", DateTime),
    Column("visit_cost", Numeric(12, 2)),
    Column("visit_status", String(16)),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("notes", Text),  # e.g. choices made while the database was down
    Column("prefilled_by_caller_id", Boolean),  # identity taken from the caller ID (a hint)
    Column("company_to_link", Boolean),  # the company said matched none surely: link it
    Column("notified_at", DateTime),  # the caller's confirmation written (revision 0008)
    Column("warned_at", DateTime),  # analysts warned that its callback is due soon
    Column("overdue_told_at", DateTime),  # the coordinator told that it is overdue
    Column("area", String(12)),  # FaultArea, from the caller's words
    Column("fault_summary", String(300)),  # the caller's words for the fault, before ringing
    UniqueConstraint("number", name="uq_cases_number"),
    UniqueConstraint("origin_call_sid", "origin_seq", name="uq_cases_origin"),
    one_of("cases", "status", CASE_STATUSES),
    one_of("cases", "severity", SEVERITIES),
    one_of("cases", "callback_state", CALLBACK_STATES),
    one_of("cases", "visit_status", VISIT_STATUSES),
    one_of("cases", "area", FAULT_AREAS),
    Index("ix_cases_caller_number", "caller_number", "status"),
    Index("ix_cases_company", "company_id", "created_at"),
    Index("ix_cases_status", "status", "created_at"),
    Index("ix_cases_callback", "callback_state", "due_at"),
    Index("ix_cases_created", "created_at"),
    Index("ix_cases_notified", "notified_at", "created_at"),
)

recordings = Table(
    "recordings", metadata,
    Column("id", Integer, primary_key=True),
    Column("recording_sid", String(64), nullable=False),
    Column("call_sid", String(64), nullable=False),
    Column("case_id", Integer, ForeignKey("cases.id")),
    Column("kind", String(16), nullable=False),  # RecordingKind, not checked (see there)
    Column("url", String(500)),
    Column("duration", Integer),
    Column("status", String(12), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("recording_sid", name="uq_recordings_sid"),
    one_of("recordings", "status", RECORDING_STATUSES),
    Index("ix_recordings_case", "case_id"),
    Index("ix_recordings_call", "call_sid"),
)

calls = Table(
    "calls", metadata,
    Column("call_sid", String(64), primary_key=True),
    Column("direction", String(20)),
    Column("from_number", String(20)),  # E.164, NULL when withheld or unparsable
    Column("from_raw", String(64)),
    Column("to_number", String(64)),
    Column("forwarded_from", String(64)),  # the published line that was dialled
    Column("status", String(16), nullable=False),
    Column("status_seq", Integer),  # SequenceNumber of the last status callback
    Column("duration", Integer),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("analyst_id", Integer, ForeignKey("analysts.id")),  # calling the analyst menu
    Column("case_id", Integer, ForeignKey("cases.id")),  # the case the call is about now
    Column("webhooks", Integer, nullable=False),  # requests seen, to bound loops
    Column("outcome", String(24)),
    Column("answered_by", String(24)),  # analyst:<id> | emergency:<id>
    Column("attempts", Integer, nullable=False),
    Column("ring_seconds", Integer, nullable=False),
    Column("hunt_started_at", DateTime),
    Column("started_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("ended_at", DateTime),
    Column("satisfaction", Integer),  # 1 to 5, asked after the analyst hung up
    one_of("calls", "status", CALL_STATUSES),
    one_of("calls", "outcome", CALL_OUTCOMES),
    one_of("calls", "satisfaction", SATISFACTION_SCORES),
    Index("ix_calls_started", "started_at"),
    Index("ix_calls_case", "case_id"),
)

dial_attempts = Table(
    "dial_attempts", metadata,
    Column("id", Integer, primary_key=True),
    Column("call_sid", String(64), nullable=False),
    Column("seq", Integer, nullable=False),  # 1, 2, … within the call
    Column("case_id", Integer, ForeignKey("cases.id")),
    Column("analyst_id", Integer, ForeignKey("analysts.id")),
    Column("emergency_contact_id", Integer, ForeignKey("emergency_contacts.id")),
    Column("dial_call_sid", String(64)),
    Column("outcome", String(16)),
    Column("started_at", DateTime, nullable=False),
    Column("accepted_at", DateTime),
    Column("ended_at", DateTime),
    UniqueConstraint("call_sid", "seq", name="uq_dial_attempts_seq"),
    one_of("dial_attempts", "outcome", DIAL_OUTCOMES),
    Index("ix_dial_attempts_analyst", "analyst_id", "started_at"),
    Index("ix_dial_attempts_started", "started_at"),
    Index("ix_dial_attempts_case", "case_id"),
)


company_aliases = Table(
    "company_aliases", metadata,
    Column("id", Integer, primary_key=True),
    Column("company_id", Integer, ForeignKey("companies.id"), nullable=False),
    Column("alias", String(200), nullable=False),  # another name callers use
    Column("alias_key", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("alias_key", name="uq_company_aliases_key"),
    Index("ix_company_aliases_company", "company_id"),
)

guesses = Table(
    "guesses", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("call_sid", String(64), nullable=False),
    Column("caller", String(20)),  # E.164 caller ID, NULL when withheld
    Column("analyst_id", Integer, ForeignKey("analysts.id")),  # whose PIN was tried
    Column("created_at", DateTime, nullable=False),
    one_of("guesses", "kind", GUESS_KINDS),
    Index("ix_guesses_call", "call_sid", "kind"),
    Index("ix_guesses_caller", "kind", "caller", "created_at"),
    Index("ix_guesses_analyst", "kind", "analyst_id", "created_at"),
)

callback_attempts = Table(
    "callback_attempts", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("note", Text),
    Column("created_at", DateTime, nullable=False),
    one_of("callback_attempts", "outcome", CALLBACK_OUTCOMES),
    Index("ix_callback_attempts_case", "case_id", "created_at"),
    Index("ix_callback_attempts_created", "created_at"),
)

# --- the console (revision 0005) ---------------------------------------------------------------

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(200), nullable=False),  # lower case: the login name
    Column("name", String(120), nullable=False),
    Column("role", String(12), nullable=False),
    Column("analyst_id", Integer, ForeignKey("analysts.id")),  # the analyst they work as
    Column("password_hash", String(200), nullable=False),  # argon2id with its parameters
    Column("disabled_at", DateTime),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("email", name="uq_users_email"),
    one_of("users", "role", USER_ROLES),
)

console_sessions = Table(
    "console_sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False),  # SHA-256 of the cookie's token
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),  # the idle timeout counts from here
    Column("client_address", String(45)),
    UniqueConstraint("token_hash", name="uq_console_sessions_token"),
    Index("ix_console_sessions_user", "user_id"),
)

login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(200), nullable=False),  # as tried, known or not
    Column("client_address", String(45)),
    Column("created_at", DateTime, nullable=False),
    Index("ix_login_failures_email", "email", "created_at"),
    Index("ix_login_failures_address", "client_address", "created_at"),
)

case_notes = Table(
    "case_notes", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_case_notes_case", "case_id", "created_at"),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id")),  # NULL: the line or a command
    Column("table_name", String(40), nullable=False),
    Column("row_id", Integer, nullable=False),
    Column("field", String(40), nullable=False),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("created_at", DateTime, nullable=False),
    Index("ix_audit_log_row", "table_name", "row_id", "created_at"),
)

# --- the outbox (revision 0006) ----------------------------------------------------------------

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # 'call' (SMS, e-mail… later)
    Column("payload", Text, nullable=False),  # JSON: what the sender needs
    Column("status", String(8), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("claimed_at", DateTime),  # set while a worker sends it
    Column("last_error", Text),
    Column("provider_sid", String(64)),  # Twilio's sid once sent
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    one_of("outbox", "status", OUTBOX_STATUSES),
    Index("ix_outbox_due", "status", "next_attempt_at"),
)

# --- calls back from the console (revision 0007) ----------------------------------------------

callback_calls = Table(
    "callback_calls", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),  # who pressed it
    Column("analyst_id", Integer, ForeignKey("analysts.id"), nullable=False),  # rung first
    Column("outbox_id", Integer, ForeignKey("outbox.id")),  # the REST call's row
    Column("call_sid", String(64)),  # the analyst's call, from its first webhook
    Column("client_number", String(20), nullable=False),  # E.164, as dialled
    Column("state", String(10), nullable=False),
    Column("client_status", String(16)),  # the client leg's DialCallStatus
    Column("outcome", String(16)),  # what the analyst recorded afterwards
    Column("note", Text),  # and what they added
    Column("created_at", DateTime, nullable=False),
    Column("dialled_at", DateTime),  # the analyst pressed 1
    Column("ended_at", DateTime),
    Column("recorded_at", DateTime),  # the outcome
    one_of("callback_calls", "state", CALLBACK_CALL_STATES),
    one_of("callback_calls", "outcome", CALLBACK_OUTCOMES),
    Index("ix_callback_calls_case", "case_id", "created_at"),
    Index("ix_callback_calls_user", "user_id", "created_at"),
)

# --- the coordinator's screens (revision 0009) ------------------------------------------------

skills = Table(
    "skills", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(60), nullable=False),  # 'redes', 'impresoras'...
    Column("created_at", DateTime, nullable=False),
    # The fault area the skill serves (revision 0013): a caller's fault of that area is
    # offered first to an analyst with the skill. NULL: a skill no area asks for.
    Column("area", String(12)),
    UniqueConstraint("name", name="uq_skills_name"),
    one_of("skills", "area", FAULT_AREAS),
)

analyst_skills = Table(
    "analyst_skills", metadata,
    Column("id", Integer, primary_key=True),
    Column("analyst_id", Integer, ForeignKey("analysts.id"), nullable=False),
    Column("skill_id", Integer, ForeignKey("skills.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("analyst_id", "skill_id", name="uq_analyst_skills"),
    Index("ix_analyst_skills_skill", "skill_id"),
)

# --- notices said before the menu (revision 0010) ---------------------------------------------

notices = Table(
    "notices", metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String(300), nullable=False),  # said before the menu, as written
    Column("starts_at", DateTime, nullable=False),
    Column("ends_at", DateTime, nullable=False),
    Column("ended_at", DateTime),  # ended early by the coordinator
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_notices_ends", "ends_at", "starts_at"),
)

# --- the public page and the dashboard (revision 0011) -----------------------------------------

lookup_failures = Table(
    "lookup_failures", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_number", String(12), nullable=False),  # well-formed, a case or not
    Column("client_address", String(45)),
    Column("created_at", DateTime, nullable=False),
    Index("ix_lookup_failures_case", "case_number", "created_at"),
    Index("ix_lookup_failures_address", "client_address", "created_at"),
)

# --- the support mailbox (revision 0012) -------------------------------------------------------

mails = Table(
    "mails", metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", String(250), nullable=False),
    Column("sender", String(254), nullable=False),  # the From address ('' when none)
    Column("reply_to", String(254), nullable=False),  # where an answer goes
    Column("subject", String(250), nullable=False),
    Column("body", Text, nullable=False),  # plain text only, never HTML
    Column("outcome", String(8), nullable=False),
    Column("reason", String(200)),  # why it was skipped or set aside
    Column("case_id", Integer, ForeignKey("cases.id")),
    Column("answered", Boolean, nullable=False),  # an answer went to the outbox
    Column("answer_id", String(250)),  # the Message-ID of our answer
    Column("received_at", DateTime, nullable=False),
    UniqueConstraint("message_id", name="uq_mails_message_id"),
    one_of("mails", "outcome", MAIL_OUTCOMES),
    Index("ix_mails_sender", "sender", "received_at"),
    Index("ix_mails_case", "case_id", "received_at"),
    Index("ix_mails_answer", "answer_id"),
)

mail_attachments = Table(
    "mail_attachments", metadata,
    Column("id", Integer, primary_key=True),
    Column("mail_id", Integer, ForeignKey("mails.id"), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary),  # NULL: larger than the limit, not kept
    Index("ix_mail_attachments_mail", "mail_id"),
)

worker_leases = Table(
    "worker_leases", metadata,
    Column("name", String(40), primary_key=True),  # e.g. 'mailbox'
    Column("holder", String(80), nullable=False),  # host:pid of the worker holding it
    Column("until", DateTime, nullable=False),
)

# --- emergency alerts and message preferences (revision 0008) --------------------------------

alerts = Table(
    "alerts", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("status", String(12), nullable=False),
    Column("round_no", Integer, nullable=False),  # 1 first
    Column("step", Integer, nullable=False),  # 0: the round's SMS next; n: the n-th phone's call
    Column("round_started_at", DateTime),
    Column("next_step_at", DateTime, nullable=False),
    Column("taken_by_contact_id", Integer, ForeignKey("emergency_contacts.id")),
    Column("taken_by_analyst_id", Integer, ForeignKey("analysts.id")),
    Column("taken_at", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("case_id", name="uq_alerts_case"),
    one_of("alerts", "status", ALERT_STATUSES),
    Index("ix_alerts_due", "status", "next_step_at"),
)

message_preferences = Table(
    "message_preferences", metadata,
    Column("id", Integer, primary_key=True),
    Column("phone", String(20), nullable=False),  # E.164
    Column("no_sms", Boolean, nullable=False),  # "para no recibir mensajes, marque 9"
    Column("whatsapp", Boolean, nullable=False),  # opted in to WhatsApp
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("phone", name="uq_message_preferences_phone"),
)


# --- the hold queue (revision 0013) -------------------------------------------------------------

holds = Table(
    "holds", metadata,
    Column("id", Integer, primary_key=True),
    # The caller's call; also the name of the Twilio queue they wait in (one each).
    Column("call_sid", String(64), nullable=False),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("contract", Boolean, nullable=False),  # the case's company has a contract
    Column("severity", Integer),  # the case's, when the caller joined; NULL after 3
    Column("state", String(16), nullable=False),  # HoldState
    Column("waiting_since", DateTime, nullable=False),  # kept when an offer falls through
    Column("offers", Integer, nullable=False),
    Column("offered_at", DateTime),
    Column("analyst_id", Integer, ForeignKey("analysts.id")),  # offered to, or talked to
    Column("attempt_id", Integer, ForeignKey("dial_attempts.id")),  # the offer's leg
    Column("ended_at", DateTime),
    Column("waited_seconds", Integer),  # from joining to the end of the wait
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("call_sid", name="uq_holds_call"),
    one_of("holds", "state", HOLD_STATES),
    Index("ix_holds_queue", "state", "waiting_since"),
    Index("ix_holds_case", "case_id"),
    Index("ix_holds_ended", "ended_at"),  # the dashboard's waits of a period
)

def _is_decimal(type_) -> bool:
    """Whether a column type holds exact amounts (Numeric returned as Decimal, not Float)."""
    return isinstance(type_, Numeric) and not isinstance(type_, Float) and type_.asdecimal


def _columns_where(test) -> dict[str, Column]:
    """The columns whose type passes `test`, by name, over every table."""
    return {column.name: column for table in metadata.tables.values()
            for column in table.columns if test(column.type)}


# A raw DB-API layer converts values by column name (SQLite returns times, days and amounts
# as text). A name means the same type in every table: tests/test_tables.py checks it.
TIME_COLUMNS: frozenset[str] = frozenset(_columns_where(lambda t: isinstance(t, DateTime)))
DATE_COLUMNS: frozenset[str] = frozenset(_columns_where(lambda t: isinstance(t, Date)))
DECIMAL_COLUMNS: frozenset[str] = frozenset(_columns_where(_is_decimal))
DECIMAL_SCALES: dict[str, int] = {
    name: column.type.scale for name, column in _columns_where(_is_decimal).items()}
PRIMARY_KEYS: dict[str, str] = {
    name: table.primary_key.columns[0].name for name, table in metadata.tables.items()}
