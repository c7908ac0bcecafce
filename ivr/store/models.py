"""ORM classes mapped onto the Core tables of ivr/store/tables.py (the one schema in code).

The CLI and the tests use them; the tables, their constraints and their CHECKs live in
tables.py, and `Base.metadata` is `tables.metadata`. The annotations only give each attribute
its type: the columns come from `__table__`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import DeclarativeBase, Mapped

from ivr.store import tables


class Base(DeclarativeBase):
    """Declarative base of every model, on the tables' metadata."""

    metadata = tables.metadata


class BusinessHours(Base):
    """One opening window of a weekday, Caracas time."""

    __table__ = tables.business_hours

    id: Mapped[int]
    weekday: Mapped[int]
    opens: Mapped[str]
    closes: Mapped[str]


class Closure(Base):
    """A day, or part of one, when the centre is closed by decision."""

    __table__ = tables.closures

    id: Mapped[int]
    day: Mapped[date]
    starts: Mapped[str | None]
    ends: Mapped[str | None]
    reason: Mapped[str]
    created_at: Mapped[datetime]


class EmergencyContact(Base):
    """A phone that takes emergencies out of hours, rung in `position` order."""

    __table__ = tables.emergency_contacts

    id: Mapped[int]
    name: Mapped[str]
    phone: Mapped[str]
    position: Mapped[int]
    active: Mapped[bool]
    created_at: Mapped[datetime]
    ring_seconds: Mapped[int | None]


class Analyst(Base):
    """A support analyst who takes forwarded calls."""

    __table__ = tables.analysts

    id: Mapped[int]
    name: Mapped[str]
    phone: Mapped[str]
    pin_hash: Mapped[str | None]
    status: Mapped[str]
    idle_since: Mapped[datetime]
    lease_call_sid: Mapped[str | None]
    lease_until: Mapped[datetime | None]
    missed_in_row: Mapped[int]
    away_notice: Mapped[bool]
    created_at: Mapped[datetime]
    deactivated_at: Mapped[datetime | None]


class Company(Base):
    """A client company, optionally with a service contract (rule 8)."""

    __table__ = tables.companies

    id: Mapped[int]
    name: Mapped[str]
    name_key: Mapped[str]
    contract_hours: Mapped[int | None]
    created_at: Mapped[datetime]


class Contact(Base):
    """A person of a client company whose phone the line recognises."""

    __table__ = tables.contacts

    id: Mapped[int]
    company_id: Mapped[int]
    name: Mapped[str]
    position: Mapped[str | None]
    phone: Mapped[str]
    email: Mapped[str | None]
    created_at: Mapped[datetime]


class Case(Base):
    """A support request with its case number (rule 5)."""

    __table__ = tables.cases

    id: Mapped[int]
    number: Mapped[str]
    status: Mapped[str]
    severity: Mapped[int | None]
    company_id: Mapped[int | None]
    contact_id: Mapped[int | None]
    company_name: Mapped[str | None]
    caller_name: Mapped[str | None]
    caller_position: Mapped[str | None]
    email: Mapped[str | None]
    caller_number: Mapped[str | None]
    callback_number: Mapped[str | None]
    callback_extension: Mapped[str | None]
    origin_call_sid: Mapped[str]
    origin_seq: Mapped[int]
    out_of_hours: Mapped[bool]
    urgent: Mapped[bool]
    callback_state: Mapped[str]
    due_at: Mapped[datetime | None]
    assigned_analyst_id: Mapped[int | None]
    visit_at: Mapped[datetime | None]
    visit_cost: Mapped[Decimal | None]
    visit_status: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    notes: Mapped[str | None]
    prefilled_by_caller_id: Mapped[bool | None]
    company_to_link: Mapped[bool | None]
    area: Mapped[str | None]
    fault_summary: Mapped[str | None]
    notified_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    overdue_told_at: Mapped[datetime | None]


class Recording(Base):
    """A caller's recording (fault description, name, addendum) and its fate."""

    __table__ = tables.recordings

    id: Mapped[int]
    recording_sid: Mapped[str]
    call_sid: Mapped[str]
    case_id: Mapped[int | None]
    kind: Mapped[str]
    url: Mapped[str | None]
    duration: Mapped[int | None]
    status: Mapped[str]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Call(Base):
    """One inbound call, from its first webhook to its final status."""

    __table__ = tables.calls

    call_sid: Mapped[str]
    direction: Mapped[str | None]
    from_number: Mapped[str | None]
    from_raw: Mapped[str | None]
    to_number: Mapped[str | None]
    forwarded_from: Mapped[str | None]
    status: Mapped[str]
    status_seq: Mapped[int | None]
    duration: Mapped[int | None]
    contact_id: Mapped[int | None]
    analyst_id: Mapped[int | None]
    case_id: Mapped[int | None]
    webhooks: Mapped[int]
    outcome: Mapped[str | None]
    answered_by: Mapped[str | None]
    attempts: Mapped[int]
    ring_seconds: Mapped[int]
    hunt_started_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    satisfaction: Mapped[int | None]


class DialAttempt(Base):
    """One leg rung while putting a caller through, and how it ended."""

    __table__ = tables.dial_attempts

    id: Mapped[int]
    call_sid: Mapped[str]
    seq: Mapped[int]
    case_id: Mapped[int | None]
    analyst_id: Mapped[int | None]
    emergency_contact_id: Mapped[int | None]
    dial_call_sid: Mapped[str | None]
    outcome: Mapped[str | None]
    started_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class CompanyAlias(Base):
    """Another name callers use for a company."""

    __table__ = tables.company_aliases

    id: Mapped[int]
    company_id: Mapped[int]
    alias: Mapped[str]
    alias_key: Mapped[str]
    created_at: Mapped[datetime]


class Guess(Base):
    """A failed guess: a case number that is no case, or a wrong analyst PIN."""

    __table__ = tables.guesses

    id: Mapped[int]
    kind: Mapped[str]
    call_sid: Mapped[str]
    caller: Mapped[str | None]
    analyst_id: Mapped[int | None]
    created_at: Mapped[datetime]


class CallbackAttempt(Base):
    """One call back to a client, and how it went."""

    __table__ = tables.callback_attempts

    id: Mapped[int]
    case_id: Mapped[int]
    outcome: Mapped[str]
    note: Mapped[str | None]
    created_at: Mapped[datetime]


class User(Base):
    """A console user: an analyst or the coordinator."""

    __table__ = tables.users

    id: Mapped[int]
    email: Mapped[str]
    name: Mapped[str]
    role: Mapped[str]
    analyst_id: Mapped[int | None]
    password_hash: Mapped[str]
    disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ConsoleSession(Base):
    """A logged-in browser: its token's hash, whose it is, when it was last seen."""

    __table__ = tables.console_sessions

    id: Mapped[int]
    token_hash: Mapped[str]
    user_id: Mapped[int]
    created_at: Mapped[datetime]
    last_seen: Mapped[datetime]
    client_address: Mapped[str | None]


class LoginFailure(Base):
    """A failed login, counted per account and per client address."""

    __table__ = tables.login_failures

    id: Mapped[int]
    email: Mapped[str]
    client_address: Mapped[str | None]
    created_at: Mapped[datetime]


class CaseNote(Base):
    """A note a user added to a case."""

    __table__ = tables.case_notes

    id: Mapped[int]
    case_id: Mapped[int]
    user_id: Mapped[int]
    body: Mapped[str]
    created_at: Mapped[datetime]


class AuditEntry(Base):
    """One field changed by someone: before and after."""

    __table__ = tables.audit_log

    id: Mapped[int]
    user_id: Mapped[int | None]
    table_name: Mapped[str]
    row_id: Mapped[int]
    field: Mapped[str]
    old_value: Mapped[str | None]
    new_value: Mapped[str | None]
    created_at: Mapped[datetime]


class OutboxMessage(Base):
    """Something to send to the outside, delivered by the outbox worker."""

    __table__ = tables.outbox

    id: Mapped[int]
    kind: Mapped[str]
    payload: Mapped[str]
    status: Mapped[str]
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    provider_sid: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CallbackCall(Base):
    """A call back placed from the console: the analyst's phone first, then the client."""

    __table__ = tables.callback_calls

    id: Mapped[int]
    case_id: Mapped[int]
    user_id: Mapped[int]
    analyst_id: Mapped[int]
    outbox_id: Mapped[int | None]
    call_sid: Mapped[str | None]
    client_number: Mapped[str]
    state: Mapped[str]
    client_status: Mapped[str | None]
    outcome: Mapped[str | None]
    note: Mapped[str | None]
    created_at: Mapped[datetime]
    dialled_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    recorded_at: Mapped[datetime | None]


class Skill(Base):
    """Something an analyst knows (redes, impresoras...)."""

    __table__ = tables.skills

    id: Mapped[int]
    name: Mapped[str]
    created_at: Mapped[datetime]
    area: Mapped[str | None]


class AnalystSkill(Base):
    """An analyst who has a skill."""

    __table__ = tables.analyst_skills

    id: Mapped[int]
    analyst_id: Mapped[int]
    skill_id: Mapped[int]
    created_at: Mapped[datetime]


class Notice(Base):
    """A notice the coordinator sets, said before the menu until it ends."""

    __table__ = tables.notices

    id: Mapped[int]
    text: Mapped[str]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Alert(Base):
    """An emergency alert: the emergency phones texted and rung until one takes the case."""

    __table__ = tables.alerts

    id: Mapped[int]
    case_id: Mapped[int]
    status: Mapped[str]
    round_no: Mapped[int]
    step: Mapped[int]
    round_started_at: Mapped[datetime | None]
    next_step_at: Mapped[datetime]
    taken_by_contact_id: Mapped[int | None]
    taken_by_analyst_id: Mapped[int | None]
    taken_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LookupFailure(Base):
    """A case number and phone (or e-mail) the public page could not match, counted per case
    number and per client address."""

    __table__ = tables.lookup_failures

    id: Mapped[int]
    case_number: Mapped[str]
    client_address: Mapped[str | None]
    created_at: Mapped[datetime]


class Mail(Base):
    """A mail read from the support mailbox, kept once by its Message-ID."""

    __table__ = tables.mails

    id: Mapped[int]
    message_id: Mapped[str]
    sender: Mapped[str]
    reply_to: Mapped[str]
    subject: Mapped[str]
    body: Mapped[str]
    outcome: Mapped[str]
    reason: Mapped[str | None]
    case_id: Mapped[int | None]
    answered: Mapped[bool]
    answer_id: Mapped[str | None]
    received_at: Mapped[datetime]


class MailAttachment(Base):
    """A file that came with a mail (its bytes kept up to the configured size)."""

    __table__ = tables.mail_attachments

    id: Mapped[int]
    mail_id: Mapped[int]
    filename: Mapped[str]
    content_type: Mapped[str]
    size: Mapped[int]
    content: Mapped[bytes | None]


class WorkerLease(Base):
    """Which worker holds a job that only one may run at a time, and until when."""

    __table__ = tables.worker_leases

    name: Mapped[str]
    holder: Mapped[str]
    until: Mapped[datetime]


class MessagePreference(Base):
    """What a phone number wants in writing: no SMS, or WhatsApp."""

    __table__ = tables.message_preferences

    id: Mapped[int]
    phone: Mapped[str]
    no_sms: Mapped[bool]
    whatsapp: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Hold(Base):
    """A caller who chose to wait on the line, in the line's order, until an analyst takes
    them or they leave."""

    __table__ = tables.holds

    id: Mapped[int]
    call_sid: Mapped[str]
    case_id: Mapped[int]
    contract: Mapped[bool]
    severity: Mapped[int | None]
    state: Mapped[str]
    waiting_since: Mapped[datetime]
    offers: Mapped[int]
    offered_at: Mapped[datetime | None]
    analyst_id: Mapped[int | None]
    attempt_id: Mapped[int | None]
    ended_at: Mapped[datetime | None]
    waited_seconds: Mapped[int | None]
    created_at: Mapped[datetime]
