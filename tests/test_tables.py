"""Tests for ivr.store.tables: the schema in code, and what it tells a raw DB-API layer."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Numeric,
    String,
    bindparam,
    insert,
    select,
    text,
)

from ivr.config import normalise_database_url
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
    OPEN_CASE_STATUSES,
    OUTBOX_STATUSES,
    RECORDING_STATUSES,
    SATISFACTION_SCORES,
    SEVERITIES,
    USER_ROLES,
    VISIT_STATUSES,
    CaseStatus,
    Severity,
    check_in,
)
from ivr.store import models, tables
from ivr.store.engine import make_engine
from ivr.store.schema import init_db

NOW = datetime(2026, 12, 7, 16, 0)  # naive UTC
CHECKED = {
    ("analysts", "status"): ANALYST_STATUSES,
    ("cases", "status"): CASE_STATUSES,
    ("cases", "severity"): SEVERITIES,
    ("cases", "callback_state"): CALLBACK_STATES,
    ("cases", "visit_status"): VISIT_STATUSES,
    ("recordings", "status"): RECORDING_STATUSES,
    ("calls", "status"): CALL_STATUSES,
    ("calls", "outcome"): CALL_OUTCOMES,
    ("dial_attempts", "outcome"): DIAL_OUTCOMES,
    ("guesses", "kind"): GUESS_KINDS,
    ("callback_attempts", "outcome"): CALLBACK_OUTCOMES,
    ("users", "role"): USER_ROLES,
    ("outbox", "status"): OUTBOX_STATUSES,
    ("callback_calls", "state"): CALLBACK_CALL_STATES,
    ("callback_calls", "outcome"): CALLBACK_OUTCOMES,
    ("cases", "area"): FAULT_AREAS,
    ("calls", "satisfaction"): SATISFACTION_SCORES,
    ("mails", "outcome"): MAIL_OUTCOMES,
    ("alerts", "status"): ALERT_STATUSES,
    ("skills", "area"): FAULT_AREAS,
    ("holds", "state"): HOLD_STATES,
}


def all_columns():
    """Every column of every table."""
    return [c for table in tables.metadata.sorted_tables for c in table.columns]


def test_models_map_onto_the_tables():
    """One schema in code: each model's table is the Core table, on the same metadata."""
    assert models.Base.metadata is tables.metadata
    mapped = {m.class_.__table__.name: m.class_.__table__ for m in models.Base.registry.mappers}
    assert mapped == dict(tables.metadata.tables)
    assert models.Case.__table__ is tables.cases and models.Call.__table__ is tables.calls
    assert models.Case.status.property.columns[0] is tables.cases.c.status


def test_checks_are_built_from_the_statuses():
    """Each checked column's CHECK is exactly `column IN (its set)`, named ck_<table>_<column>."""
    checks = {(t.name, c.name): str(c.sqltext) for t in tables.metadata.sorted_tables
              for c in t.constraints if isinstance(c, CheckConstraint)}
    assert checks == {(table, f"ck_{table}_{column}"): check_in(column, values)
                      for (table, column), values in CHECKED.items()}


@pytest.mark.parametrize(("table", "column"), CHECKED, ids=lambda v: str(v))
def test_checked_values_fit_their_columns(table, column):
    """Every allowed word fits its VARCHAR (PostgreSQL would refuse a longer one)."""
    type_ = tables.metadata.tables[table].c[column].type
    if isinstance(type_, String):
        assert max(len(v) for v in CHECKED[(table, column)]) <= type_.length


def test_conversion_sets_are_derived_from_the_types():
    """The names a DB-API layer converts, from the column types; days included this time."""
    times, days, amounts = tables.TIME_COLUMNS, tables.DATE_COLUMNS, tables.DECIMAL_COLUMNS
    assert times == {"created_at", "updated_at", "due_at", "visit_at", "started_at", "ended_at",
                     "accepted_at", "hunt_started_at", "lease_until", "idle_since",
                     "deactivated_at", "disabled_at", "last_seen",
                     "next_attempt_at", "claimed_at", "dialled_at", "recorded_at",
                     "starts_at", "ends_at", "received_at", "until",
                     "round_started_at", "next_step_at", "taken_at", "notified_at",
                     "warned_at", "overdue_told_at", "waiting_since", "offered_at"}
    assert days == {"day"}
    assert amounts == {"visit_cost"}
    assert all(isinstance(names, frozenset) for names in (times, days, amounts))
    scales = tables.DECIMAL_SCALES
    assert scales == {"visit_cost": 2}


@pytest.mark.parametrize(("names", "kind"), [
    (tables.TIME_COLUMNS, DateTime), (tables.DATE_COLUMNS, Date),
    (tables.DECIMAL_COLUMNS, Numeric)], ids=["time", "date", "decimal"])
def test_a_converted_name_has_one_type_everywhere(names, kind):
    """Conversion goes by column name: a name converted in one table is that type in all."""
    for column in all_columns():
        if column.name in names:
            assert isinstance(column.type, kind), f"{column.table.name}.{column.name}"


def test_primary_keys():
    """Every table has a one-column key: `id`, except calls (its CallSid) and worker leases
    (the job's name)."""
    assert all(len(t.primary_key.columns) == 1 for t in tables.metadata.sorted_tables)
    keys = tables.PRIMARY_KEYS
    named = {"calls": "call_sid", "worker_leases": "name"}
    assert keys == {name: named.get(name, "id") for name in tables.metadata.tables}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A database from schema.sql on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tables.sqlite3'}"
    else:
        url = request.getfixturevalue("make_pg_database")()
    engine = make_engine(normalise_database_url(url))
    init_db(engine)
    yield engine
    engine.dispose()


def test_members_work_as_bind_parameters(engine):
    """Enum members bind as their values on both drivers: as a value, and as an IN list."""
    rows = [{"number": f"{n:07d}", "status": status, "severity": Severity.STOPPED,
             "origin_call_sid": f"CA{n}", "origin_seq": 1, "out_of_hours": False,
             "urgent": False, "callback_state": "pending", "created_at": NOW,
             "updated_at": NOW} for n, status in enumerate(CASE_STATUSES, start=1)]
    with engine.begin() as conn:
        conn.execute(insert(tables.cases), rows)
        open_numbers = conn.scalars(
            select(tables.cases.c.number).where(tables.cases.c.status.in_(OPEN_CASE_STATUSES))
            .order_by(tables.cases.c.number)).all()
        resolved = conn.execute(
            text("SELECT status, severity FROM cases WHERE status = :status")
            .bindparams(bindparam("status", CaseStatus.RESOLVED))).one()
        stored = conn.scalars(select(tables.cases.c.status).order_by(tables.cases.c.id)).all()
    assert open_numbers == [f"{n:07d}" for n in range(1, 6)]
    assert tuple(resolved) == ("resolved", 1)
    assert stored == [s.value for s in CASE_STATUSES]
    assert all(type(s) is str for s in stored)
