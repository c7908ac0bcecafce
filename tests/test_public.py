"""The public page /ayuda: a case's status for its number and phone (or e-mail), the one
answer for a wrong case and a wrong phone, the throttle, the centre's contacts and hours."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

import pytest

from ivr import create_app
from ivr.domain.business_hours import CARACAS, to_naive_utc
from ivr.domain.case_numbers import make_case_number
from ivr.domain.clock import utcnow
from ivr.domain.statuses import CaseStatus, VisitStatus
from ivr.public import views
from ivr.services import cases as case_service
from ivr.services import directory, public_lookup
from ivr.store import lookups
from ivr.store.tx import transaction
from tests.conftest import TOKEN
from tests.console_support import engine, open_test_case
from tests.html_support import attributes, texts

CALLER = "+584125550123"
CSRF_INPUT = 'name="csrf_token"'


def ask(client, number, who, address="10.0.0.1", **kw):
    """Post the form from an address."""
    return client.post("/ayuda/", data={"number": number, "who": who},
                       environ_base={"REMOTE_ADDR": address}, **kw)


def failures(app) -> int:
    """Rows of lookup_failures."""
    with transaction(engine(app)) as tx:
        return lookups.failures_of_address(tx, "10.0.0.1", datetime(2000, 1, 1)) + \
            lookups.failures_of_address(tx, "10.0.0.2", datetime(2000, 1, 1))


def unused_number(case_number: str) -> str:
    """A well-formed case number that is not this one."""
    body = int(case_number[:-1])
    return make_case_number(body + 1 if body < 999_999 else body - 1)


@pytest.fixture
def visited(app, clock):
    """A case opened Tuesday 16 February 2027 at 09:00 (Caracas) with a confirmed visit on
    Thursday 18 at 10:30 costing 1.245,50."""
    clock("2027-02-16 09:00")
    case = open_test_case(app, caller=CALLER)
    with transaction(engine(app)) as tx:
        at = to_naive_utc(datetime(2027, 2, 18, 10, 30, tzinfo=CARACAS))
        return case_service.schedule_visit(tx, case, at, Decimal("1245.50"),
                                           VisitStatus.CONFIRMED, utcnow())


@pytest.mark.parametrize("phone", [CALLER, "0412-555.01.23", "(0412) 555 01 23",
                                   "+58 412 5550123"])
def test_right_case_and_phone_show_status_visit_and_next_step(app, visited, phone):
    """The number and the phone it was opened from, in any usual format: status, the visit as
    people read it, the next step; nothing else of the case."""
    response = ask(app.test_client(), visited.number, phone)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert texts(page, "span", "number") == [visited.number]
    assert texts(page, "dd", "status") == ["Visita programada"]
    assert texts(page, "dd", "visit") == [
        "jueves 18 de febrero de 2027, a las 10:30 a. m. Costo estimado: 1.245,50 dólares"]
    assert texts(page, "dd", "next")[0].startswith("Espere la visita")
    assert "Empresa Demo" not in page and "5550123" not in page
    assert failures(app) == 0


def test_received_case_tells_when_it_will_be_called_back(app, clock):
    """A received case: the callback's due time in words, no visit."""
    clock("2027-02-16 09:00")
    case = open_test_case(app, caller=CALLER, severity=1)
    page = ask(app.test_client(), case.number, CALLER).get_data(as_text=True)
    assert texts(page, "dd", "status") == ["Recibido, en espera de un especialista"]
    assert texts(page, "dd", "visit") == []
    assert texts(page, "dd", "next") == [
        "Un especialista le llamará hoy antes de las once de la mañana."]


def test_email_of_the_case_or_of_its_contact_works(app, clock):
    """The e-mail the caller gave, or the registered contact's, in any case of letters."""
    clock("2027-02-16 09:00")
    with transaction(engine(app)) as tx:
        directory.add_company(tx, "Empresa Demo", None, utcnow())
        contact = directory.add_contact(tx, "Empresa Demo", "Ana Prueba", "+584145550000",
                                        "Gerente", "ana@empresa.example", utcnow())
    case = open_test_case(app, caller=CALLER)
    with transaction(engine(app)) as tx:
        case = case_service.change_case(tx, case, utcnow(), email="compras@empresa.example",
                                        contact_id=contact.id)
    client = app.test_client()
    for who in ("Compras@Empresa.example", "ana@empresa.example"):
        response = ask(client, case.number, who)
        assert response.status_code == 200, who
        assert texts(response.get_data(as_text=True), "dd", "status")
    assert ask(client, case.number, "otro@empresa.example").status_code == 404


def test_wrong_case_and_wrong_phone_get_the_same_answer(app, visited):
    """A number that is no case and a phone that is not the case's: one answer, one status,
    and each counted as a miss."""
    client = app.test_client()
    wrong_phone = ask(client, visited.number, "04145550199")
    wrong_case = ask(client, unused_number(visited.number), "04145550199")
    assert wrong_phone.status_code == wrong_case.status_code == 404
    pages = [r.get_data(as_text=True) for r in (wrong_phone, wrong_case)]
    assert pages[0].replace(visited.number, "N") == pages[1].replace(
        unused_number(visited.number), "N")
    assert texts(pages[0], "p", "error") == [
        "No encontramos ese caso con ese número. Revise ambos datos e intente de nuevo."]
    assert texts(pages[0], "dd", "status") == []
    assert failures(app) == 2


@pytest.mark.parametrize(("number", "who", "error"), [
    ("1234", CALLER, "Un número de caso tiene 7 u 8 u 9 dígitos."),
    ("1234567", CALLER, "Ese número de caso no es válido: revise los dígitos (el último es de "
                        "control)."),
    ("", CALLER, "Este campo es obligatorio."),
    ("VALID", "12", "Escriba el teléfono con su código de área, por ejemplo 0414 123 4567, o "
                    "un correo."),
    ("VALID", "ana@", "No es un correo válido."),
])
def test_bad_input_is_a_form_error_and_never_a_lookup(app, visited, number, who, error):
    """A wrong check digit (as on the phone), a wrong length, a phone that is none: 400 with
    the field's error, nothing counted."""
    number = visited.number if number == "VALID" else number
    if number == "1234567":
        assert make_case_number(123456) != "1234567"
    response = ask(app.test_client(), number, who)
    assert response.status_code == 400
    assert error in texts(response.get_data(as_text=True), "p", "error")
    assert failures(app) == 0


def test_throttled_per_case_number_then_free_again(app, visited, clock):
    """Five misses on one case number within 15 minutes, from any addresses: the sixth try is
    429 even with the right phone; the window passes and it answers again."""
    client = app.test_client()
    for n in range(public_lookup.FAILURES_PER_CASE):
        assert ask(client, visited.number, f"041455501{n:02d}",
                   address=f"10.0.1.{n}").status_code == 404
    refused = ask(client, visited.number, CALLER, address="10.0.2.1")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "900"
    assert "Demasiados intentos" in " ".join(texts(refused.get_data(as_text=True), "p", "error"))
    assert texts(refused.get_data(as_text=True), "dd", "status") == []
    clock("2027-02-16 09:16")
    assert ask(client, visited.number, CALLER, address="10.0.2.1").status_code == 200


def test_throttled_per_client_address(app, visited):
    """Twenty misses from one address, over many numbers, stop that address only."""
    client = app.test_client()
    body = int(visited.number[:-1])
    for n in range(public_lookup.FAILURES_PER_ADDRESS):
        number = make_case_number(100_000 + n if body != 100_000 + n else 200_000 + n)
        assert ask(client, number, CALLER).status_code == 404
    assert ask(client, visited.number, CALLER).status_code == 429
    assert ask(client, visited.number, CALLER, address="10.0.0.2").status_code == 200


@pytest.mark.parametrize(("when", "state", "change"), [
    ("2027-02-16 09:00", "Abierto ahora", "hasta las 12:00"),
    ("2027-02-16 12:30", "Cerrado por el almuerzo",
     "Volvemos a atender hoy a las dos de la tarde"),
    ("2027-02-13 10:00", "Cerrado el fin de semana",
     "Volvemos a atender el lunes 15 de febrero a las ocho y media de la mañana"),
    ("2027-02-08 10:00", "Cerrado por día feriado: Lunes de Carnaval",
     "Volvemos a atender el miércoles 10 de febrero a las ocho y media de la mañana"),
])
def test_contacts_hours_and_whether_open_now(app, clock, when, state, change):
    """Both lines, the e-mail, the weekly hours and whether the centre is open now, by the
    line's own schedule (lunch, weekends, holidays)."""
    clock(when)
    page = app.test_client().get("/ayuda/").get_data(as_text=True)
    assert texts(page, "p", "open-now") == [f"{state} · {change}"]
    assert [a["href"] for a in attributes(page, "a") if a["href"].startswith("tel:")] == [
        "tel:+582124713239", "tel:+582127143934"]
    facts = texts(page, "dd")
    assert facts[0] == "(0212) 471.32.39 (0212) 714.39.34"
    assert facts[1] == "ayuda@ccoapoyo.com"
    assert facts[2].startswith("Lunes a viernes: 8:30 a 12:00 y 14:00 a 17:30")


def test_every_public_route_answers_anonymous_visitors_with_the_headers(app):
    """The route walk: every /ayuda route answers without a login, with the console's
    security headers (CSP without inline script), never cached but for the stylesheet."""
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/ayuda")]
    assert {r.endpoint for r in rules} == {"public.ayuda", "public.look_up", "public.static"}
    client = app.test_client()
    for rule in rules:
        url = "/ayuda/static/ayuda.css" if rule.endpoint == "public.static" else rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            response.close()
            assert response.status_code in (200, 400), (rule.rule, method)
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Frame-Options"] == "DENY"
            if rule.endpoint != "public.static":
                assert response.headers["Cache-Control"] == "no-store"
                page = response.get_data(as_text=True)
                assert "<script" not in page and "style=" not in page


def test_csrf_on_the_form(app, visited):
    """With CSRF on, as in production: a post without the page's token is refused (400), and
    nothing is looked up; with it, the answer comes."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    assert ask(client, visited.number, CALLER).status_code == 400
    page = client.get("/ayuda/").get_data(as_text=True)
    [token] = [a["value"] for a in attributes(page, "input") if a.get("name") == "csrf_token"]
    response = client.post("/ayuda/", data={"number": visited.number, "who": CALLER,
                                            "csrf_token": token})
    assert response.status_code == 200
    assert texts(response.get_data(as_text=True), "dd", "status") == ["Visita programada"]


def test_without_proxy_hops_the_log_says_once_that_visitors_look_alike(app, caplog):
    """Once per process, not per request."""
    views._warned.clear()
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="ivr.public"):
        client.get("/ayuda/")
        client.get("/ayuda/")
    said = [r for r in caplog.records if "PROXY_HOPS" in r.getMessage()]
    assert len(said) == 1 and "every visitor looks alike" in said[0].getMessage()


def test_with_proxy_hops_each_forwarded_address_counts_apart(database_url, tmp_path, caplog,
                                                             clock):
    """PROXY_HOPS=1: the address X-Forwarded-For names is the client's; no warning."""
    clock("2027-02-16 09:00")
    app = create_app({"IVR_ENV": "testing", "DATABASE_URL": database_url,
                      "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "test-secret",
                      "PUBLIC_BASE_URL": "", "PROXY_HOPS": "1",
                      "SPOOL_DIR": str(tmp_path / "spool")})
    app.instance_path = str(tmp_path)
    app.extensions["ivr"].schedules.path = str(tmp_path / "schedule-cache.json")
    try:
        views._warned.clear()
        client = app.test_client()
        with caplog.at_level(logging.WARNING, logger="ivr.public"):
            for n in range(3):
                response = client.post(
                    "/ayuda/", data={"number": make_case_number(424242 + n), "who": CALLER},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"})
                assert response.status_code == 404
        assert not [r for r in caplog.records if "PROXY_HOPS" in r.getMessage()]
        with transaction(engine(app)) as tx:
            since = datetime(2000, 1, 1)
            for n in range(3):
                assert lookups.failures_of_address(tx, f"203.0.113.{n}", since) == 1
            assert lookups.failures_of_address(tx, "127.0.0.1", since) == 0
    finally:
        with transaction(engine(app)) as tx:
            lookups.forget_failures(tx, datetime(2100, 1, 1))
        app.extensions["ivr"].engine.dispose()


def test_next_step_for_every_status():
    """Each status has its next step."""
    steps = {s: public_lookup.next_step(_Case(s), utcnow()) for s in CaseStatus}
    assert steps[CaseStatus.RESOLVED] == public_lookup.NextStep.RESOLVED
    assert steps[CaseStatus.WAITING_CLIENT] == public_lookup.NextStep.CLIENT
    assert len(set(steps.values())) == len(CaseStatus)


class _Case:
    """A case with only a status."""

    def __init__(self, status):
        self.status = status
