"""Tests for ivr.domain.statuses: the closed sets of words, and the SQL made from them."""

from __future__ import annotations

import ast
import importlib
from enum import Enum
from pathlib import Path

import pytest

from ivr.domain import statuses
from ivr.domain.statuses import (
    ANALYST_STATUSES,
    CALL_OUTCOMES,
    CALL_STATUS_RANK,
    CALL_STATUSES,
    CALLBACK_STATES,
    CASE_STATUSES,
    DIAL_OUTCOMES,
    FINAL_CALL_STATUSES,
    MISSED_DIAL_OUTCOMES,
    NOT_TAKEN_DIAL_OUTCOMES,
    OPEN_CASE_STATUSES,
    RECORDING_FINAL,
    RECORDING_KINDS,
    RECORDING_STATUSES,
    SEVERITIES,
    USER_ROLES,
    VISIT_STATUSES,
    VISIT_STATUSES_TOLD,
    CaseStatus,
    DialOutcome,
    RecordingStatus,
    Severity,
    check_in,
    sql_in,
    sql_literal,
)

SETS = {
    "CASE_STATUSES": CASE_STATUSES, "CALLBACK_STATES": CALLBACK_STATES,
    "SEVERITIES": SEVERITIES, "VISIT_STATUSES": VISIT_STATUSES,
    "ANALYST_STATUSES": ANALYST_STATUSES, "RECORDING_STATUSES": RECORDING_STATUSES,
    "RECORDING_KINDS": RECORDING_KINDS, "CALL_STATUSES": CALL_STATUSES,
    "CALL_OUTCOMES": CALL_OUTCOMES, "DIAL_OUTCOMES": DIAL_OUTCOMES,
    "USER_ROLES": USER_ROLES,
}


def test_module_imports_neither_flask_nor_sql():
    """A domain module: no Flask, no SQLAlchemy, no driver (rule 15)."""
    tree = ast.parse(Path(statuses.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "collections", "enum"}, imported


@pytest.mark.parametrize("name", SETS)
def test_sets_are_whole_enums_of_distinct_plain_values(name):
    """Each set is every member of one enum, in order; members equal and hash as their values."""
    values = SETS[name]
    assert values and len(set(values)) == len(values)
    enum_type = type(values[0])
    assert issubclass(enum_type, Enum) and values == tuple(enum_type)
    for member in values:
        plain = member.value
        assert member == plain and hash(member) == hash(plain) and plain in set(values)
        assert f"{member}" == str(plain)
        if isinstance(plain, str):
            assert plain == plain.strip() and plain.lower() == plain and "'" not in plain


def test_subsets_keep_to_their_sets():
    """Open cases, final recordings and calls, missed legs: subsets as the rules describe."""
    assert tuple(s for s in CASE_STATUSES if s != "resolved") == OPEN_CASE_STATUSES
    assert set(RECORDING_FINAL) == set(RECORDING_STATUSES) - {RecordingStatus.IN_PROGRESS}
    assert VISIT_STATUSES_TOLD == (None, "proposed", "confirmed")
    assert set(CALL_STATUS_RANK) == set(CALL_STATUSES)
    assert {"completed", "busy", "failed", "no-answer", "canceled"} == FINAL_CALL_STATUSES
    assert max(CALL_STATUS_RANK.values()) == 4 and CALL_STATUS_RANK["ringing"] == 2
    assert MISSED_DIAL_OUTCOMES < NOT_TAKEN_DIAL_OUTCOMES < set(DIAL_OUTCOMES)
    assert DialOutcome.ACCEPTED not in NOT_TAKEN_DIAL_OUTCOMES
    assert DialOutcome.RINGING not in NOT_TAKEN_DIAL_OUTCOMES
    assert [int(s) for s in SEVERITIES] == [1, 2, 3] and Severity.STOPPED == 1


@pytest.mark.parametrize(("module", "name", "ours"), [
    ("ivr.services.cases", "STATUSES", CASE_STATUSES),
    ("ivr.services.cases", "OPEN_STATUSES", OPEN_CASE_STATUSES),
    ("ivr.services.cases", "RECORDING_FINAL", RECORDING_FINAL),
    ("ivr.services.cases", "VISIT_STATUSES", VISIT_STATUSES),
    ("ivr.services.cases", "VISIT_STATUSES_TOLD", VISIT_STATUSES_TOLD),
    ("ivr.services.directory", "ANALYST_STATUSES", ANALYST_STATUSES),
    ("ivr.services.calls", "STATUS_RANK", CALL_STATUS_RANK),
    ("ivr.services.calls", "FINAL_STATUSES", FINAL_CALL_STATUSES),
    ("ivr.services.routing", "MISSED_OUTCOMES", MISSED_DIAL_OUTCOMES),
    ("ivr.services.routing", "NOT_TAKEN", NOT_TAKEN_DIAL_OUTCOMES),
])
def test_copies_left_in_the_services_agree(module, name, ours):
    """Where a service still holds its own copy of a set, it says the same as this module
    (until the services import these definitions; then there is no copy to compare)."""
    copy = getattr(importlib.import_module(module), name, None)
    if isinstance(copy, dict):
        assert copy == ours
    elif isinstance(copy, tuple | list):
        assert tuple(copy) == tuple(ours)
    elif copy is not None:
        assert set(copy) == set(ours)


@pytest.mark.parametrize(("value", "literal"), [
    ("done", "'done'"),
    ("it's", "'it''s'"),
    ("", "''"),
    (CaseStatus.IN_PROGRESS, "'in_progress'"),
    (RecordingStatus.IN_PROGRESS, "'in-progress'"),
    (3, "3"),
    (-1, "-1"),
    (Severity.QUESTION, "3"),
])
def test_sql_literal(value, literal):
    """Strings are quoted with quotes doubled; integers and IntEnums are bare numbers."""
    assert sql_literal(value) == literal


@pytest.mark.parametrize("value", [None, True, 1.5, b"x", object()])
def test_sql_literal_refuses_other_types(value):
    """Nothing but str and int becomes a literal (True would be 1, None is not a value)."""
    with pytest.raises(TypeError, match="only strings and integers"):
        sql_literal(value)


def test_sql_in_and_check_in():
    """An IN list and the CHECK condition built from it, for words and severities."""
    assert sql_in(["a", "b"]) == "('a', 'b')"
    assert sql_in(SEVERITIES) == "(1, 2, 3)"
    assert check_in("status", ANALYST_STATUSES) == \
        "status IN ('available', 'unavailable', 'away')"
    assert check_in("severity", SEVERITIES) == "severity IN (1, 2, 3)"


@pytest.mark.parametrize(("values", "message"), [
    ([], "at least one value"),
    (VISIT_STATUSES_TOLD, "NULL in an IN list matches nothing"),
])
def test_sql_in_refuses_empty_lists_and_null(values, message):
    """An empty IN () is invalid SQL; NULL in an IN list silently matches nothing."""
    with pytest.raises(ValueError, match=message):
        sql_in(values)


@pytest.mark.parametrize("column", ["status; DROP TABLE cases", "a b", "", "1st"])
def test_check_in_refuses_anything_but_a_column_name(column):
    """The column name goes into DDL as is: only plain identifiers are taken."""
    with pytest.raises(ValueError, match="not a plain column name"):
        check_in(column, ["x"])
