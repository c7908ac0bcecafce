"""`flask cases …`: operators list, show, schedule visits and set statuses, on both databases."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from ivr.domain.business_hours import CARACAS, to_naive_utc
from ivr.services.cases import save_recording
from ivr.services.directory import add_analyst, add_company, add_contact
from ivr.store.models import Case
from tests.conftest import orm_session

NOW = datetime(2026, 12, 10, 16, 0)
A, B, C = "1042937", "1234566", "2345671"  # valid case numbers


def at(caracas: str) -> datetime:
    """A Caracas wall-clock time as stored (naive UTC)."""
    return to_naive_utc(datetime.fromisoformat(caracas).replace(tzinfo=CARACAS))


def add_case(app, number, created, status="received", company=None, company_id=None, **values):
    """A case stored directly, opened at a Caracas time."""
    with orm_session(app) as s:
        case = Case(number=number, status=status, company_name=company, company_id=company_id,
                    origin_call_sid=f"CA-{number}", origin_seq=1, out_of_hours=False,
                    urgent=False, callback_state="pending", created_at=at(created),
                    updated_at=at(created), **values)
        s.add(case)
        s.commit()
        return case.id


@pytest.fixture
def three_cases(app, db):
    """A linked, an unlinked (said aloud) and another company's case, on three days."""
    company_id = add_company(db, "Empresa Demo", None, NOW).id
    db.commit()
    add_case(app, A, "2026-12-07 09:00", company="Empresa Demo", company_id=company_id,
             caller_name="Ana Prueba")
    # 23:30 in Caracas is already the 9th in UTC: days are Caracas days.
    add_case(app, B, "2026-12-08 23:30", status="resolved", company="empresa demo c.a.")
    add_case(app, C, "2026-12-10 08:00", status="in_progress", company="Otra Empresa")


def run(runner, *args):
    """Run `flask cases …`."""
    return runner.invoke(args=["cases", *args])


def ok(runner, *args) -> list[str]:
    """Run a command that must succeed; its stdout lines."""
    result = run(runner, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.stderr == ""
    return result.stdout.splitlines()


def case_row(app, number) -> dict:
    """Every column of a case, read in a fresh session."""
    with orm_session(app) as s:
        case = s.scalars(select(Case).where(Case.number == number)).one()
        return {c.key: getattr(case, c.key) for c in Case.__table__.columns}


LISTINGS = [
    ([], [C, B, A]),
    (["--status", "resolved"], [B]),
    (["--company", "empresa demo"], [B, A]),
    (["--company", "OTRA"], [C]),
    (["--company", "Nadie"], []),
    (["--since", "2026-12-08"], [C, B]),
    (["--until", "2026-12-08"], [B, A]),
    (["--since", "2026-12-09", "--until", "2026-12-09"], []),
    (["--status", "received", "--company", "Empresa Demo", "--since", "2026-12-07"], [A]),
]


def test_list_filters(runner, three_cases):
    """Newest first; by status, company (linked or as said) and Caracas days."""
    for args, numbers in LISTINGS:
        lines = ok(runner, "list", *args)
        assert [line.split()[0] for line in lines] == numbers, args
    [line] = ok(runner, "list", "--status", "received")
    assert line.split()[:4] == [A, "2026-12-07", "09:00", "received"]
    assert "Empresa Demo" in line and "Ana Prueba" in line
    help_text = run(runner, "--help").stdout.split("Commands:")[1]
    commands = sorted(line.split()[0] for line in help_text.splitlines() if line.strip())
    assert commands == ["link", "list", "note", "set-status", "show", "visit"]


def test_show_every_field_and_recordings(app, runner, db):
    """Show prints every column (phones too: operators only) and the case's recordings."""
    case_id = add_case(app, A, "2026-12-07 09:00", severity=1, caller_number="+584125550123",
                       callback_number="+584141234567", callback_extension="25",
                       due_at=at("2026-12-07 11:00"))
    save_recording(db, "RE-desc", "CA-x", NOW, case_id=case_id, kind="description",
                   url="https://x/RE-desc", duration=31, status="completed")
    save_recording(db, "RE-add", "CA-y", NOW, case_id=case_id, kind="addendum")
    db.commit()
    lines = ok(runner, "show", A)
    fields = {line.split(":")[0]: line.split(":", 1)[1].strip() for line in lines
              if not line.startswith(" ")}
    # Ids of the rows a case refers to are shown as those rows' names.
    named = {"company_id": "company", "contact_id": "contact",
             "assigned_analyst_id": "assigned_analyst"}
    assert {named.get(c.key, c.key) for c in Case.__table__.columns} <= set(fields)
    assert (fields["number"], fields["status"], fields["severity"]) == (A, "received", "1")
    assert (fields["caller_number"], fields["callback_number"]) == ("+584125550123",
                                                                    "+584141234567")
    assert fields["due_at"] == "2026-12-07 11:00" and fields["visit_at"] == "-"
    assert fields["recordings"] == "2"
    recs = [line.split() for line in lines if line.startswith("  ")]
    assert [r[:4] for r in recs] == [["RE-desc", "description", "completed", "31s"],
                                     ["RE-add", "addendum", "in-progress", "-s"]]


@pytest.mark.parametrize(
    ("status", "option", "visit_status", "after"),
    [("received", [], "proposed", "visit_scheduled"),
     ("waiting_client", ["--status", "confirmed"], "confirmed", "visit_scheduled"),
     ("resolved", ["--status", "confirmed"], "confirmed", "resolved")],
)
def test_visit_is_stored_in_utc_and_schedules_the_case(app, runner, status, option,
                                                       visit_status, after):
    """--at is Caracas time stored as UTC; the case becomes visit_scheduled unless resolved."""
    add_case(app, A, "2026-12-07 09:00", status=status)
    [line] = ok(runner, "visit", A, "--at", "2026-12-09 10:00", "--cost", "45", *option)
    assert line == (f"case {A}: visit 2026-12-09 10:00 (Caracas), cost 45.00, {visit_status}; "
                    f"case {after}")
    row = case_row(app, A)
    assert (row["visit_at"], row["visit_cost"]) == (datetime(2026, 12, 9, 14, 0),
                                                    Decimal("45.00"))
    assert (row["visit_status"], row["status"]) == (visit_status, after)


def test_set_status(app, runner):
    """set-status changes the status; resolving ends the pending callback."""
    add_case(app, A, "2026-12-07 09:00")
    assert ok(runner, "set-status", A, "in_progress") == [f"case {A} is in_progress"]
    assert case_row(app, A)["callback_state"] == "pending"
    assert ok(runner, "set-status", A, "resolved") == [f"case {A} is resolved"]
    row = case_row(app, A)
    assert (row["status"], row["callback_state"]) == ("resolved", "done")


BAD_INPUT = [
    (["list", "--status", "closed"], "status must be one of"),
    (["list", "--since", "2026-13-01"], "--since '2026-13-01' is not a date"),
    (["list", "--until", "ayer"], "--until 'ayer' is not a date"),
    (["list", "--since", "2026-12-09", "--until", "2026-12-08"], "--since must not be after"),
    (["show", "9999999"], "no case '9999999'"),
    (["visit", B, "--at", "2026-12-09 10:00", "--cost", "45"], f"no case '{B}'"),
    (["visit", A, "--at", "2026-12-09", "--cost", "45"], "has no time"),
    (["visit", A, "--at", "mañana 10:00", "--cost", "45"], "is not a time like"),
    (["visit", A, "--at", "2026-12-09 10:00", "--cost", "-1"], "--cost '-1' is not an amount"),
    (["visit", A, "--at", "2026-12-09 10:00", "--cost", "mucho"], "is not an amount"),
    (["visit", A, "--at", "2026-12-09 10:00", "--cost", "45", "--status", "maybe"],
     "visit status must be one of"),
    (["visit", A, "--at", "2026-12-09 10:00"], "give both --at and --cost"),
    (["set-status", A, "closed"], "status must be one of"),
    (["set-status", B, "resolved"], f"no case '{B}'"),
]


def test_bad_input_is_one_error_line_and_writes_nothing(app, runner):
    """Unknown numbers, bad dates, costs or statuses: 'error: …' on stderr, exit 1, no change."""
    add_case(app, A, "2026-12-07 09:00")
    before = case_row(app, A)
    for args, message in BAD_INPUT:
        result = run(runner, *args)
        assert result.exit_code == 1, args
        assert result.stdout == ""
        [line] = result.stderr.splitlines()
        assert line.startswith("error: ") and message in line, (args, line)
    assert case_row(app, A) == before


# --- issue 13 and 14: what operators type, and what they can now do to a case ------------------


@pytest.mark.parametrize(("args", "message"), [
    (["list", "--until", "9999-12-31"], "--until '9999-12-31' is out of range"),
    (["list", "--since", "0001-01-01"], "--since '0001-01-01' is out of range"),
    (["visit", A, "--at", "9999-12-31 23:00", "--cost", "45"], "is out of range"),
    (["visit", A, "--at", "0001-01-01 10:00", "--cost", "45"], "is out of range"),
    (["visit", A, "--at", "1999-12-31 10:00", "--cost", "45"], "is out of range"),
    (["visit", A, "--at", "2026-12-09", "--cost", "45"], "has no time"),
    (["visit", A, "--at", "2026-12-09 10:00", "--cost", "1.234,56"], "is not an amount"),
    (["visit", A, "--at", "2026-12-09 10:00", "--cost", "NaN"], "is not an amount"),
    (["show", "99999999999999999999"], "no case '99999999999999999999'"),
    (["note", A, "  "], "the note is empty"),
    (["note", A, "fuga\x0cde agua"], "U+000C at position 5 is not allowed"),
    (["link", A], "give --company"),
    (["link", A, "--company", "Nadie"], "no company 'Nadie'"),
])
def test_issue_inputs_are_one_error_line(app, runner, args, message):
    """Dates out of range (tracebacks before), a day without a time, odd costs, huge
    numbers, control characters: 'error: …', exit 1, the case unchanged."""
    add_case(app, A, "2026-12-07 09:00")
    before = case_row(app, A)
    result = run(runner, *args)
    assert result.exit_code == 1, (args, result.output)
    assert result.stdout == "" and "Traceback" not in result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and message in line, line
    assert case_row(app, A) == before


@pytest.mark.parametrize("cost", ["45,00", "45.00", "45", "45,5"])
def test_cost_written_either_way(app, runner, cost):
    """A cost written the Venezuelan way (45,00) is as good as 45.00."""
    add_case(app, A, "2026-12-07 09:00")
    ok(runner, "visit", A, "--at", "2026-12-09 10:00", "--cost", cost)
    assert case_row(app, A)["visit_cost"] in (Decimal("45.00"), Decimal("45.50"))


@pytest.mark.parametrize(("at", "why"), [
    ("2027-02-09 10:00", "a public holiday (Martes de Carnaval)"),
    ("2026-12-12 10:00", "a day the centre does not open"),
])
def test_visit_on_a_closed_day_is_warned(app, runner, at, why):
    """Issue 14: a visit on Carnival Tuesday or a Saturday is arranged, with a warning."""
    add_case(app, A, "2026-12-07 09:00")
    result = run(runner, "visit", A, "--at", at, "--cost", "45")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"case {A}: visit {at} (Caracas)")
    [warning] = result.stderr.splitlines()
    assert warning.startswith("warning: the visit falls on") and why in warning


def test_visit_on_a_closure_is_warned(app, runner):
    """A coordinator's closure makes the day closed too."""
    add_case(app, A, "2026-12-07 09:00")
    runner.invoke(args=["closures", "add", "2026-12-10", "--reason", "inventario"])
    result = run(runner, "visit", A, "--at", "2026-12-10 10:00", "--cost", "45")
    assert "closed by decision (inventario)" in result.stderr


def test_link_a_case_to_its_company_and_contact(app, runner, db, clock):
    """A case the line could not link (company_to_link) is linked by name: the company's
    contract then sets its callback's due time (rule 8), the caller's details fill in."""
    clock("2026-12-07 09:30")
    company_id = add_company(db, "Farmacia El Ávila, C.A.", 2, NOW).id
    add_contact(db, "Farmacia", "Rosa Linares", "04265550127", "Gerente", None, NOW)
    db.commit()
    add_case(app, A, "2026-12-07 09:00", company="farmacia abila", company_to_link=True,
             due_at=at("2026-12-07 17:00"))
    [line] = ok(runner, "link", A, "--company", "farmacia el avila", "--contact", "Rosa")
    assert line == (f"case {A} linked to Farmacia El Ávila, C.A., contact Rosa Linares; "
                    "callback due 2026-12-07 11:00")
    row = case_row(app, A)
    assert (row["company_id"], row["contact_id"], row["company_to_link"]) == (
        company_id, 1, False)
    assert (row["company_name"], row["caller_name"], row["caller_position"]) == (
        "farmacia abila", "Rosa Linares", "Gerente")
    assert row["due_at"] == at("2026-12-07 11:00")
    fields = dict(line.split(":", 1) for line in ok(runner, "show", A) if ":" in line
                  and not line.startswith(" "))
    assert (fields["company"].strip(), fields["contact"].strip()) == (
        "Farmacia El Ávila, C.A.", "Rosa Linares")


def test_link_refuses_a_contact_of_another_company(app, runner, db):
    """The contact must be of the company given."""
    add_company(db, "Empresa Uno", None, NOW)
    add_company(db, "Empresa Dos", None, NOW)
    add_contact(db, "Empresa Dos", "Luis", "04145550124", None, None, NOW)
    db.commit()
    add_case(app, A, "2026-12-07 09:00")
    result = run(runner, "link", A, "--company", "Empresa Uno", "--contact", "Luis")
    assert result.exit_code == 1
    assert "contact 1 (Luis) is of Empresa Dos, not of Empresa Uno" in result.stderr


def test_notes_are_appended_with_the_time(app, runner, clock):
    """cases note adds a stamped line (Caracas time); show prints the notes."""
    add_case(app, A, "2026-12-07 09:00", notes="elegido sin base de datos: 2")
    clock("2026-12-07 10:15")
    assert ok(runner, "note", A, "Llamé, no contestó") == [
        f"case {A}: [2026-12-07 10:15] Llamé, no contestó"]
    clock("2026-12-07 11:00")
    ok(runner, "note", A, "Visita\n  acordada")
    assert case_row(app, A)["notes"] == ("elegido sin base de datos: 2\n"
                                         "[2026-12-07 10:15] Llamé, no contestó\n"
                                         "[2026-12-07 11:00] Visita acordada")
    lines = ok(runner, "show", A)
    assert lines[lines.index("notes:") + 3] == "  [2026-12-07 11:00] Visita acordada"


def test_show_names_the_analyst_and_hides_recording_urls(app, runner, db):
    """Issue 14: `assigned_analyst: Ana` instead of an id, and no Twilio URL (nobody can open
    it without the account's credentials): the SID and the length instead."""
    analyst = add_analyst(db, "Ana Analista", "04125550123", None, NOW)
    db.commit()
    case_id = add_case(app, A, "2026-12-07 09:00", assigned_analyst_id=analyst.id)
    save_recording(db, "RE" + "a" * 32, "CA-x", NOW, case_id=case_id, kind="description",
                   url="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/REa",
                   duration=31, status="completed")
    db.commit()
    lines = ok(runner, "show", A)
    assert "assigned_analyst:       Ana Analista" in lines
    assert not any("assigned_analyst_id" in line for line in lines)
    assert not any("https://" in line for line in lines)
    assert any(line.split()[:4] == ["RE" + "a" * 32, "description", "completed", "31s"]
               for line in lines)
