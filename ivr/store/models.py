"""SQLAlchemy models mapping schema.sql (tests/test_schema.py keeps them in step)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every table."""


class BusinessHours(Base):
    """One opening window of a weekday, Caracas time."""

    __tablename__ = "business_hours"
    __table_args__ = (UniqueConstraint("weekday", "opens", name="uq_business_hours"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[str] = mapped_column(String(5))
    closes: Mapped[str] = mapped_column(String(5))


class Closure(Base):
    """A day, or part of one, when the centre is closed by decision."""

    __tablename__ = "closures"
    __table_args__ = (Index("ix_closures_day", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    starts: Mapped[str | None] = mapped_column(String(5))
    ends: Mapped[str | None] = mapped_column(String(5))
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class EmergencyContact(Base):
    """A phone that takes emergencies out of hours, rung in `position` order."""

    __tablename__ = "emergency_contacts"
    __table_args__ = (
        UniqueConstraint("phone", name="uq_emergency_contacts_phone"),
        UniqueConstraint("position", name="uq_emergency_contacts_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Analyst(Base):
    """A support analyst who takes forwarded calls."""

    __tablename__ = "analysts"
    __table_args__ = (
        UniqueConstraint("phone", name="uq_analysts_phone"),
        Index("ix_analysts_status_idle", "status", "idle_since"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    idle_since: Mapped[datetime] = mapped_column(DateTime)
    lease_call_sid: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    missed_in_row: Mapped[int] = mapped_column(Integer)
    away_notice: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Company(Base):
    """A client company, optionally with a service contract (rule 8)."""

    __tablename__ = "companies"
    __table_args__ = (UniqueConstraint("name_key", name="uq_companies_name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    contract_hours: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Contact(Base):
    """A person of a client company whose phone the line recognises."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("phone", name="uq_contacts_phone"),
        Index("ix_contacts_company", "company_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Case(Base):
    """A support request with its case number (rule 5)."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("number", name="uq_cases_number"),
        UniqueConstraint("origin_call_sid", "origin_seq", name="uq_cases_origin"),
        Index("ix_cases_caller_number", "caller_number", "status"),
        Index("ix_cases_company", "company_id", "created_at"),
        Index("ix_cases_status", "status", "created_at"),
        Index("ix_cases_callback", "callback_state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20))
    severity: Mapped[int | None] = mapped_column(Integer)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    company_name: Mapped[str | None] = mapped_column(String(200))
    caller_name: Mapped[str | None] = mapped_column(String(120))
    caller_position: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(200))
    caller_number: Mapped[str | None] = mapped_column(String(20))
    callback_number: Mapped[str | None] = mapped_column(String(20))
    callback_extension: Mapped[str | None] = mapped_column(String(10))
    origin_call_sid: Mapped[str] = mapped_column(String(64))
    origin_seq: Mapped[int] = mapped_column(Integer)
    out_of_hours: Mapped[bool] = mapped_column(Boolean)
    urgent: Mapped[bool] = mapped_column(Boolean)
    callback_state: Mapped[str] = mapped_column(String(12))
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    assigned_analyst_id: Mapped[int | None] = mapped_column(ForeignKey("analysts.id"))
    visit_at: Mapped[datetime | None] = mapped_column(DateTime)
    visit_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    visit_status: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    notes: Mapped[str | None] = mapped_column(Text)


class Recording(Base):
    """A caller's recording (fault description, name, addendum) and its fate."""

    __tablename__ = "recordings"
    __table_args__ = (
        UniqueConstraint("recording_sid", name="uq_recordings_sid"),
        Index("ix_recordings_case", "case_id"),
        Index("ix_recordings_call", "call_sid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_sid: Mapped[str] = mapped_column(String(64))
    call_sid: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(500))
    duration: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Call(Base):
    """One inbound call, from its first webhook to its final status."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_started", "started_at"),
        Index("ix_calls_case", "case_id"),
    )

    call_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    direction: Mapped[str | None] = mapped_column(String(20))
    from_number: Mapped[str | None] = mapped_column(String(20))
    from_raw: Mapped[str | None] = mapped_column(String(64))
    to_number: Mapped[str | None] = mapped_column(String(64))
    forwarded_from: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    status_seq: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[int | None] = mapped_column(Integer)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    analyst_id: Mapped[int | None] = mapped_column(ForeignKey("analysts.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    webhooks: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(24))
    answered_by: Mapped[str | None] = mapped_column(String(24))
    attempts: Mapped[int] = mapped_column(Integer)
    ring_seconds: Mapped[int] = mapped_column(Integer)
    hunt_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)


class DialAttempt(Base):
    """One leg rung while putting a caller through, and how it ended."""

    __tablename__ = "dial_attempts"
    __table_args__ = (
        UniqueConstraint("call_sid", "seq", name="uq_dial_attempts_seq"),
        Index("ix_dial_attempts_analyst", "analyst_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    analyst_id: Mapped[int | None] = mapped_column(ForeignKey("analysts.id"))
    emergency_contact_id: Mapped[int | None] = mapped_column(ForeignKey("emergency_contacts.id"))
    dial_call_sid: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
