"""A command line that can undo (issue 14): list, show, edit, remove or deactivate analysts,
emergency phones, companies (and aliases), contacts and closures, by id or by name, on both
databases. Refusals are one `error:` line with nothing written."""

from __future__ import annotations

import pytest

from ivr.domain.clock import utcnow
from ivr.services import routing
from ivr.services.directory import check_pin, find_company
from ivr.store import calls
from ivr.store.tx import transaction
from tests.cli_support import invoke, ok, refused, row_counts, table, warned
from tests.conftest import call_params, spoken, twiml
from tests.routing_support import make_case

FILIPPO, BIRMANIA, THIRD = "+584140143913", "+584140320151", "+582127143934"
ANA, BETO = "+584125550123", "+584145550124"
OPEN = "2026-12-07 09:00"  # a Monday morning


def analysts_table(app) -> list[tuple]:
    """(id, name, phone, status, deactivated) of every analyst."""
    return table(app, "SELECT id, name, phone, status, deactivated_at IS NOT NULL FROM analysts"
                      " ORDER BY id")


def emergency_order(app) -> list[tuple]:
    """(position, name, active) in ringing order."""
    return [(p, n, bool(a)) for p, n, a in table(
        app, "SELECT position, name, active FROM emergency_contacts ORDER BY position")]


# --- analysts -----------------------------------------------------------------------------------


@pytest.fixture
def two_analysts(runner):
    """Ana and Beto, no PIN; their ids."""
    ok(runner, "analysts", "add", "Ana Pérez", ANA, "--no-pin")
    ok(runner, "analysts", "add", "Beto Gómez", BETO, "--no-pin")
    return 1, 2


def test_analysts_named_by_id_phone_or_name(app, runner, two_analysts):
    """An analyst is found by id, phone (any format), whole name or a part only they have."""
    for ref in ("1", "(0412) 555.01.23", "ana pérez", "ANA", "perez"):
        assert ok(runner, "analysts", "set-status", ref, "available") == ["analyst 1 is available"]
    assert ok(runner, "analysts", "set-status", "gómez", "away") == ["analyst 2 is away"]


def test_an_ambiguous_name_is_refused_with_the_candidates(app, runner, two_analysts):
    """A part of a name that two analysts share: refused, both named, nothing changed."""
    ok(runner, "analysts", "add", "Ana Gómez", "04165550125", "--no-pin")
    before = analysts_table(app)
    message = refused(runner, "analysts", "set-status", "ana", "available")
    assert "could be any of 2 analysts" in message
    assert "id 1 Ana Pérez" in message and "id 3 Ana Gómez" in message
    assert "give the id" in message
    assert analysts_table(app) == before


def test_analysts_show_and_edit(app, runner, two_analysts):
    """show prints the analyst (never the PIN); edit renames and moves the phone."""
    lines = ok(runner, "analysts", "show", "Ana")
    fields = {line.split(":")[0]: line.split(":", 1)[1].strip() for line in lines}
    assert (fields["id"], fields["name"], fields["phone"], fields["pin"]) == (
        "1", "Ana Pérez", ANA, "none")
    assert ok(runner, "analysts", "edit", "1", "--name", "Ana María Pérez", "--phone",
              "0424-555.01.26") == ["analyst 1: Ana María Pérez +584245550126"]
    assert analysts_table(app)[0][:3] == (1, "Ana María Pérez", "+584245550126")
    assert "nothing to change" in refused(runner, "analysts", "edit", "1")


def test_a_phone_cannot_be_both_an_analysts_and_a_contacts(app, runner, two_analysts):
    """Issue 14: a contact with an analyst's phone (who then never reaches the analysts' menu)
    is refused, and so is the reverse; the message names who has it."""
    ok(runner, "companies", "add", "Farmacia El Ávila, C.A.")
    message = refused(runner, "contacts", "add", "Farmacia", "Rosa", "0412-555.01.23")
    assert "already belongs to analyst 1 (Ana Pérez)" in message
    ok(runner, "contacts", "add", "Farmacia", "Rosa Linares", "04265550127")
    message = refused(runner, "analysts", "add", "Nuevo", "04265550127", "--no-pin")
    assert "already belongs to contact 1 (Rosa Linares, Farmacia El Ávila, C.A.)" in message
    message = refused(runner, "analysts", "edit", "Beto", "--phone", "04265550127")
    assert "contact 1 (Rosa Linares" in message
    message = refused(runner, "contacts", "edit", "Rosa", "--phone", BETO)
    assert "analyst 2 (Beto Gómez)" in message
    assert row_counts(app)["contacts"] == 1 and len(analysts_table(app)) == 2


def test_deactivated_analyst_is_never_rung(app, runner, two_analysts, clock):
    """A deactivated analyst keeps their row and history but is never claimed for a call;
    activated again, they are unavailable until they say otherwise."""
    clock(OPEN)
    ok(runner, "analysts", "set-status", "Ana", "available")
    ok(runner, "analysts", "set-status", "Beto", "available")
    assert ok(runner, "analysts", "deactivate", "Ana") == ["analyst 1 (Ana Pérez) deactivated"]
    engine = app.extensions["ivr"].engine
    with transaction(engine) as tx:
        claimed = [routing.claim_analyst(tx, f"CA-{i}", utcnow(), 20) for i in range(2)]
    assert [c.analyst_id if c else None for c in claimed] == [2, None]
    lines = ok(runner, "analysts", "list")
    assert "[deactivated 2026-12-07 09:00]" in lines[0]
    assert "is deactivated" in refused(runner, "analysts", "set-status", "Ana", "available")
    assert "already deactivated" in refused(runner, "analysts", "deactivate", "1")
    assert ok(runner, "analysts", "activate", "1") == [
        "analyst 1 (Ana Pérez) active again, unavailable"]
    assert analysts_table(app)[0][3:] == ("unavailable", False)


def test_deactivated_analyst_cannot_open_the_phone_menu(app, runner, twilio, clock):
    """The right PIN from a deactivated analyst's phone is refused like a wrong one."""
    clock(OPEN)
    ok(runner, "analysts", "add", "Ana", ANA, input="432187\n432187\n")
    ok(runner, "analysts", "deactivate", "Ana")
    sid = twilio.new_sid()
    root = twiml(twilio.post("/voice/incoming", call_params(sid, ANA)))
    root = twiml(twilio.post(root.find("Gather").get("action"), call_params(sid, ANA, Digits="9")))
    root = twiml(twilio.post(root.find("Gather").get("action"),
                             call_params(sid, ANA, Digits="432187")))
    assert spoken(root).startswith("Clave incorrecta.")
    assert table(app, "SELECT analyst_id FROM calls") == [(None,)]


def test_remove_an_analyst_added_by_mistake_but_not_one_with_history(app, runner,
                                                                     two_analysts, db):
    """remove deletes an analyst nothing refers to; one assigned a case is deactivated
    instead (the message says so) and stays."""
    assert ok(runner, "analysts", "remove", "Beto") == ["analyst 2 (Beto Gómez) removed"]
    case = make_case(db, "1000001", created=OPEN)
    db.update("cases", case.id, assigned_analyst_id=1)
    db.commit()
    message = refused(runner, "analysts", "remove", "Ana")
    assert "appears in 1 case(s)" in message and "analysts deactivate 1" in message
    assert [row[0] for row in analysts_table(app)] == [1]


# --- PINs (issue 13) ----------------------------------------------------------------------------


def pin_hash(app, analyst_id=1):
    """The stored PIN hash of an analyst."""
    return table(app, "SELECT pin_hash FROM analysts WHERE id = :id", id=analyst_id)[0][0]


def test_set_pin_asks_twice_without_echo(app, runner, two_analysts):
    """set-pin takes the PIN from a hidden prompt, typed twice; it is stored hashed."""
    result = invoke(runner, "analysts", "set-pin", "Ana", input="184263\n184263\n")
    assert result.exit_code == 0, result.output
    assert "184263" not in result.output
    assert result.stdout.splitlines()[-1] == "analyst 1 (Ana Pérez): PIN set"
    assert check_pin(pin_hash(app), "184263")


def test_set_pin_asks_again_when_the_two_differ(app, runner, two_analysts):
    """Two different PINs: click asks again; the pair that matches is stored."""
    result = invoke(runner, "analysts", "set-pin", "1",
                    input="184263\n184264\n275391\n275391\n")
    assert result.exit_code == 0, result.output
    assert check_pin(pin_hash(app), "275391") and not check_pin(pin_hash(app), "184263")


@pytest.mark.parametrize("pin", ["4321", "12345", "²²²²²²", "٤٣٢١٨٧", "111111", "123456",
                                 "12345678901234"])
def test_weak_or_odd_pins_are_refused(app, runner, two_analysts, pin):
    """Fewer than 6 digits, non-ASCII digits ("²".isdigit() is True), or too easy: refused,
    nothing stored."""
    message = refused(runner, "analysts", "set-pin", "Ana", input=f"{pin}\n{pin}\n")
    assert "PIN" in message
    assert pin_hash(app) is None


def test_pin_from_standard_input_and_removal(app, runner, two_analysts):
    """--pin-stdin reads one line (for scripts); --remove closes the menu again."""
    assert ok(runner, "analysts", "set-pin", "Ana", "--pin-stdin", input="369258\n") == [
        "analyst 1 (Ana Pérez): PIN set"]
    assert check_pin(pin_hash(app), "369258")
    assert ok(runner, "analysts", "set-pin", "Ana", "--remove") == [
        "analyst 1 (Ana Pérez): PIN removed"]
    assert pin_hash(app) is None


def test_no_pin_as_a_command_line_argument(app, runner):
    """--pin is gone: a PIN on the command line would stay in shell history and `ps`."""
    result = invoke(runner, "analysts", "add", "Ana", ANA, "--pin", "432187")
    assert result.exit_code == 2 and "No such option" in result.stderr
    assert row_counts(app)["analysts"] == 0


def test_add_checks_the_phone_before_asking_the_pin(app, runner, two_analysts):
    """A bad phone is refused before any PIN is asked."""
    result = invoke(runner, "analysts", "add", "Otra", ANA)
    assert result.exit_code == 1 and "PIN" not in result.stdout
    assert "already belongs to analyst 1" in result.stderr


# --- emergency phones ---------------------------------------------------------------------------


@pytest.fixture
def three_phones(runner):
    """Filippo, Birmania and a third phone, in that order."""
    ok(runner, "emergency", "add", "Filippo Maniscalco", FILIPPO)
    ok(runner, "emergency", "add", "Birmania Muñoz", BIRMANIA)
    ok(runner, "emergency", "add", "Guardia Tres", THIRD)


def test_a_phone_added_first_by_mistake_is_moved(app, runner, three_phones):
    """Issue 14: a phone added at position 1 by mistake is moved down; positions stay unique
    and without gaps."""
    ok(runner, "emergency", "add", "Error", "04125559999", "--position", "1")
    lines = ok(runner, "emergency", "move", "1", "--to", "4")
    assert [line.split()[0] for line in lines] == ["1", "2", "3", "4"]
    assert emergency_order(app) == [(1, "Filippo Maniscalco", True), (2, "Birmania Muñoz", True),
                                    (3, "Guardia Tres", True), (4, "Error", True)]
    ok(runner, "emergency", "move", "Guardia", "--to", "1")
    assert [n for _, n, _ in emergency_order(app)] == [
        "Guardia Tres", "Filippo Maniscalco", "Birmania Muñoz", "Error"]
    assert "--to must be a place from 1 to 4" in refused(runner, "emergency", "move", "1",
                                                         "--to", "5")


def test_reorder_names_the_first_ones(app, runner, three_phones):
    """reorder puts the phones named first, in that order; the rest follow as they were."""
    ok(runner, "emergency", "reorder", "Birmania", THIRD)
    assert [n for _, n, _ in emergency_order(app)] == [
        "Birmania Muñoz", "Guardia Tres", "Filippo Maniscalco"]
    before = emergency_order(app)
    assert "given twice" in refused(runner, "emergency", "reorder", "1", "Birmania")
    assert emergency_order(app) == before


def test_deactivate_skips_a_phone_and_keeps_its_place(app, runner, three_phones, db):
    """A deactivated phone is not rung but keeps its place; activated, it rings again."""
    assert ok(runner, "emergency", "deactivate", "Filippo") == [
        "emergency contact 1 (Filippo Maniscalco) deactivated"]
    assert routing.next_emergency_contact(db, "CA-x").name == "Birmania Muñoz"
    db.commit()
    assert ok(runner, "emergency", "list")[0].endswith("(inactive)")
    ok(runner, "emergency", "activate", "1")
    assert routing.next_emergency_contact(db, "CA-y").name == "Filippo Maniscalco"


def test_deactivating_the_last_phone_warns(app, runner):
    """Nobody left to ring out of hours: done, with a warning."""
    ok(runner, "emergency", "add", "Filippo Maniscalco", FILIPPO)
    _lines, warnings = warned(runner, "emergency", "deactivate", "1")
    assert "no active emergency phone is left" in warnings[0]


def test_remove_renumbers_and_refuses_a_phone_that_was_rung(app, runner, three_phones, db):
    """remove takes a phone never rung out and closes the gap; one rung in a call is
    deactivated instead."""
    assert ok(runner, "emergency", "remove", "2") == [
        f"emergency contact Birmania Muñoz {BIRMANIA} removed"]
    assert emergency_order(app) == [(1, "Filippo Maniscalco", True), (2, "Guardia Tres", True)]
    filippo = table(app, "SELECT id FROM emergency_contacts WHERE position = 1")[0][0]
    calls.new_attempt(db, call_sid="CA-e", seq=1, case_id=None, analyst_id=None,
                      emergency_contact_id=filippo, outcome="no-answer", now=utcnow())
    db.commit()
    message = refused(runner, "emergency", "remove", "Filippo")
    assert "was rung in 1 call(s)" in message and "emergency deactivate 1" in message


def test_emergency_show_and_edit(app, runner, three_phones):
    """show and edit by place, name or phone."""
    lines = ok(runner, "emergency", "show", "(0414) 032.01.51")
    assert "name:    Birmania Muñoz" in lines
    ok(runner, "emergency", "edit", "Birmania", "--phone", "0416-555.01.28")
    assert table(app, "SELECT phone FROM emergency_contacts WHERE position = 2") == [
        ("+584165550128",)]
    assert "already emergency phone #1" in refused(runner, "emergency", "edit", "2", "--phone",
                                                   FILIPPO)


# --- companies, aliases and contacts ------------------------------------------------------------


@pytest.fixture
def farmacia(runner):
    """Farmacia El Ávila, C.A. (4-hour contract) with Rosa, and a second company."""
    ok(runner, "companies", "add", "Farmacia El Ávila, C.A.", "--contract-hours", "4")
    ok(runner, "companies", "add", "Inversiones Caracas 2000")
    ok(runner, "contacts", "add", "Farmacia El Ávila", "Rosa Linares", "04265550127",
       "--position", "Gerente", "--email", "rosa@elavila.com")


def test_companies_list_show_edit(app, runner, farmacia):
    """list counts contacts and cases; edit renames and ends a contract."""
    lines = ok(runner, "companies", "list")
    assert [line.split()[0] for line in lines] == ["1", "2"]
    assert "contract 4h" in lines[0] and "1 contact(s) 0 case(s)" in lines[0]
    shown = ok(runner, "companies", "show", "farmacia")
    assert "contract:  4 business hours" in shown and any("Rosa Linares" in s for s in shown)
    assert ok(runner, "companies", "edit", "2", "--name", "Inversiones Caracas 2001, C.A.",
              "--contract-hours", "8") == ["company 2: Inversiones Caracas 2001, C.A., "
                                           "contract 8h"]
    assert ok(runner, "companies", "edit", "Inversiones", "--no-contract")[0].endswith(
        "no contract")
    assert "already exists" in refused(runner, "companies", "edit", "2", "--name",
                                       "farmacia el avila c a")


def test_aliases_name_a_company(app, runner, farmacia, db):
    """An alias finds its company (operators and the line's exact lookup alike), cannot be
    another company's name or alias, and can be removed."""
    assert ok(runner, "companies", "alias", "add", "Farmacia", "Farmacia Ávila") == [
        "company 1 (Farmacia El Ávila, C.A.) is also 'Farmacia Ávila'"]
    assert find_company(db, "farmacia avila").id == 1
    db.commit()
    ok(runner, "contacts", "add", "farmacia ávila", "Pedro", "04265550129")
    assert "already an alias of company 1" in refused(
        runner, "companies", "alias", "add", "2", "FARMACIA AVILA")
    assert "already exists" in refused(runner, "companies", "alias", "add", "2",
                                       "Farmacia El Ávila C.A.")
    assert "company's own name" in refused(runner, "companies", "alias", "add", "1",
                                           "farmacia el avila c a")
    assert "aliases:   Farmacia Ávila" in ok(runner, "companies", "show", "1")
    ok(runner, "companies", "alias", "remove", "1", "farmacia avila")
    assert table(app, "SELECT COUNT(*) FROM company_aliases") == [(0,)]
    assert "has no alias" in refused(runner, "companies", "alias", "remove", "1", "x")


def test_company_removed_only_without_contacts_or_cases(app, runner, farmacia):
    """A company with contacts (or cases) stays; an empty one goes, with its aliases."""
    message = refused(runner, "companies", "remove", "Farmacia")
    assert "has 1 contact(s) and 0 case(s)" in message
    ok(runner, "companies", "alias", "add", "2", "IC2000")
    assert ok(runner, "companies", "remove", "IC2000") == [
        "company 2 (Inversiones Caracas 2000) removed"]
    assert table(app, "SELECT COUNT(*) FROM company_aliases") == [(0,)]


def test_a_bad_email_is_refused_and_corrected(app, runner, farmacia):
    """Issue 14's `rosa@elavila` is refused when added or edited; edit fixes or clears it."""
    assert "is not an e-mail address" in refused(
        runner, "contacts", "add", "Farmacia", "Otra", "04265550130", "--email", "rosa@elavila")
    assert "is not an e-mail address" in refused(runner, "contacts", "edit", "Rosa", "--email",
                                                 "a@")
    ok(runner, "contacts", "edit", "Rosa", "--email", "rosa.linares@elavila.com.ve",
       "--position", "")
    assert table(app, "SELECT email, position FROM contacts") == [
        ("rosa.linares@elavila.com.ve", None)]


def test_contacts_list_show_move_and_remove(app, runner, farmacia, db):
    """list (all or one company's), show by phone, move to another company, remove: cases
    keep the name said and lose the link."""
    ok(runner, "contacts", "add", "2", "Luis", "04145550131")
    assert [line.split()[1] for line in ok(runner, "contacts", "list")] == ["Rosa", "Luis"]
    assert [line.split()[1] for line in ok(runner, "contacts", "list", "--company", "2")] == [
        "Luis"]
    assert "company:   Farmacia El Ávila, C.A." in ok(runner, "contacts", "show", "04265550127")
    ok(runner, "contacts", "edit", "Luis", "--company", "Farmacia")
    assert table(app, "SELECT company_id FROM contacts WHERE name = 'Luis'") == [(1,)]
    case = make_case(db, "1000001", created=OPEN)
    db.update("cases", case.id, contact_id=1, caller_name="Rosa Linares")
    db.commit()
    assert ok(runner, "contacts", "remove", "Rosa") == [
        "contact 1 (Rosa Linares) removed (1 case(s) and call(s) keep the name said)"]
    assert table(app, "SELECT contact_id, caller_name FROM cases") == [(None, "Rosa Linares")]


# --- closures -----------------------------------------------------------------------------------


def test_the_same_closure_twice_is_refused(app, runner):
    """Issue 14: a duplicate (or overlapping) closure is refused, naming the one there."""
    ok(runner, "closures", "add", "2026-12-09", "--reason", "inventario")
    message = refused(runner, "closures", "add", "2026-12-09", "--reason", "inventario")
    assert "already closed then: closure 1 on 2026-12-09 all day (inventario)" in message
    ok(runner, "closures", "add", "2026-12-10", "--from", "14:00", "--to", "15:00",
       "--reason", "reunión")
    assert "already closed" in refused(runner, "closures", "add", "2026-12-10", "--from",
                                       "14:30", "--to", "16:00", "--reason", "x")
    ok(runner, "closures", "add", "2026-12-10", "--from", "15:00", "--to", "16:00",
       "--reason", "otra reunión")
    assert row_counts(app)["closures"] == 3


@pytest.mark.parametrize(("day", "warning"), [
    ("2026-12-24", "already a public holiday (Nochebuena)"),
    ("2027-02-09", "already a public holiday (Martes de Carnaval)"),
    ("2026-12-12", "is a Saturday: the centre does not open that day anyway"),
])
def test_a_closure_on_a_day_closed_anyway_is_warned(app, runner, day, warning):
    """A closure on a holiday or a weekend is stored, with a warning."""
    lines, warnings = warned(runner, "closures", "add", day, "--reason", "cerrado")
    assert lines == [f"closure 1: {day} all day (cerrado)"]
    assert warning in warnings[0]


def test_closures_show_edit_remove_by_id_or_day(app, runner):
    """A closure is named by id or by its day; edit changes hours, day or reason."""
    ok(runner, "closures", "add", "2026-12-09", "--reason", "inventario")
    assert "hours:  all day" in ok(runner, "closures", "show", "2026-12-09")
    assert ok(runner, "closures", "edit", "1", "--from", "14:00", "--to", "17:30") == [
        "closure 1: 2026-12-09 14:00-17:30 (inventario)"]
    assert ok(runner, "closures", "edit", "2026-12-09", "--day", "2026-12-11", "--all-day",
              "--reason", "inventario anual") == [
        "closure 1: 2026-12-11 all day (inventario anual)"]
    assert "no closure on 2026-12-09" in refused(runner, "closures", "remove", "2026-12-09")
    assert ok(runner, "closures", "remove", "2026-12-11") == ["closure 1 removed"]
    assert row_counts(app)["closures"] == 0
