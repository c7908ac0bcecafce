"""schema.sql, the models and the migrations describe one schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
from datetime import datetime

import pytest
from sqlalchemy import UniqueConstraint, insert, inspect, select, text, types
from sqlalchemy.exc import IntegrityError

from ivr.config import normalise_database_url
from ivr.store import schema
from ivr.store.engine import SCHEMA_FILE, make_engine, sql_statements
from ivr.store.models import Analyst, Base, Call, Case
from ivr.store.schema import current_revision, head_revision, init_db, upgrade

VERSIONS = schema.MIGRATIONS / "versions"
ASPECTS = ("tables", "columns", "types", "nullable", "primary_keys", "foreign_keys",
           "unique_constraints", "indexes")
TIME_DEFAULT = re.compile(
    r"\bDEFAULT\s*\(?\s*(CURRENT_TIMESTAMP|CURRENT_DATE|CURRENT_TIME|LOCALTIMESTAMP|LOCALTIME"
    r"|now\s*\(|datetime\s*\(|date\s*\(|strftime\s*\(|statement_timestamp|clock_timestamp"
    r"|transaction_timestamp|timezone\s*\()",
    re.IGNORECASE,
)
NOW = datetime(2026, 12, 7, 16, 0)  # naive UTC, as the application stores times


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
    return snap


def full_snapshot(engine) -> dict:
    """Everything inspection reports, raw types and defaults included, for exact comparisons."""
    inspector = inspect(engine)
    snap = reflected_snapshot(engine)
    snap["raw"] = {
        name: [(c["name"], repr(c["type"]), c.get("default"), c.get("identity"),
                c.get("autoincrement")) for c in inspector.get_columns(name)]
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


def test_snapshot_sees_every_kind_of_object():
    """The comparison is not vacuous: the models hold each kind of object it compares."""
    snap = model_snapshot()
    assert len(snap["tables"]) >= 10
    for aspect in ("foreign_keys", "unique_constraints", "indexes"):
        assert any(snap[aspect].values()), aspect
    families = {f[0] for table in snap["types"].values() for f in table.values()}
    assert {"integer", "string", "boolean", "datetime", "date", "numeric"} <= families
    assert ("numeric", 12, 2) in snap["types"]["cases"].values()
    assert snap["primary_keys"]["calls"] == ("call_sid",)


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
    """Revisions are 0001, 0002, … in order, each with its SQL file."""
    chain = migration_chain()
    assert chain == [f"{n:04d}" for n in range(1, len(chain) + 1)]
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
    # Only one real revision exists, so the newer one is a probe added in a copy of the tree.
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
