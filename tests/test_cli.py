"""The operators' command line: `flask --app wsgi <command>` on both databases."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select, text

from ivr import create_app
from ivr.services.directory import check_pin
from ivr.store.models import (
    Analyst,
    Base,
    BusinessHours,
    Closure,
    Company,
    Contact,
    EmergencyContact,
)
from ivr.store.schema import current_revision, head_revision
from tests.conftest import TOKEN, orm_session

FILIPPO, BIRMANIA = "+584140143913", "+584140320151"


@pytest.fixture
def empty_app(database_url, make_pg_database, tmp_path):
    """An application on a brand new database with no tables, of the current backend."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    else:
        url = make_pg_database()
    application = create_app({
        "IVR_ENV": "testing", "DATABASE_URL": url, "TWILIO_AUTH_TOKEN": TOKEN,
        "SECRET_KEY": "test-secret", "PUBLIC_BASE_URL": "", "SPOOL_DIR": str(tmp_path / "spool"),
    })
    application.instance_path = str(tmp_path)
    application.extensions["ivr"].schedules.path = str(tmp_path / "schedule-cache.json")
    yield application
    application.extensions["ivr"].engine.dispose()


def invoke(runner, *args, input=None):
    """Run a command, capturing stdout and stderr apart (`input`: what is typed)."""
    return runner.invoke(args=[str(a) for a in args], input=input)


def ok(runner, *args) -> list[str]:
    """Run a command that must succeed; its stdout lines."""
    result = invoke(runner, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stderr == ""
    return result.stdout.splitlines()


def row_counts(app) -> dict[str, int]:
    """Rows in every table, read on a fresh connection."""
    with app.extensions["ivr"].engine.connect() as conn:
        return {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in Base.metadata.tables}


def rows(app, statement):
    """Run a query on a fresh session (no identity-map cache)."""
    with orm_session(app) as s:
        return s.execute(statement).all()


def emergency_order(app) -> list[tuple[int, str, str]]:
    """(position, name, phone) of the emergency contacts, in ringing order."""
    return [tuple(r) for r in rows(app, select(
        EmergencyContact.position, EmergencyContact.name, EmergencyContact.phone)
        .order_by(EmergencyContact.position))]


def listed(lines: list[str]) -> list[tuple[str, str]]:
    """(first field, last field) of each listing line."""
    return [(line.split()[0], line.split()[-1]) for line in lines]


# --- init-db and demo-data -------------------------------------------------------------------


def test_init_db_creates_then_is_up_to_date(empty_app):
    """init-db creates the schema with the opening hours; a second run finds it up to date."""
    runner = empty_app.test_cli_runner()
    assert ok(runner, "init-db") == ["database created"]
    engine = empty_app.extensions["ivr"].engine
    assert current_revision(engine) == head_revision()
    hours = rows(empty_app, select(BusinessHours.weekday, BusinessHours.opens, BusinessHours.closes)
                 .order_by(BusinessHours.weekday, BusinessHours.opens))
    assert [tuple(h) for h in hours] == [
        (day, opens, closes) for day in range(5)
        for opens, closes in (("08:30", "12:00"), ("14:00", "17:30"))]
    before = row_counts(empty_app)
    assert ok(runner, "init-db") == ["database up to date"]
    assert row_counts(empty_app) == before


def test_init_db_on_existing_database(app, runner):
    """On the test database (already created) init-db changes nothing."""
    before = row_counts(app)
    assert ok(runner, "init-db") == ["database up to date"]
    assert row_counts(app) == before


def test_demo_data_is_idempotent(app, runner):
    """demo-data adds the procedure's emergency phones in order, then adds nothing more."""
    first = ok(runner, "demo-data")
    counts = row_counts(app)
    added = sum(counts[t] for t in ("emergency_contacts", "analysts", "companies", "contacts"))
    assert first == [f"demo data: {added} rows added"]
    assert emergency_order(app) == [
        (1, "Filippo Maniscalco", FILIPPO), (2, "Birmania Muñoz", BIRMANIA)]
    assert counts["analysts"] >= 2 and counts["companies"] >= 1 and counts["contacts"] >= 1
    assert ok(runner, "demo-data") == ["demo data: 0 rows added"]
    assert row_counts(app) == counts
    assert listed(ok(runner, "emergency", "list")) == [("1", FILIPPO), ("2", BIRMANIA)]


def test_demo_data_fills_in_what_is_missing(app, runner):
    """With one procedure phone already present, demo-data adds the other after it."""
    ok(runner, "emergency", "add", "Birmania Muñoz", "(0414) 032.01.51")
    ok(runner, "demo-data")
    assert [p for _, _, p in emergency_order(app)] == [BIRMANIA, FILIPPO]
    assert ok(runner, "demo-data") == ["demo data: 0 rows added"]


def test_demo_data_refused_in_production(app, database_url, tmp_path):
    """Issue 13: demo-data in production would give the phone menu public PINs: refused in
    one line, nothing written."""
    before = row_counts(app)
    prod = create_app({
        "IVR_ENV": "production", "DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": TOKEN,
        "SECRET_KEY": "s" * 32, "PUBLIC_BASE_URL": "https://soporte.example.com",
        "SPOOL_DIR": str(tmp_path / "spool")})
    result = invoke(prod.test_cli_runner(), "demo-data")
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: demo-data is for trying the line") and \
        "IVR_ENV=production" in line
    assert row_counts(app) == before
    prod.extensions["ivr"].engine.dispose()


def test_demo_pins_follow_the_pin_rule(app, runner):
    """The demo analysts' PINs are 6 digits, like every new PIN."""
    ok(runner, "demo-data")
    hashes = [r[0] for r in rows(app, select(Analyst.pin_hash).order_by(Analyst.id))]
    assert [check_pin(h, pin) for h, pin in zip(hashes, ("130572", "240683", "350794"),
                                                strict=True)] == [True] * 3


# --- analysts -------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), [
    ("(0414) 014.39.13", FILIPPO),
    ("0414-032.01.51", BIRMANIA),
    ("+58 212 471 3239", "+582124713239"),
    ("04125550123", "+584125550123"),
])
def test_analysts_add_stores_e164(app, runner, typed, stored):
    """A phone typed in national or international format is stored in E.164."""
    lines = ok(runner, "analysts", "add", "Ana Analista", typed, "--no-pin")
    (analyst,) = rows(app, select(Analyst))
    analyst = analyst[0]
    assert (analyst.name, analyst.phone, analyst.status) == ("Ana Analista", stored, "unavailable")
    assert analyst.pin_hash is None
    assert lines == [f"analyst {analyst.id} added: Ana Analista {stored} unavailable"]


def test_analysts_add_with_pin_and_available(app, runner):
    """The PIN, typed twice at a hidden prompt, is stored hashed; --available makes the
    analyst available at once."""
    result = invoke(runner, "analysts", "add", "Ana", "04125550123", "--available",
                    input="432187\n432187\n")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "432187" not in result.output  # hidden: never echoed
    (analyst,) = rows(app, select(Analyst))
    analyst = analyst[0]
    assert analyst.status == "available"
    assert "432187" not in analyst.pin_hash and check_pin(analyst.pin_hash, "432187")


def test_analysts_list_and_set_status(app, runner):
    """set-status by id or by phone (any format) changes the status that list shows."""
    ok(runner, "analysts", "add", "Ana", "04125550123", "--no-pin")
    ok(runner, "analysts", "add", "Beto", "04145550124", "--no-pin")
    ana, beto = (r[0] for r in rows(app, select(Analyst.id).order_by(Analyst.id)))
    assert ok(runner, "analysts", "set-status", ana, "available") == [f"analyst {ana} is available"]
    assert ok(runner, "analysts", "set-status", "(0414) 555.01.24", "away") == [
        f"analyst {beto} is away"]
    statuses = dict(rows(app, select(Analyst.name, Analyst.status)))
    assert statuses == {"Ana": "available", "Beto": "away"}
    lines = ok(runner, "analysts", "list")
    assert [(line.split()[0], line.split()[-1]) for line in lines] == [
        (str(ana), "available"), (str(beto), "away")]
    assert "+584125550123" in lines[0] and "+584145550124" in lines[1]


# --- emergency phones -----------------------------------------------------------------------


def test_emergency_add_appends_in_order(app, runner):
    """Without --position each phone goes last; list shows the ringing order."""
    assert ok(runner, "emergency", "add", "Filippo Maniscalco", "(0414) 014.39.13") == [
        f"emergency contact 1: Filippo Maniscalco {FILIPPO}"]
    ok(runner, "emergency", "add", "Birmania Muñoz", "(0414) 032.01.51")
    assert emergency_order(app) == [
        (1, "Filippo Maniscalco", FILIPPO), (2, "Birmania Muñoz", BIRMANIA)]
    lines = ok(runner, "emergency", "list")
    assert listed(lines) == [("1", FILIPPO), ("2", BIRMANIA)]
    assert "Birmania Muñoz" in lines[1]


@pytest.mark.parametrize(("position", "order"), [
    (1, ["Nuevo", "Filippo", "Birmania"]),
    (2, ["Filippo", "Nuevo", "Birmania"]),
    (3, ["Filippo", "Birmania", "Nuevo"]),
    (9, ["Filippo", "Birmania", "Nuevo"]),
])
def test_emergency_add_at_position_shifts_the_rest(app, runner, position, order):
    """--position inserts there and moves the later phones down; positions stay 1, 2, 3."""
    ok(runner, "emergency", "add", "Filippo", FILIPPO)
    ok(runner, "emergency", "add", "Birmania", BIRMANIA)
    ok(runner, "emergency", "add", "Nuevo", "0212-714.39.34", "--position", position)
    assert [(p, n) for p, n, _ in emergency_order(app)] == list(enumerate(order, start=1))
    assert [pos for pos, _ in listed(ok(runner, "emergency", "list"))] == ["1", "2", "3"]


# --- companies and contacts -----------------------------------------------------------------


@pytest.mark.parametrize(("extra", "hours"), [([], None), (["--contract-hours", "4"], 4)])
def test_companies_add(app, runner, extra, hours):
    """A company is stored with its matching key and optional contract hours."""
    lines = ok(runner, "companies", "add", "Inversiones Ávila, C.A.", *extra)
    (company,) = (r[0] for r in rows(app, select(Company)))
    assert (company.name, company.name_key, company.contract_hours) == (
        "Inversiones Ávila, C.A.", "inversiones avila c a", hours)
    assert lines == [f"company {company.id} added: Inversiones Ávila, C.A."]


def test_contacts_add(app, runner):
    """A contact joins a company named loosely (case, accents) with an E.164 phone."""
    ok(runner, "companies", "add", "Inversiones Ávila")
    ok(runner, "contacts", "add", "inversiones avila", "María Pérez", "(0414) 555.01.24",
       "--position", "Gerente", "--email", "maria@example.com")
    (contact,) = (r[0] for r in rows(app, select(Contact)))
    company_id = rows(app, select(Company.id))[0][0]
    assert (contact.company_id, contact.name, contact.phone, contact.position, contact.email) == (
        company_id, "María Pérez", "+584145550124", "Gerente", "maria@example.com")


# --- closures -------------------------------------------------------------------------------


def test_closures_add_list_remove(app, runner):
    """Whole-day and part-day closures are stored, listed by date, and removed by id."""
    ok(runner, "closures", "add", "2026-12-09", "--from", "14:00", "--to", "17:30",
       "--reason", "inventario")
    ok(runner, "closures", "add", "2026-12-08", "--reason", "decreto de duelo nacional")
    stored = [tuple(r) for r in rows(app, select(
        Closure.day, Closure.starts, Closure.ends, Closure.reason).order_by(Closure.day))]
    assert stored == [(date(2026, 12, 8), None, None, "decreto de duelo nacional"),
                      (date(2026, 12, 9), "14:00", "17:30", "inventario")]
    lines = ok(runner, "closures", "list")
    assert [line.split()[1:3] for line in lines] == [
        ["2026-12-08", "all"], ["2026-12-09", "14:00-17:30"]]
    whole_day_id = rows(app, select(Closure.id).where(Closure.starts.is_(None)))[0][0]
    assert lines[0].split()[0] == str(whole_day_id)
    assert ok(runner, "closures", "remove", whole_day_id) == [f"closure {whole_day_id} removed"]
    assert [r[0] for r in rows(app, select(Closure.day))] == [date(2026, 12, 9)]


# --- bad input ------------------------------------------------------------------------------


def seed(runner) -> None:
    """A company, an analyst, an emergency phone and a closure for the refusals to clash with."""
    ok(runner, "companies", "add", "Empresa Uno")
    ok(runner, "companies", "add", "Otra Firma")
    ok(runner, "analysts", "add", "Ana", "04125550123", "--no-pin")
    ok(runner, "emergency", "add", "Filippo", FILIPPO)
    ok(runner, "contacts", "add", "Empresa Uno", "Luis", "04145550124")
    ok(runner, "closures", "add", "2026-12-08", "--reason", "duelo")


BAD_INPUT = {
    "analyst bad phone": ["analysts", "add", "Ana", "12345"],
    "analyst words for phone": ["analysts", "add", "Ana", "anonymous"],
    "analyst duplicate phone": ["analysts", "add", "Otra", "(0412) 555.01.23"],
    "analyst empty name": ["analysts", "add", "  ", "04125550199"],
    "analyst bad pin": ["analysts", "add", "Otra", "04125550199", "--pin-stdin"],  # 12
    "unknown analyst id": ["analysts", "set-status", "999", "available"],
    "unknown analyst phone": ["analysts", "set-status", "04249999999", "available"],
    "emergency bad phone": ["emergency", "add", "Nadie", "0414-123"],
    "emergency duplicate phone": ["emergency", "add", "Otro", "(0414) 014.39.13", "--position",
                                  "1"],
    "emergency position zero": ["emergency", "add", "Otro", BIRMANIA, "--position", "0"],
    "company duplicate": ["companies", "add", "EMPRESA  uno"],
    "company contract hours": ["companies", "add", "Otra", "--contract-hours", "0"],
    "contact unknown company": ["contacts", "add", "Empresa Dos", "Eva", "04125550155"],
    "contact bad phone": ["contacts", "add", "Empresa Uno", "Eva", "555"],
    # (Contacts of one company may share a switchboard; another company's phone is refused.)
    "contact duplicate phone": ["contacts", "add", "Otra Firma", "Eva", "+584145550124"],
    "contact bad email": ["contacts", "add", "Empresa Uno", "Eva", "04125550155", "--email",
                          "eva.example.com"],
    "closure bad date": ["closures", "add", "2026-02-30", "--reason", "x"],
    "closure date format": ["closures", "add", "08/12/2026", "--reason", "x"],
    "closure bad time": ["closures", "add", "2026-12-09", "--from", "25:00", "--to", "26:00",
                         "--reason", "x"],
    "closure from without to": ["closures", "add", "2026-12-09", "--from", "14:00", "--reason",
                                "x"],
    "closure to without from": ["closures", "add", "2026-12-09", "--to", "14:00", "--reason",
                                "x"],
    "closure ends before start": ["closures", "add", "2026-12-09", "--from", "15:00", "--to",
                                  "14:00", "--reason", "x"],
    "closure empty reason": ["closures", "add", "2026-12-09", "--reason", " "],
    "missing closure": ["closures", "remove", "999"],
    "analyst name too long": ["analysts", "add", "A" * 121, "04125550199"],
    "emergency name too long": ["emergency", "add", "E" * 121, BIRMANIA],
    "company name too long": ["companies", "add", "C" * 201],
    "contact email too long": ["contacts", "add", "Empresa Uno", "Eva", "04125550155", "--email",
                               "e" * 190 + "@example.com"],
    "closure reason too long": ["closures", "add", "2026-12-09", "--reason", "r" * 201],
}


@pytest.mark.parametrize("args", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_refused_with_one_line_and_nothing_written(app, runner, args):
    """Bad input: exit code ≠ 0, one 'error:' line on stderr, no stdout, no row changed."""
    seed(runner)
    before = row_counts(app)
    snapshot = {
        "emergency": emergency_order(app),
        "analysts": [tuple(r) for r in rows(app, select(Analyst.id, Analyst.status))],
    }
    result = invoke(runner, *args, input="12\n")
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and re.match(r"error: \S", lines[0]), result.stderr
    assert "Traceback" not in result.output
    assert row_counts(app) == before
    assert snapshot == {
        "emergency": emergency_order(app),
        "analysts": [tuple(r) for r in rows(app, select(Analyst.id, Analyst.status))],
    }


@pytest.mark.parametrize(("args", "table", "column"), [
    (["analysts", "add", "A" * 120, "04125550199", "--no-pin"], Analyst, Analyst.name),
    (["closures", "add", "2026-12-09", "--reason", "r" * 200], Closure, Closure.reason),
])
def test_longest_text_that_fits_is_stored(app, runner, args, table, column):
    """Text exactly as long as its column is accepted whole on both databases."""
    ok(runner, *args)
    assert [len(r[0]) for r in rows(app, select(column))] == [column.type.length]


def test_seed_rows_are_there(app, runner):
    """The rows the refusals clash with really exist (so the refusals are meaningful)."""
    seed(runner)
    counts = row_counts(app)
    assert {t: counts[t] for t in ("companies", "analysts", "emergency_contacts", "contacts",
                                   "closures")} == {**dict.fromkeys(
        ("analysts", "emergency_contacts", "contacts", "closures"), 1), "companies": 2}
    assert rows(app, select(func.count()).select_from(Contact).where(
        Contact.phone == "+584145550124"))[0][0] == 1
