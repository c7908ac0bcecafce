"""The console's pages: availability, the work queue, a case, its changes and its audit trail."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from ivr.domain.case_numbers import make_case_number
from ivr.domain.clock import utcnow
from ivr.domain.statuses import AnalystStatus, CallbackState, CaseStatus, UserRole
from ivr.services import directory
from ivr.services.cases import find_case
from ivr.store import audit, worklists
from ivr.store.tx import transaction
from tests.console_support import Console, engine, make_user, open_test_case


@pytest.fixture
def analyst(app, clock):
    """A logged-in analyst's console at a Monday 09:00 in Caracas."""
    clock("2027-02-15 09:00")
    user = make_user(app)
    console = Console(app)
    console.login()
    console.user = user
    return console


def read_case(app, number):
    """A case as stored now."""
    with transaction(engine(app)) as tx:
        return find_case(tx, number)


def test_availability_uses_the_lines_state(app, analyst):
    """Available and unavailable are the analyst row's status, as routing reads it."""
    assert analyst.post("/console/availability", {"status": "available"}).status_code == 303
    with transaction(engine(app)) as tx:
        row = directory.get_analyst(tx, analyst.user.analyst_id)
        assert row.status == AnalystStatus.AVAILABLE
        [entry] = [e for e in audit.entries_of_row(tx, "analysts", row.id) if e.field == "status"]
        assert (entry.field, entry.old_value, entry.new_value) == ("status", "unavailable",
                                                                    "available")
    page = analyst.get("/console/").get_data(as_text=True)
    assert "Mi disponibilidad: <strong>Disponible</strong>" in page
    assert analyst.post("/console/availability", {"status": "away"}).status_code == 303
    with transaction(engine(app)) as tx:
        assert directory.get_analyst(tx, analyst.user.analyst_id).status == "available"


def test_page_says_when_the_line_set_the_analyst_away(app, analyst):
    """After missed calls the line sets the analyst away; the page says so and since when."""
    with transaction(engine(app)) as tx:
        worklists_missed = datetime(2027, 2, 15, 12, 55)  # 08:55 in Caracas
        tx.run(worklists.Q("INSERT INTO dial_attempts (call_sid, seq, analyst_id, outcome,"
                           " started_at, ended_at) VALUES ('CAx', 1, :id, 'no-answer', :t, :t)"),
               id=analyst.user.analyst_id, t=worklists_missed)
        directory.set_analyst_status(tx, directory.get_analyst(tx, analyst.user.analyst_id),
                                     AnalystStatus.AWAY, utcnow())
    page = analyst.get("/console/").get_data(as_text=True)
    assert "La línea le marcó <strong>ausente</strong>" in page
    assert "08:55" in page


def test_queue_lists_callbacks_in_line_order_with_time_left_and_overdue(app, analyst, clock):
    """Callbacks in the queue's order (severity first here), due time in Caracas, time left,
    overdue rows marked; new cases listed too."""
    mild = open_test_case(app, severity=3, seq=1)
    stopped = open_test_case(app, severity=1, seq=2)
    page = analyst.get("/console/").get_data(as_text=True)
    assert page.index(stopped.number) < page.index(mild.number)
    assert "quedan 2 h 00 min" in page and "11:00" in page  # severity 1: 2 business hours
    assert "overdue" not in page
    clock("2027-02-15 11:30")
    analyst.login()  # 150 idle minutes: the session ended meanwhile
    page = analyst.get("/console/").get_data(as_text=True)
    assert 'class="overdue"' in page and "vencida hace 30 min" in page
    assert "Casos nuevos <span class=\"count\">2</span>" in page


def test_my_cases_after_taking_one(app, analyst):
    """A case taken is the analyst's, in progress, and listed under my cases."""
    case = open_test_case(app)
    assert analyst.post(f"/console/cases/{case.number}/take").status_code == 303
    taken = read_case(app, case.number)
    assert taken.assigned_analyst_id == analyst.user.analyst_id
    assert taken.status == CaseStatus.IN_PROGRESS
    page = analyst.get("/console/").get_data(as_text=True)
    mine = page[page.index("Mis casos"):]
    assert case.number in mine and "Casos nuevos <span class=\"count\">0</span>" in page


def test_search_by_number_checks_the_digit(app, analyst):
    """A valid number opens its case; a wrong check digit is a form error; a valid number of
    no case says so."""
    case = open_test_case(app)
    found = analyst.get("/console/", query_string={"q": case.number})
    assert found.status_code == 302 and found.location.endswith(f"/console/cases/{case.number}")
    wrong = case.number[:-1] + str((int(case.number[-1]) + 1) % 10)
    refused = analyst.get("/console/", query_string={"q": wrong})
    assert refused.status_code == 400
    assert "revise los dígitos" in refused.get_data(as_text=True)
    missing = make_case_number(111111)
    page = analyst.get("/console/", query_string={"q": missing}).get_data(as_text=True)
    assert "No hay ningún caso con ese número" in page


def test_search_by_company_and_status(app, analyst):
    """A company's words find its cases; the status filter narrows them."""
    demo = open_test_case(app, company="Empresa Demo", seq=1)
    other = open_test_case(app, company="Comercial Ejemplo", seq=2)
    page = analyst.get("/console/", query_string={"q": "empresa demo"}).get_data(as_text=True)
    results = page[page.index("Resultados"):page.index("Devoluciones")]
    assert demo.number in results and other.number not in results
    page = analyst.get("/console/", query_string={"status": "resolved"}).get_data(as_text=True)
    assert "Resultados (0)" in page


def test_case_page_shows_fields_and_marks(app, analyst):
    """Company, contact, callback number with extension, due time; caller-ID-only and
    company-to-link marks."""
    case = open_test_case(app)
    with transaction(engine(app)) as tx:
        tx.update("cases", case.id, prefilled_by_caller_id=True, company_to_link=True,
                  callback_number="+582125551234", callback_extension="45",
                  caller_name="María Pérez")
    page = analyst.get(f"/console/cases/{case.number}").get_data(as_text=True)
    for text in ("identificado solo por caller ID", "empresa por vincular", "María Pérez",
                 "+582125551234", 'value="45"', "Empresa Demo", "Vence"):
        assert text in page, text
    assert analyst.get("/console/cases/1234567").status_code == 404


def test_edit_validates_on_the_server_and_keeps_an_audit_trail(app, analyst):
    """Bad input is shown back as form errors and changes nothing; good input is saved, the
    company linked to the registered one, and each field's change audited."""
    with transaction(engine(app)) as tx:
        company = directory.add_company(tx, "Empresa Demo", 1, utcnow())
    case = open_test_case(app, company="empresa dem")
    form = {"company_name": "Empresa Demo", "caller_name": "María Pérez",
            "caller_position": "Gerente", "email": "no-es-correo", "callback_number": "12",
            "callback_extension": "4x", "severity": "1"}
    refused = analyst.post(f"/console/cases/{case.number}/edit", form)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    for error in ("No es un correo válido", "No es un número de teléfono válido",
                  "Solo dígitos"):
        assert error in page
    assert read_case(app, case.number).caller_name is None
    form.update(email="Maria@Example.com", callback_number="0212 555 1234",
                callback_extension="45")
    assert analyst.post(f"/console/cases/{case.number}/edit", form).status_code == 303
    saved = read_case(app, case.number)
    assert (saved.company_id, saved.company_name, saved.email) == (
        company.id, "Empresa Demo", "maria@example.com")
    assert saved.callback_number == "+582125551234" and saved.severity == 1
    assert saved.due_at < case.due_at  # a contract of 1 hour, severity 1: due sooner
    with transaction(engine(app)) as tx:
        changes = {e.field: (e.old_value, e.new_value, e.user_id)
                   for e in audit.entries_of_row(tx, "cases", case.id)}
    assert changes["company_name"] == ("empresa dem", "Empresa Demo", analyst.user.id)
    assert changes["company_id"][1] == str(company.id)
    assert {"caller_name", "email", "callback_number", "severity", "due_at"} <= set(changes)
    page = analyst.get(f"/console/cases/{case.number}").get_data(as_text=True)
    assert "cambió empresa" in page and "<ins>Empresa Demo</ins>" in page


def test_notes_are_appended_with_author(app, analyst):
    """Notes go into the timeline with who wrote them; an empty one is a form error."""
    case = open_test_case(app)
    assert analyst.post(f"/console/cases/{case.number}/notes", {"body": "  "}).status_code == 400
    analyst.post(f"/console/cases/{case.number}/notes", {"body": "Llamé, no contestan."})
    analyst.post(f"/console/cases/{case.number}/notes", {"body": "<b>Reinicié</b> el equipo."})
    page = analyst.get(f"/console/cases/{case.number}").get_data(as_text=True)
    assert page.index("Llamé, no contestan.") < page.index("&lt;b&gt;Reinicié")
    assert "Nota de Ana Analista" in page


def test_status_change_resolves_and_leaves_the_queue(app, analyst):
    """Resolved: out of the callback queue, and audited."""
    case = open_test_case(app)
    analyst.post(f"/console/cases/{case.number}/status", {"status": "resolved"})
    saved = read_case(app, case.number)
    assert saved.status == CaseStatus.RESOLVED and saved.callback_state == CallbackState.DONE
    assert analyst.post(f"/console/cases/{case.number}/status",
                        {"status": "closed"}).status_code == 400


def test_visit_in_caracas_time(app, analyst):
    """A visit typed as Caracas time is stored in UTC (4 hours later), with cost and status."""
    case = open_test_case(app)
    form = {"day": "2027-02-10", "time": "14:30", "cost": "35.5", "visit_status": "confirmed"}
    assert analyst.post(f"/console/cases/{case.number}/visit", form).status_code == 303
    saved = read_case(app, case.number)
    assert saved.visit_at == datetime(2027, 2, 10, 18, 30)
    assert saved.visit_cost == Decimal("35.50") and saved.visit_status == "confirmed"
    assert saved.status == CaseStatus.VISIT_SCHEDULED
    bad = dict(form, cost="-3", day="")
    response = analyst.post(f"/console/cases/{case.number}/visit", bad)
    assert response.status_code == 400 and "Este campo es obligatorio" in response.get_data(
        as_text=True)


def test_coordinator_assigns_a_case(app, analyst):
    """The coordinator gives a case to an analyst: in progress, audited with who did it."""
    coordinator = make_user(app, email="coord@example.com", role=UserRole.COORDINATOR,
                            name="Coordinadora")
    console = Console(app)
    console.login(email="coord@example.com")
    case = open_test_case(app)
    response = console.post(f"/console/cases/{case.number}/assign",
                            {"analyst_id": str(analyst.user.analyst_id)})
    assert response.status_code == 303
    saved = read_case(app, case.number)
    assert saved.assigned_analyst_id == analyst.user.analyst_id
    with transaction(engine(app)) as tx:
        assert {e.user_id for e in audit.entries_of_row(tx, "cases", case.id)} == {
            coordinator.id}
