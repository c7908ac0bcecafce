"""schema.sql, the models and the migrations describe one schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
import threading
import time
from datetime import datetime
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import (
    CheckConstraint,
    MetaData,
    UniqueConstraint,
    insert,
    inspect,
    select,
    text,
    types,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from ivr.config import normalise_database_url
from ivr.store import schema
from ivr.store.engine import SCHEMA_FILE, make_engine, sql_statements
from ivr.store.models import Analyst, Base, Call, Case
from ivr.store.schema import (
    UpgradeRefused,
    alembic_config,
    current_revision,
    head_revision,
    init_db,
    upgrade,
)

VERSIONS = schema.MIGRATIONS / "versions"
ASPECTS = ("tables", "columns", "types", "nullable", "primary_keys", "foreign_keys",
           "unique_constraints", "indexes", "check_constraints")
TIME_DEFAULT = re.compile(
    r"\bDEFAULT\s*\(?\s*(CURRENT_TIMESTAMP|CURRENT_DATE|CURRENT_TIME|LOCALTIMESTAMP|LOCALTIME"
    r"|now\s*\(|datetime\s*\(|date\s*\(|strftime\s*\(|statement_timestamp|clock_timestamp"
    r"|transaction_timestamp|timezone\s*\()",
    re.IGNORECASE,
)
NOW = datetime(2026, 12, 7, 16, 0)  # naive UTC, as the application stores times
_STRING = re.compile(r"'((?:[^']|'')*)'")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?![\w.])")
_WORD = re.compile(r"[A-Za-z_]\w*")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def new_database(request, tmp_path_factory):
    """A factory of empty databases of one backend; each call gives a new engine."""
    engines = []

    def make():
        """An engine on a brand new, empty database."""
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('schema') / 'empty.sqlite3'}"
        else:
            url = request.getfixturevalue("make_pg_database")()
        engine = make_engine(normalise_database_url(url))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture(scope="module")
def schema_engine(new_database):
    """A database created from schema.sql by init_db (read only in these tests)."""
    engine = new_database()
    assert init_db(engine) == "created"
    return engine


@pytest.fixture
def scratch_engine(new_database):
    """A fresh empty database that a test may write to."""
    return new_database()


def type_family(type_) -> tuple:
    """A column type reduced to what both databases and the models agree on."""
    if isinstance(type_, postgresql.DOMAIN):  # e.g. blob, a domain over BYTEA
        type_ = type_.data_type
    if isinstance(type_, types.Boolean):
        return ("boolean",)
    if isinstance(type_, types.DateTime):
        return ("datetime", bool(type_.timezone))
    if isinstance(type_, types.Date):
        return ("date",)
    if isinstance(type_, types.Integer):
        return ("integer",)
    if isinstance(type_, types.Numeric):
        return ("numeric", type_.precision, type_.scale)
    if isinstance(type_, types.Text):
        return ("text",)
    # Bytes: BLOB, which SQLite reflects as no type at all; BYTEA on PostgreSQL.
    if isinstance(type_, types.LargeBinary | types.NullType):
        return ("binary",)
    if isinstance(type_, types.String):
        return ("string", type_.length)
    return ("other", repr(type_))


def reflected_snapshot(engine) -> dict:
    """What sqlalchemy.inspect sees in a database, aspect by aspect (Alembic's table aside)."""
    inspector = inspect(engine)
    names = sorted(set(inspector.get_table_names()) - {"alembic_version"})
    snap = {aspect: {} for aspect in ASPECTS}
    snap["tables"] = names
    for name in names:
        columns = inspector.get_columns(name)
        snap["columns"][name] = [c["name"] for c in columns]
        snap["types"][name] = {c["name"]: type_family(c["type"]) for c in columns}
        snap["nullable"][name] = {c["name"]: bool(c["nullable"]) for c in columns}
        snap["primary_keys"][name] = tuple(
            inspector.get_pk_constraint(name)["constrained_columns"])
        snap["foreign_keys"][name] = sorted(
            (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
            for fk in inspector.get_foreign_keys(name))
        snap["unique_constraints"][name] = sorted(
            (uc["name"], tuple(uc["column_names"]))
            for uc in inspector.get_unique_constraints(name))
        snap["indexes"][name] = sorted(
            (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
            for ix in inspector.get_indexes(name)
            if not ix.get("duplicates_constraint"))  # PostgreSQL's index behind a UNIQUE
        snap["check_constraints"][name] = sorted(
            check_shape(ck["name"], ck["sqltext"], snap["columns"][name],
                        validated=not ck.get("dialect_options", {}).get("not_valid"))
            for ck in inspector.get_check_constraints(name))
    return snap


def model_snapshot() -> dict:
    """The same snapshot, read from the models' metadata."""
    tables = Base.metadata.tables
    snap = {aspect: {} for aspect in ASPECTS}
    snap["tables"] = sorted(tables)
    for name, table in tables.items():
        snap["columns"][name] = [c.name for c in table.columns]
        snap["types"][name] = {c.name: type_family(c.type) for c in table.columns}
        snap["nullable"][name] = {c.name: bool(c.nullable) for c in table.columns}
        snap["primary_keys"][name] = tuple(c.name for c in table.primary_key.columns)
        fks = {}
        for constraint in table.foreign_key_constraints:
            fks[constraint] = (tuple(c.name for c in constraint.columns),
                               constraint.elements[0].column.table.name,
                               tuple(e.column.name for e in constraint.elements))
        snap["foreign_keys"][name] = sorted(fks.values())
        snap["unique_constraints"][name] = sorted(
            (c.name, tuple(col.name for col in c.columns)) for c in table.constraints
            if isinstance(c, UniqueConstraint))
        snap["indexes"][name] = sorted(
            (ix.name, tuple(col.name for col in ix.columns), bool(ix.unique))
            for ix in table.indexes)
        snap["check_constraints"][name] = sorted(
            check_shape(c.name, str(c.sqltext), snap["columns"][name]) for c in table.constraints
            if isinstance(c, CheckConstraint))
    return snap


def check_shape(name: str, sqltext: str, columns: list[str], validated: bool = True) -> tuple:
    """A CHECK reduced to what any spelling of it shares: its name, the columns it names, the
    literals it allows, and whether it is validated.

    PostgreSQL gives `((status)::text = ANY ((ARRAY['a'::character varying, …])::text[]))`
    for `status IN ('a', …)`; SQLite gives back the text as written.
    """
    strings = [s.replace("''", "'") for s in _STRING.findall(sqltext)]
    rest = _STRING.sub(" ", sqltext)
    numbers = [int(n) for n in _NUMBER.findall(rest)]
    named = sorted(set(_WORD.findall(rest)) & set(columns))
    return (name, tuple(named), tuple(sorted(strings)), tuple(sorted(numbers)), validated)


def full_snapshot(engine) -> dict:
    """Everything inspection reports, raw types and defaults included, for exact comparisons."""
    inspector = inspect(engine)
    snap = reflected_snapshot(engine)
    snap["raw"] = {
        name: [(c["name"], repr(c["type"]), c.get("default"), c.get("identity"),
                c.get("autoincrement")) for c in inspector.get_columns(name)]
        for name in snap["tables"]
    }
    # The conditions as the database gives them back, spelling included (one dialect at a time).
    snap["raw_checks"] = {
        name: sorted((ck["name"], " ".join(ck["sqltext"].split()), repr(ck.get("dialect_options")))
                     for ck in inspector.get_check_constraints(name))
        for name in snap["tables"]
    }
    return snap


def row_count(engine, table: str) -> int:
    """Rows in a table."""
    with engine.connect() as conn:
        return conn.scalar(text(f"SELECT count(*) FROM {table}"))


@pytest.mark.parametrize("aspect", ASPECTS)
def test_models_match_schema_sql(schema_engine, aspect):
    """Models and a database made from schema.sql agree on each aspect of every table."""
    assert reflected_snapshot(schema_engine)[aspect] == model_snapshot()[aspect]


def test_metadata_creates_what_schema_sql_creates(schema_engine, scratch_engine):
    """A database made by the tables' metadata (create_all) and one made from schema.sql agree
    on every aspect, CHECKs included (only the spelling of types and keys may differ)."""
    Base.metadata.create_all(scratch_engine)
    assert reflected_snapshot(scratch_engine) == reflected_snapshot(schema_engine)


def test_snapshot_sees_every_kind_of_object():
    """The comparison is not vacuous: the models hold each kind of object it compares."""
    snap = model_snapshot()
    assert len(snap["tables"]) >= 10
    for aspect in ("foreign_keys", "unique_constraints", "indexes", "check_constraints"):
        assert any(snap[aspect].values()), aspect
    families = {f[0] for table in snap["types"].values() for f in table.values()}
    assert {"integer", "string", "boolean", "datetime", "date", "numeric"} <= families
    assert ("numeric", 12, 2) in snap["types"]["cases"].values()
    assert snap["primary_keys"]["calls"] == ("call_sid",)
    checks = [c for table in snap["check_constraints"].values() for c in table]
    assert len(checks) == 21
    assert ("ck_cases_severity", ("severity",), (), (1, 2, 3), True) in checks
    assert all(len(c[1]) == 1 and (c[2] or c[3]) for c in checks)


def test_migrations_step_by_step_equal_schema_sql(schema_engine, scratch_engine):
    """An empty database upgraded one revision at a time ends equal to one from schema.sql."""
    revisions = migration_chain()
    for revision in revisions:
        upgrade(scratch_engine, revision)
        assert current_revision(scratch_engine) == revision
    assert revisions[-1] == head_revision()
    assert full_snapshot(scratch_engine) == full_snapshot(schema_engine)
    assert current_revision(schema_engine) == head_revision()


def migration_chain() -> list[str]:
    """The revision ids from the first to the head, following down_revision links."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(schema.MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, "migrations must form one line"
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_migrations_are_numbered_sql_revisions():
    """Revisions are 0001, 0002, … along the chain with no gap, each with its SQL file."""
    chain = migration_chain()
    assert chain == [f"{n:04d}" for n in range(1, len(chain) + 1)], chain
    for revision in chain:
        sql_files = list(VERSIONS.glob(f"{revision}_*.sql"))
        assert len(sql_files) == 1, revision
        assert sql_statements(sql_files[0].read_text(encoding="utf-8"), "sqlite")


def test_init_db_creates_then_is_up_to_date(scratch_engine):
    """init_db creates an empty database at the head revision; a second run changes nothing."""
    assert init_db(scratch_engine) == "created"
    assert current_revision(scratch_engine) == head_revision()
    before = full_snapshot(scratch_engine)
    with scratch_engine.begin() as conn:
        conn.execute(insert(Analyst).values(
            name="Uno", phone="+15005550101", status="available", idle_since=NOW,
            missed_in_row=0, away_notice=False, created_at=NOW))
    assert init_db(scratch_engine) == "up to date"
    assert full_snapshot(scratch_engine) == before
    assert row_count(scratch_engine, "analysts") == 1


def test_init_db_on_migrated_database_is_up_to_date(scratch_engine):
    """A database built by the migrations is already current for init_db."""
    upgrade(scratch_engine, "head")
    assert init_db(scratch_engine) == "up to date"
    assert current_revision(scratch_engine) == head_revision()


def test_init_db_upgrades_an_older_database(scratch_engine, tmp_path, monkeypatch):
    """A database at an older revision is upgraded in place, its rows kept, and says so."""
    # The newer revision is a probe added in a copy of the tree.
    tree = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, tree, ignore=shutil.ignore_patterns("__pycache__"))
    old_head = head_revision()
    (tree / "versions" / "9999_probe.py").write_text(
        '"""A probe revision."""\n'
        "from alembic import op\n\n"
        f'revision = "9999"\ndown_revision = "{old_head}"\n'
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade():\n"
        '    """Add a column."""\n'
        '    op.execute("ALTER TABLE analysts ADD COLUMN probe INTEGER")\n',
        encoding="utf-8",
    )
    assert init_db(scratch_engine) == "created"
    with scratch_engine.begin() as conn:
        conn.execute(insert(Analyst).values(
            name="Uno", phone="+15005550101", status="available", idle_since=NOW,
            missed_in_row=0, away_notice=False, created_at=NOW))
    monkeypatch.setattr(schema, "MIGRATIONS", tree)
    assert head_revision() == "9999"
    assert init_db(scratch_engine) == "upgraded"
    assert current_revision(scratch_engine) == "9999"
    assert "probe" in {c["name"] for c in inspect(scratch_engine).get_columns("analysts")}
    assert row_count(scratch_engine, "analysts") == 1
    assert init_db(scratch_engine) == "up to date"


def test_no_database_side_defaults(schema_engine):
    """No column has a server default: the application's clock is the only clock."""
    inspector = inspect(schema_engine)
    defaults = {
        (table, c["name"]): c["default"]
        for table in inspector.get_table_names() if table != "alembic_version"
        for c in inspector.get_columns(table) if c.get("default") is not None
    }
    assert defaults == {}


@pytest.mark.parametrize(
    "path", [SCHEMA_FILE, *sorted(VERSIONS.glob("*.sql"))], ids=lambda p: p.name)
def test_sql_files_have_no_time_defaults(path):
    """schema.sql and the migrations set no DEFAULT from the database's clock."""
    content = path.read_text(encoding="utf-8")
    for dialect in ("sqlite", "postgresql"):
        for statement in sql_statements(content, dialect):
            assert not TIME_DEFAULT.search(statement), statement


@pytest.mark.parametrize("statement", [
    "CREATE TABLE t (at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    "CREATE TABLE t (at TIMESTAMP DEFAULT now())",
    "CREATE TABLE t (at TEXT DEFAULT (datetime('now')))",
])
def test_time_default_pattern_catches_defaults(statement):
    """The pattern used above does recognise the usual ways of writing a time default."""
    assert TIME_DEFAULT.search(statement)


@pytest.mark.parametrize(("model", "values"), [
    (Case, {"number": "1234567", "status": "received", "origin_call_sid": "CA1", "origin_seq": 1,
            "out_of_hours": False, "urgent": False, "callback_state": "none",
            "updated_at": NOW}),
    (Call, {"call_sid": "CA1", "status": "ringing", "webhooks": 1, "attempts": 0,
            "ring_seconds": 0, "updated_at": NOW}),
])
def test_rows_without_a_time_are_refused(scratch_engine, model, values):
    """A case or call inserted without its creation time fails: NOT NULL and no default."""
    init_db(scratch_engine)
    with pytest.raises(IntegrityError), scratch_engine.begin() as conn:
        conn.execute(insert(model).values(**values))
    time_column = "created_at" if model is Case else "started_at"
    with scratch_engine.begin() as conn:
        conn.execute(insert(model).values(**values, **{time_column: NOW}))
        assert conn.scalar(select(getattr(model, time_column))) == NOW


def test_ids_are_generated(scratch_engine):
    """Rows inserted without an id get 1, 2, … on both databases (identity on PostgreSQL)."""
    init_db(scratch_engine)
    with scratch_engine.begin() as conn:
        for n in (1, 2):
            conn.execute(text(
                "INSERT INTO analysts (name, phone, status, idle_since, missed_in_row,"
                " away_notice, created_at) VALUES (:name, :phone, 'unavailable', :now, 0,"
                " false, :now)"), {"name": f"A{n}", "phone": f"+1500555010{n}", "now": NOW})
    with scratch_engine.connect() as conn:
        rows = conn.execute(text("SELECT id, name FROM analysts ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, "A1"), (2, "A2")]


def test_sqlite_connection_pragmas(tmp_path):
    """Every SQLite connection runs in WAL with foreign keys on and a busy timeout ≤ 1 s."""
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")
    try:
        for _ in range(2):  # a second pooled or new connection is set up the same way
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert 0 < conn.exec_driver_sql("PRAGMA busy_timeout").scalar() <= 1000
            engine.dispose()
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(scratch_engine):
    """A contact of a company that does not exist is refused on both databases."""
    init_db(scratch_engine)
    with pytest.raises(IntegrityError), scratch_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO contacts (company_id, name, phone, created_at)"
            " VALUES (999, 'Nadie', '+15005550201', :now)"), {"now": NOW})
    assert row_count(scratch_engine, "contacts") == 0


# CHECK constraints: each refuses what its column must not hold, on both databases.

CHECKS = sorted(
    ((table.name, c) for table in Base.metadata.sorted_tables for c in table.constraints
     if isinstance(c, CheckConstraint)), key=lambda tc: tc[1].name)


def minimal_row(table: str, n: int, **changes) -> dict:
    """A valid row of a table with a CHECK, made unique by n (no parent rows needed), with
    `changes` applied."""
    rows = {
        "analysts": {"name": f"A{n}", "phone": f"+1500555{n:04d}", "status": "available",
                     "idle_since": NOW, "missed_in_row": 0, "away_notice": False,
                     "created_at": NOW},
        "cases": {"number": f"{n:07d}", "status": "received", "origin_call_sid": f"CA{n}",
                  "origin_seq": 1, "out_of_hours": False, "urgent": False,
                  "callback_state": "pending", "created_at": NOW, "updated_at": NOW},
        "recordings": {"recording_sid": f"RE{n}", "call_sid": f"CA{n}", "kind": "description",
                       "status": "completed", "created_at": NOW, "updated_at": NOW},
        "calls": {"call_sid": f"CA{n}", "status": "completed", "webhooks": 1, "attempts": 0,
                  "ring_seconds": 0, "started_at": NOW, "updated_at": NOW},
        "dial_attempts": {"call_sid": f"CA{n}", "seq": 1, "outcome": "accepted",
                          "started_at": NOW},
        "guesses": {"kind": "case", "call_sid": f"CA{n}", "created_at": NOW},
        # Its case is the one PARENTS inserts first.
        "callback_attempts": {"case_id": 1, "outcome": "spoke", "created_at": NOW},
        "users": {"email": f"u{n}@example.com", "name": f"U{n}", "role": "analyst",
                  "password_hash": "x", "created_at": NOW},
        "alerts": {"case_id": n, "status": "alerting", "round_no": 1, "step": 0,
                   "next_step_at": NOW, "created_at": NOW, "updated_at": NOW},
        "outbox": {"kind": "call", "payload": "{}", "status": "pending", "attempts": 0,
                   "next_attempt_at": NOW, "created_at": NOW, "updated_at": NOW},
        # Its case, user and analyst are the ones PARENTS inserts first.
        "callback_calls": {"case_id": 1, "user_id": 1, "analyst_id": 1,
                           "client_number": "+584125550123", "state": "placing",
                           "created_at": NOW},
        "skills": {"name": f"skill {n}", "created_at": NOW},
        # Its case is the one PARENTS inserts first.
        "holds": {"call_sid": f"CA{n}", "case_id": 1, "contract": False, "state": "waiting",
                  "waiting_since": NOW, "offers": 0, "created_at": NOW},
        "mails": {"message_id": f"<m{n}@example.com>", "sender": "a@example.com",
                  "reply_to": "a@example.com", "subject": "s", "body": "b",
                  "outcome": "case", "answered": False, "received_at": NOW},
    }
    return {**rows[table], **changes}


# Rows a table's minimal rows refer to, inserted first where a test stores rows for good.
PARENTS = {"callback_attempts": [("cases", {"id": 1, **minimal_row("cases", 9999)})],
           "holds": [("cases", {"id": 1, **minimal_row("cases", 9999)})],
           "callback_calls": [("cases", {"id": 1, **minimal_row("cases", 9999)}),
                              ("users", {"id": 1, **minimal_row("users", 9999)}),
                              ("analysts", {"id": 1, **minimal_row("analysts", 9999)})],
           # One case per alert (an alert per case), as many as the CHECK's words.
           "alerts": [("cases", {"id": n, **minimal_row("cases", 9990 + n)}) for n in (1, 2, 3)]}


def allowed_values(constraint: CheckConstraint) -> tuple:
    """The literals a CHECK allows, read back from its condition."""
    table = constraint.table
    shape = check_shape(constraint.name, str(constraint.sqltext), [c.name for c in table.c])
    return shape[2] or shape[3]


@pytest.fixture(scope="module")
def check_engine(new_database):
    """A database from schema.sql whose tests roll back every row they write."""
    engine = new_database()
    init_db(engine)
    return engine


def test_every_check_is_exercised():
    """The CHECK tests below cover every CHECK of the schema, and each one names its column."""
    assert {c.name for _t, c in CHECKS} == {
        "ck_analysts_status", "ck_cases_status", "ck_cases_severity", "ck_cases_callback_state",
        "ck_cases_visit_status", "ck_recordings_status", "ck_calls_status", "ck_calls_outcome",
        "ck_dial_attempts_outcome", "ck_guesses_kind", "ck_callback_attempts_outcome",
        "ck_users_role", "ck_outbox_status", "ck_callback_calls_state",
        "ck_callback_calls_outcome", "ck_cases_area", "ck_calls_satisfaction",
        "ck_mails_outcome", "ck_alerts_status", "ck_skills_area", "ck_holds_state"}
    for table, constraint in CHECKS:
        assert constraint.name.startswith(f"ck_{table}_")
        assert minimal_row(table, 1)


@pytest.mark.parametrize(("table", "constraint"), CHECKS, ids=[c.name for _t, c in CHECKS])
def test_check_refuses_a_word_outside_its_set(check_engine, table, constraint):
    """Each CHECK refuses a made-up word (or severity), and a known word in the wrong case."""
    column = constraint.name[len(f"ck_{table}_"):]
    allowed = allowed_values(constraint)
    bad = [0, max(allowed) + 1, -1] if isinstance(allowed[0], int) else \
        ["bogus", allowed[0].upper(), ""]
    model = Base.metadata.tables[table]
    for n, value in enumerate(bad, start=1):
        with pytest.raises(IntegrityError, match=rf"(?i){constraint.name}|CHECK constraint"), \
                check_engine.begin() as conn:
            conn.execute(insert(model).values(minimal_row(table, n, **{column: value})))
    assert row_count(check_engine, table) == 0


@pytest.mark.parametrize(("table", "constraint"), CHECKS, ids=[c.name for _t, c in CHECKS])
def test_check_accepts_its_whole_set(check_engine, table, constraint):
    """Each CHECK takes every value of its set, and NULL where the column allows NULL."""
    column_name = constraint.name[len(f"ck_{table}_"):]
    model = Base.metadata.tables[table]
    values = list(allowed_values(constraint))
    if model.c[column_name].nullable:
        values.append(None)
    with check_engine.connect() as conn:
        conn.begin()
        for parent, row in PARENTS.get(table, ()):
            conn.execute(insert(Base.metadata.tables[parent]).values(row))
        for n, value in enumerate(values, start=1):
            conn.execute(insert(model).values(minimal_row(table, n, **{column_name: value})))
        stored = conn.scalars(select(model.c[column_name])).all()
        conn.rollback()
    assert sorted(stored, key=repr) == sorted(values, key=repr)


# The migration that adds them: refuses bad rows with a message, keeps good ones.

def at_revision_0002(engine):
    """The engine's empty database migrated to revision 0002 (before the CHECKs)."""
    upgrade(engine, "0002")
    assert current_revision(engine) == "0002"
    return engine


def table_rows(engine, like: dict | None = None) -> dict:
    """Every row of every table as the database has it now, in primary-key order: {table:
    (columns, rows)}. With `like` (an earlier result), only its tables and columns, so that a
    database upgraded since compares equal when the rows that were there are unchanged."""
    reflected = MetaData()
    reflected.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for name, table in reflected.tables.items():
            if name == "alembic_version" or (like is not None and name not in like):
                continue
            columns = [c for c in table.c if like is None or c.name in like[name][0]]
            out[name] = ([c.name for c in columns], [tuple(r) for r in conn.execute(
                select(*columns).order_by(*table.primary_key.columns))])
    return out


def test_upgrade_from_0002_keeps_every_row(scratch_engine, schema_engine):
    """A 0002 database with rows in every table ends equal to schema.sql, rows unchanged."""
    engine = at_revision_0002(scratch_engine)
    tables = Base.metadata.tables
    with engine.begin() as conn:
        conn.execute(insert(tables["business_hours"]).values(weekday=0, opens="08:00",
                                                             closes="17:00"))
        conn.execute(insert(tables["closures"]).values(
            day=NOW.date(), reason="Feriado", created_at=NOW))
        conn.execute(insert(tables["emergency_contacts"]).values(
            name="Guardia", phone="+584145550001", position=1, active=True, created_at=NOW))
        for n, status in enumerate(("available", "unavailable", "away"), start=1):
            conn.execute(insert(tables["analysts"]).values(
                **minimal_row("analysts", n, status=status)))
        conn.execute(insert(tables["companies"]).values(
            id=7, name="Farmacia Uno", name_key="farmacia uno", contract_hours=4,
            created_at=NOW))
        conn.execute(insert(tables["contacts"]).values(
            company_id=7, name="Ana", phone="+582125550001", created_at=NOW))
        for n, (status, severity, visit) in enumerate(
                [("incomplete", None, None), ("visit_scheduled", 1, "confirmed"),
                 ("resolved", 3, "done")], start=1):
            conn.execute(insert(tables["cases"]).values(
                **minimal_row(
                    "cases", n, status=status, severity=severity, visit_status=visit,
                    visit_at=NOW if visit else None,
                    visit_cost=Decimal("120.50") if visit else None, company_id=7,
                    contact_id=1, assigned_analyst_id=n, notes=f"nota {n}",
                    callback_state="done" if status == "resolved" else "pending")))
            conn.execute(insert(tables["calls"]).values(
                **minimal_row("calls", n), case_id=n, analyst_id=n, contact_id=1,
                outcome=("answered", "callback", None)[n - 1]))
            conn.execute(insert(tables["recordings"]).values(
                **minimal_row("recordings", n), case_id=n))
            conn.execute(insert(tables["dial_attempts"]).values(
                **minimal_row("dial_attempts", n), case_id=n, analyst_id=n,
                emergency_contact_id=1 if n == 3 else None))
    before = table_rows(engine)
    assert all(rows for _columns, rows in before.values())

    assert init_db(engine) == "upgraded"

    assert current_revision(engine) == head_revision()
    assert table_rows(engine, like=before) == before
    assert full_snapshot(engine) == full_snapshot(schema_engine)
    with engine.begin() as conn:  # ids go on after the kept rows; foreign keys still hold
        new_id = conn.execute(insert(tables["analysts"]).values(**minimal_row("analysts", 9))
                              .returning(tables["analysts"].c.id)).scalar()
        assert new_id == 4
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(tables["calls"]).values(**minimal_row("calls", 9), case_id=999))
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_upgrade_refuses_rows_a_check_would_refuse(scratch_engine):
    """Rows with unknown words stop the upgrade at 0002, with table, column, count, values;
    once corrected, the upgrade goes through and keeps them."""
    engine = at_revision_0002(scratch_engine)
    tables = Base.metadata.tables
    with engine.begin() as conn:
        conn.execute(insert(tables["analysts"]).values(
            **minimal_row("analysts", 1, status="busy")))
        for n, status in enumerate(("closed", "open", "closed", "received"), start=1):
            conn.execute(insert(tables["cases"]).values(
                **minimal_row("cases", n, status=status, severity=5 if n == 4 else None)))
    with pytest.raises(UpgradeRefused) as refused:
        upgrade(engine)
    message = str(refused.value)
    assert "upgrade to revision 0003 refused" in message and "nothing was changed" in message
    assert "analysts.status: 1 row with 'busy' (1 row); ck_analysts_status allows status IN " \
           "('available', 'unavailable', 'away')" in message
    assert "cases.status: 3 rows with 'closed' (2 rows), 'open' (1 row);" in message
    assert "cases.severity: 1 row with 5 (1 row); ck_cases_severity allows severity IN " \
           "(1, 2, 3)" in message
    assert "callback_state" not in message and "calls." not in message
    assert "flask --app wsgi init-db" in message
    assert current_revision(engine) == "0002"
    assert not any(inspect(engine).get_check_constraints(t) for t in ("analysts", "cases"))
    assert row_count(engine, "cases") == 4

    with engine.begin() as conn:
        conn.execute(text("UPDATE analysts SET status = 'unavailable' WHERE status = 'busy'"))
        conn.execute(text(
            "UPDATE cases SET status = 'received' WHERE status IN ('closed', 'open')"))
        conn.execute(text("UPDATE cases SET severity = 1 WHERE severity = 5"))
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert row_count(engine, "cases") == 4


@pytest.fixture
def sqlite_engine(tmp_path):
    """An empty SQLite database (for what only SQLite does)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'only.sqlite3'}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(make_pg_database):
    """An empty PostgreSQL database (for what only PostgreSQL does)."""
    engine = make_engine(normalise_database_url(make_pg_database()))
    yield engine
    engine.dispose()


def test_upgrade_on_sqlite_needs_foreign_keys_off(sqlite_engine):
    """Run by hand on a connection with foreign keys on, the SQLite rebuild refuses, saying how
    to upgrade instead (ivr.store.schema.upgrade switches them off)."""
    engine = at_revision_0002(sqlite_engine)
    with pytest.raises(UpgradeRefused, match="foreign keys off.*flask --app wsgi init-db"), \
            engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    assert current_revision(engine) == "0002"


def test_upgrade_on_postgresql_reports_rows_written_during_it(pg_engine):
    """A bad row committed after the count but before ADD CONSTRAINT … NOT VALID fails the
    VALIDATE step: the upgrade stops with the same message, the constraints stay NOT VALID,
    and a second run after the correction validates them. (On SQLite the count and the
    rebuild share one write transaction: nothing can come in between.)"""
    engine = at_revision_0002(pg_engine)
    writer = engine.connect()
    writer.begin()
    writer.execute(insert(Base.metadata.tables["cases"]).values(
        **minimal_row("cases", 1, status="closed")))  # not committed: not counted
    outcome = {}

    def run():
        """The upgrade, as a second server would run it."""
        try:
            upgrade(engine)
        except Exception as error:  # noqa: BLE001 - the test looks at it
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    try:
        wait_for_lock_wait(engine, "ALTER TABLE cases")
    finally:
        writer.commit()  # the ALTER gets its lock and the migration goes on
        writer.close()
        thread.join(timeout=60)
    error = outcome.get("error")
    assert isinstance(error, UpgradeRefused), error
    assert "cases.status: 1 row with 'closed' (1 row)" in str(error)
    assert "NOT VALID" in str(error)
    assert current_revision(engine) == "0002"
    cases_checks = {ck["name"]: ck.get("dialect_options", {}).get("not_valid", False)
                    for ck in inspect(engine).get_check_constraints("cases")}
    assert cases_checks["ck_cases_status"] is True

    with engine.begin() as conn:
        conn.execute(text("UPDATE cases SET status = 'received'"))
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert reflected_snapshot(engine)["check_constraints"] == model_snapshot()["check_constraints"]


def wait_for_lock_wait(engine, query_start: str, timeout: float = 20) -> None:
    """Wait until a session of this database waits for a lock in a statement so starting."""
    deadline = time.monotonic() + timeout
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE :start"),
                {"start": query_start + "%"}).scalar()
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError(f"no session waited for a lock in {query_start!r}")
