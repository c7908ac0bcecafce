"""CHECK constraints on the status columns; rows they would refuse stop the upgrade first.

The constraints are the statements of 0003_status_checks.sql (frozen at this revision, not read
from ivr/domain/statuses.py, which may move on). Before anything changes, one scan per table
counts the rows each constraint would refuse; if there are any, the upgrade stops with
UpgradeRefused naming the table, column, row count and values, and the database stays at 0002.

- PostgreSQL: ADD CONSTRAINT … NOT VALID (a brief lock, no scan), commit, then VALIDATE
  CONSTRAINT outside a transaction block, which scans under a lock that lets reads and writes
  go on. Rows written meanwhile are already checked by the NOT VALID constraint.
- SQLite cannot add a constraint: each table is rebuilt with Alembic's batch mode (create the
  new table, copy the rows, drop the old one, rename, create its indexes again), with foreign
  keys off (ivr/store/schema.py:upgrade switches them) and checked afterwards.
"""

from __future__ import annotations

import re
from itertools import groupby
from pathlib import Path
from typing import NamedTuple

from alembic import op
from sqlalchemy import exc, text
from sqlalchemy.engine import Connection

from ivr.store.engine import sql_statements
from ivr.store.schema import UpgradeRefused

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQL_FILE = Path(__file__).with_suffix(".sql")
_ADD_CHECK = re.compile(
    r"ALTER TABLE (?P<table>\w+) ADD CONSTRAINT (?P<name>\w+)"
    r" CHECK \((?P<condition>(?P<column>\w+) IN \([^()]*\))\)")
# Values shown per column in a refusal; the count covers them all.
SHOWN_VALUES = 10


class Check(NamedTuple):
    """One CHECK constraint to add: `condition` is about `column` of `table`."""

    table: str
    name: str
    column: str
    condition: str


def read_checks() -> list[Check]:
    """The constraints of the SQL file, in its order (a statement of another form is a bug)."""
    checks = []
    for statement in sql_statements(SQL_FILE.read_text(encoding="utf-8"), "postgresql"):
        match = _ADD_CHECK.fullmatch(statement)
        if match is None:
            raise ValueError(f"{SQL_FILE.name}: not an ADD CONSTRAINT … CHECK (… IN (…)): "
                             f"{statement}")
        checks.append(Check(match["table"], match["name"], match["column"], match["condition"]))
    return checks


def upgrade() -> None:
    """Refuse rows the constraints would not allow; then add the constraints."""
    conn = op.get_bind()
    checks = read_checks()
    problems = violations(conn, checks)
    if problems:
        raise UpgradeRefused(refusal(problems))
    if conn.dialect.name == "postgresql":
        add_on_postgresql(conn, checks)
    else:
        rebuild_on_sqlite(conn, checks)


def violations(conn: Connection, checks: list[Check]) -> list[tuple[Check, int, list]]:
    """(check, rows refused, [(value, rows)…]) for each check that some rows would fail."""
    problems = []
    for table, group in groupby(checks, key=lambda c: c.table):
        group = list(group)
        # One scan per table: a CHECK fails where its condition is false (NULL passes).
        counts = conn.execute(text(
            "SELECT " + ", ".join(  # noqa: S608 - names and conditions from our own file
                f"COALESCE(SUM(CASE WHEN NOT ({c.condition}) THEN 1 ELSE 0 END), 0)"
                for c in group) + f" FROM {table}")).one()
        for check, count in zip(group, counts, strict=True):
            if count:
                values = conn.execute(text(
                    f"SELECT {check.column}, COUNT(*) FROM {table}"  # noqa: S608 - our names
                    f" WHERE NOT ({check.condition})"
                    f" GROUP BY {check.column} ORDER BY COUNT(*) DESC, {check.column}"
                    f" LIMIT {SHOWN_VALUES + 1}")).all()
                problems.append((check, int(count), [tuple(v) for v in values]))
    return problems


def refusal(problems: list[tuple[Check, int, list]],
            changed: str = "nothing was changed") -> str:
    """The message of UpgradeRefused: what is wrong, where, and what to do."""
    lines = [f"upgrade to revision {revision} refused: rows hold values that its new CHECK "
             f"constraints do not allow; {changed}."]
    for check, count, values in problems:
        shown = ", ".join(f"{value!r} ({n} row{'s' if n != 1 else ''})"
                          for value, n in values[:SHOWN_VALUES])
        more = " and other values" if len(values) > SHOWN_VALUES else ""
        lines.append(f"  {check.table}.{check.column}: {count} row{'s' if count != 1 else ''}"
                     f" with {shown}{more}; {check.name} allows {check.condition}")
    lines.append("Correct those rows (an UPDATE to an allowed value), then run "
                 "`flask --app wsgi init-db` again.")
    return "\n".join(lines)


def add_on_postgresql(conn: Connection, checks: list[Check]) -> None:
    """ADD … NOT VALID in this migration's transaction, then VALIDATE each, autocommitted."""
    for check in checks:
        # A run stopped during validation left the constraint NOT VALID: add it afresh.
        op.execute(f"ALTER TABLE {check.table} DROP CONSTRAINT IF EXISTS {check.name}")
        op.execute(f"ALTER TABLE {check.table} ADD CONSTRAINT {check.name}"
                   f" CHECK ({check.condition}) NOT VALID")
    with op.get_context().autocommit_block():  # commits the NOT VALID constraints
        for check in checks:
            try:
                op.execute(f"ALTER TABLE {check.table} VALIDATE CONSTRAINT {check.name}")
            except exc.IntegrityError as error:
                # Rows written between the count and the ADD: report them as the count would.
                problems = violations(op.get_bind(), [check])
                raise UpgradeRefused(refusal(
                    problems, f"the constraints stay in place, {check.name} and those after "
                    "it NOT VALID (they check new rows only) until the upgrade runs again",
                )) from error


def rebuild_on_sqlite(conn: Connection, checks: list[Check]) -> None:
    """Rebuild each table with its new constraints, foreign keys off; then check those."""
    if conn.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise UpgradeRefused(
            f"revision {revision} rebuilds tables, which needs SQLite's foreign keys off: "
            "upgrade with `flask --app wsgi init-db` (ivr.store.schema.upgrade), which "
            "switches them off for the upgrade.")
    for table, group in groupby(checks, key=lambda c: c.table):
        with op.batch_alter_table(table, recreate="always") as batch:
            for check in group:
                batch.create_check_constraint(check.name, check.condition)
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise UpgradeRefused(
            f"revision {revision}: {len(broken)} rows reference rows that do not exist "
            f"(in {', '.join(tables)}; PRAGMA foreign_key_check lists them); nothing was "
            "changed.")
