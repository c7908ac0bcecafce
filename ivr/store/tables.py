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
    CALLBACK_OUTCOMES,
    CALLBACK_STATES,
    CASE_STATUSES,
    DIAL_OUTCOMES,
    GUESS_KINDS,
    OUTBOX_STATUSES,
    RECORDING_STATUSES,
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
    UniqueConstraint("phone", name="uq_contacts_phone"),
    Index("ix_contacts_company", "company_id"),
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
    UniqueConstraint("number", name="uq_cases_number"),
    UniqueConstraint("origin_call_sid", "origin_seq", name="uq_cases_origin"),
    one_of("cases", "status", CASE_STATUSES),
    one_of("cases", "severity", SEVERITIES),
    one_of("cases", "callback_state", CALLBACK_STATES),
    one_of("cases", "visit_status", VISIT_STATUSES),
    Index("ix_cases_caller_number", "caller_number", "status"),
    Index("ix_cases_company", "company_id", "created_at"),
    Index("ix_cases_status", "status", "created_at"),
    Index("ix_cases_callback", "callback_state", "due_at"),
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
    one_of("calls", "status", CALL_STATUSES),
    one_of("calls", "outcome", CALL_OUTCOMES),
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
