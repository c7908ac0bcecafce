"""The coordinator's screens: analysts, emergency phones, users, the audit trail, opening hours
and closures with the preview, companies and contacts. Each change goes through the service
its command uses and leaves an audit row with who made it."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from ivr.domain.business_hours import to_caracas
from ivr.domain.clock import utcnow
from ivr.domain.statuses import AnalystStatus, UserRole
from ivr.services import directory, notices
from ivr.services import skills as skill_service
from ivr.store import audit
from ivr.store.tx import Q, transaction
from tests.console_support import Console, engine, make_user
from tests.html_support import texts

COORDINATOR = "coord@example.com"


@pytest.fixture
def coordinator(app):
    """A logged-in coordinator (and an analyst user beside, Ana)."""
    make_user(app)
    user = make_user(app, email=COORDINATOR, role=UserRole.COORDINATOR, name="Coordinadora")
    console = Console(app)
    console.login(email=COORDINATOR)
    console.user = user
    return console


def trail(app, table, row_id):
    """A row's audit entries (field, old, new, user_id)."""
    with transaction(engine(app)) as tx:
        return [(e.field, e.old_value, e.new_value, e.user_id)
                for e in audit.entries_of_row(tx, table, row_id)]


def test_pages_render_for_the_coordinator(app, coordinator):
    """Every page of the section opens, in Spanish, with the section's navigation."""
    for path in ("/console/manage/analysts", "/console/manage/emergency",
                 "/console/manage/users", "/console/manage/audit", "/console/manage/hours",
                 "/console/manage/companies"):
        response = coordinator.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert 'aria-label="Coordinación"' in page and "<script" not in page
    assert coordinator.get("/console/manage/").status_code == 302


def test_analyst_add_edit_skills_pin_deactivate_each_audited(app, coordinator):
    """Add, rename, skills, a PIN shown once, deactivate and activate: each change through
    the directory's functions, each with an audit row naming the coordinator."""
    me = coordinator.user.id
    with transaction(engine(app)) as tx:
        skill_service.seed_skills(tx, utcnow())
    refused = coordinator.post("/console/manage/analysts", {"name": "", "phone": "12"})
    assert refused.status_code == 400 and "No es un número de teléfono válido" in \
        refused.get_data(as_text=True)
    added = coordinator.post("/console/manage/analysts",
                             {"name": "Luis Prueba", "phone": "0414 555 0199"})
    assert added.status_code == 303
    analyst_id = int(added.location.rsplit("/", 1)[1])
    base = f"/console/manage/analysts/{analyst_id}"
    assert coordinator.post(f"{base}/edit", {"name": "Luis Prueba Pérez",
                                             "phone": "0414 555 0199"}).status_code == 303
    assert coordinator.post(f"{base}/skills", {"skills": ["redes", "servidores"]}).status_code \
        == 303
    assert coordinator.post(f"{base}/skills", {"skills": ["inventada"]}).status_code == 400
    page = coordinator.post(f"{base}/pin").get_data(as_text=True)
    pin = re.search(r'id="nuevo-pin">(\d{6})<', page).group(1)
    assert pin not in coordinator.get(base).get_data(as_text=True)  # shown once
    assert coordinator.post(f"{base}/deactivate").status_code == 303
    with transaction(engine(app)) as tx:
        row = directory.get_analyst(tx, analyst_id)
        assert row.name == "Luis Prueba Pérez" and row.deactivated_at is not None
        assert directory.check_pin(row.pin_hash, pin)
        assert skill_service.skills_of(tx, row) == ["redes", "servidores"]
    assert coordinator.post(f"{base}/activate").status_code == 303
    entries = trail(app, "analysts", analyst_id)
    assert {(f, u) for f, _o, _n, u in entries} >= {
        ("created", me), ("name", me), ("skills", me), ("pin", me), ("deactivated_at", me)}
    assert all(pin not in (o or "") + (n or "") for _f, o, n, _u in entries)


class _Selects(HTMLParser):
    """Each <select>'s id, its options' (value, label) and the value selected."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: dict[str, dict] = {}
        self.current: dict | None = None
        self.option: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self.current = self.found[attrs.get("id") or attrs["name"]] = {
                "options": [], "selected": None, "name": attrs["name"],
                "label": attrs.get("aria-label")}
        elif tag == "option" and self.current is not None:
            self.option = {"value": attrs.get("value"), "label": ""}
            if "selected" in attrs:
                self.current["selected"] = attrs.get("value")

    def handle_data(self, data):
        if self.option is not None:
            self.option["label"] += data

    def handle_endtag(self, tag):
        if tag == "option" and self.option is not None:
            self.current["options"].append((self.option["value"], self.option["label"]))
            self.option = None
        elif tag == "select":
            self.current = None


def selects(page: str) -> dict[str, dict]:
    """The page's selects by id."""
    parser = _Selects()
    parser.feed(page)
    return parser.found


AREA_OPTIONS = [("", "ninguna"), ("equipment", "equipos"), ("printer", "impresoras"),
                ("network", "redes"), ("email", "correo"), ("software", "programas")]


def test_skill_areas_set_from_the_analysts_page(app, coordinator):
    """Each skill shows the fault area it serves in a select with Spanish labels; the
    coordinator changes it, clears it and adds a skill with one, each audited with who; a
    wrong area is the form's error in Spanish, nothing written."""
    me = coordinator.user.id
    with transaction(engine(app)) as tx:
        skill_service.seed_skills(tx, utcnow())
        ids = {s.name: s.id for s in skill_service.list_skills(tx)}
    page = coordinator.get("/console/manage/analysts").get_data(as_text=True)
    found = selects(page)
    assert found[f"area-{ids['redes']}"]["options"] == AREA_OPTIONS
    assert found[f"area-{ids['redes']}"]["selected"] == "network"
    assert found[f"area-{ids['redes']}"]["label"] == "Área de fallas de redes"
    assert found[f"area-{ids['correo']}"]["selected"] == "email"
    assert found["area"]["options"] == AREA_OPTIONS and found["area"]["selected"] == ""
    rows = texts(page, "tr", None)
    assert any(r.startswith("impresoras 0") for r in rows), rows

    base = f"/console/manage/skills/{ids['servidores']}/area"
    changed = coordinator.post(base, {"area": "software"})
    assert changed.status_code == 303
    assert "programas" in coordinator.get(changed.location).get_data(as_text=True)
    assert coordinator.post(f"/console/manage/skills/{ids['redes']}/area",
                            {"area": ""}).status_code == 303
    refused = coordinator.post(base, {"area": "cocina"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    row = next(r for r in texts(page, "tr", None) if r.startswith("servidores"))
    assert "Elija un área de la lista." in row
    assert texts(page, "p", "error") == ["Elija un área de la lista."]
    assert coordinator.post("/console/manage/skills/999/area",
                            {"area": "email"}).status_code == 404

    added = coordinator.post("/console/manage/skills", {"name": "Telefonía IP",
                                                        "area": "network"})
    assert added.status_code == 303
    bad = coordinator.post("/console/manage/skills", {"name": "cocina", "area": "kitchen"})
    assert bad.status_code == 400
    assert texts(bad.get_data(as_text=True), "p", "error") == ["Elija un área de la lista."]
    with transaction(engine(app)) as tx:
        areas = {s.name: s.area for s in skill_service.list_skills(tx)}
    assert areas == {"correo": "email", "impresoras": "printer", "redes": None,
                     "servidores": "software", "software administrativo": "software",
                     "telefonía ip": "network"}
    assert ("area", "equipment", "software", me) in trail(app, "skills", ids["servidores"])
    assert ("area", "network", None, me) in trail(app, "skills", ids["redes"])
    page = coordinator.get(f"/console/manage/audit?table=skills&person={me}").get_data(
        as_text=True)
    assert "área de fallas" in page and "telefonía ip" in page


def test_analysts_live_view_shows_the_wrap_up(app, coordinator):
    """An analyst whose call ended within the wrap-up time is closing the call, with the
    seconds left; one holding a call's lease is on a call; the others show their status."""
    now = utcnow()
    with transaction(engine(app)) as tx:
        luis = directory.add_analyst(tx, "Luis", "+584145550111", None, now)
        rosa = directory.add_analyst(tx, "Rosa", "+584145550112", None, now)
        for row in (luis, rosa):
            directory.set_analyst_status(tx, row, AnalystStatus.AVAILABLE, now)
        tx.update("analysts", luis.id, lease_call_sid=None,
                  lease_until=now + timedelta(seconds=40))
        tx.update("analysts", rosa.id, lease_call_sid="CAlive0001",
                  lease_until=now + timedelta(minutes=5))
        tx.run(Q("INSERT INTO dial_attempts (call_sid, seq, analyst_id, outcome, started_at)"
                 " VALUES ('CAlive0001', 1, :id, 'ringing', :at)"), id=rosa.id,
               at=now - timedelta(minutes=1))
    response = coordinator.get("/console/manage/analysts")
    assert response.status_code == 200  # the leg's start (an aggregate) read as a time
    page = response.get_data(as_text=True)
    rows = {r.split(" ")[0]: r for r in texts(page, "tr", None)}
    assert rows["Luis"].startswith("Luis Cerrando llamada quedan 40 s para quedar libre")
    started = to_caracas(now - timedelta(minutes=1)).strftime("%H:%M")
    assert rows["Rosa"].startswith(f"Rosa en llamada desde {started}"), rows["Rosa"]
    assert "Cerrando llamada" not in rows["Rosa"]
    assert rows["Ana"].startswith("Ana Analista No disponible libre desde")


def test_emergency_add_reorder_switch_ring_time(app, coordinator):
    """Added at the end, moved up and down (positions stay 1..n), switched off and on, its
    ring time set; all audited."""
    for name, phone in (("Uno", "0414 014 3913"), ("Dos", "0414 032 0151"),
                        ("Tres", "0412 555 0177")):
        assert coordinator.post("/console/manage/emergency", {
            "name": name, "phone": phone}).status_code == 303
    with transaction(engine(app)) as tx:
        ids = {r.name: r.id for r in directory.list_emergency(tx)}
    assert coordinator.post(f"/console/manage/emergency/{ids['Tres']}/up").status_code == 303
    assert coordinator.post(f"/console/manage/emergency/{ids['Uno']}/down").status_code == 303
    assert coordinator.post(f"/console/manage/emergency/{ids['Dos']}/off").status_code == 303
    bad = coordinator.post(f"/console/manage/emergency/{ids['Uno']}", {
        "name": "Uno", "phone": "0414 014 3913", "ring_seconds": "2"})
    assert bad.status_code == 400 and "Entre 5 y 120" in bad.get_data(as_text=True)
    assert coordinator.post(f"/console/manage/emergency/{ids['Uno']}", {
        "name": "Uno", "phone": "0414 014 3913", "ring_seconds": "25"}).status_code == 303
    with transaction(engine(app)) as tx:
        order = [(r.name, r.position, r.active, r.ring_seconds)
                 for r in directory.list_emergency(tx)]
    assert order == [("Tres", 1, True, None), ("Uno", 2, True, 25), ("Dos", 3, False, None)]
    fields = {f for f, *_ in trail(app, "emergency_contacts", ids["Uno"])}
    assert {"created", "position", "ring_seconds"} <= fields
    assert ("active", "true", "false", coordinator.user.id) in \
        trail(app, "emergency_contacts", ids["Dos"])


def test_users_add_role_password_disable(app, coordinator):
    """A user added, their role changed, a new password, disabled: the password policy is the
    one the command uses, and a coordinator cannot disable themselves."""
    weak = coordinator.post("/console/manage/users", {
        "name": "Pedro", "email": "pedro@example.com", "role": "coordinator",
        "password": "password1234"})
    assert weak.status_code == 400
    added = coordinator.post("/console/manage/users", {
        "name": "Pedro", "email": "pedro@example.com", "role": "coordinator",
        "password": "una clave bastante larga"})
    assert added.status_code == 303
    user_id = int(added.location.rsplit("/", 1)[1])
    base = f"/console/manage/users/{user_id}"
    assert coordinator.post(f"{base}/password", {"password": "otra clave bien larga"}) \
        .status_code == 303
    assert Console(app).login("pedro@example.com", "otra clave bien larga").status_code == 302
    assert coordinator.post(f"{base}/disable").status_code == 303
    assert Console(app).login("pedro@example.com", "otra clave bien larga").status_code == 401
    own = coordinator.post(f"/console/manage/users/{coordinator.user.id}/disable")
    assert own.status_code == 303
    assert coordinator.get("/console/manage/users").status_code == 200  # still logged in
    fields = [f for f, *_ in trail(app, "users", user_id)]
    assert fields == ["created", "password", "disabled_at"]


def test_hours_closure_and_preview(app, coordinator):
    """Saturday morning hours are saved and heard at once; a part-day closure with its reason
    is what the preview says; wrong windows are form errors."""
    bad = coordinator.post("/console/manage/hours/5", {"d5-open1": "13:00",
                                                       "d5-close1": "09:00"})
    assert bad.status_code == 400 and "Debe cerrar después de abrir" in bad.get_data(as_text=True)
    assert coordinator.post("/console/manage/hours/5", {
        "d5-open1": "09:00", "d5-close1": "12:00"}).status_code == 303
    page = coordinator.get("/console/manage/hours?day=2027-02-06&time=10:00").get_data(
        as_text=True)
    assert "El sábado 6 de febrero de 2027 a las 10:00 la línea dice:" in page
    assert "Para hablar con una persona, marque 0" in page  # open: the open menu
    assert coordinator.post("/console/manage/closures", {
        "day": "2027-02-10", "starts": "08:00", "ends": "13:00",
        "reason": "inventario anual"}).status_code == 303
    page = coordinator.get("/console/manage/hours?day=2027-02-10&time=09:00").get_data(
        as_text=True)
    assert "estamos cerrados: inventario anual" in page
    with transaction(engine(app)) as tx:
        [closure] = directory.list_closures(tx)
    base = f"/console/manage/closures/{closure.id}"
    assert "inventario anual" in coordinator.get(base).get_data(as_text=True)
    assert coordinator.post(base, {"day": "2027-02-10", "reason": "inventario anual",
                                   "starts": "", "ends": ""}).status_code == 303
    page = coordinator.get("/console/manage/hours?day=2027-02-10&time=15:00").get_data(
        as_text=True)
    assert "estamos cerrados: inventario anual" in page  # the whole day now
    assert ("ends", "13:00", None, coordinator.user.id) in trail(app, "closures", closure.id)
    with transaction(engine(app)) as tx:
        assert directory.weekday_hours(tx)[5] == [("09:00", "12:00")]
        for weekday in range(5):
            directory.set_weekday_hours(tx, weekday, [])
    last = coordinator.post("/console/manage/hours/5", {})  # the last open day
    assert last.status_code == 400 and "debe abrir algún día" in last.get_data(as_text=True)
    assert trail(app, "business_hours", 5) == [
        ("hours", "cerrado", "09:00-12:00", coordinator.user.id)]


def test_companies_contacts_and_merge(app, coordinator):
    """Companies added with a contract; a contact's phone checked; a phone of another
    company's contact refused naming it; a duplicate merged, its contacts and cases follow."""
    for name, hours in (("Comercial Ejemplo", "8"), ("Comercial Ejemplo C.A. (dup)", "")):
        assert coordinator.post("/console/manage/companies", {
            "name": name, "contract_hours": hours}).status_code == 303
    with transaction(engine(app)) as tx:
        ids = {c.name: c.id for c in directory.list_companies(tx)}
    keep, dup = ids["Comercial Ejemplo"], ids["Comercial Ejemplo C.A. (dup)"]
    bad = coordinator.post(f"/console/manage/companies/{dup}/contacts", {
        "name": "Eva", "phone": "12345"})
    assert bad.status_code == 400
    assert coordinator.post(f"/console/manage/companies/{dup}/contacts", {
        "name": "Eva Ensayo", "phone": "0212 555 0142", "email": "eva@example.com"}) \
        .status_code == 303
    clash = coordinator.post(f"/console/manage/companies/{keep}/contacts", {
        "name": "Otro", "phone": "+582125550142"})
    assert clash.status_code == 400 and "ya es de la empresa Comercial Ejemplo C.A. (dup)" in \
        clash.get_data(as_text=True)
    refused = coordinator.post(f"/console/manage/companies/{dup}/merge", {"into": keep})
    assert refused.status_code == 400  # not confirmed
    assert coordinator.post(f"/console/manage/companies/{dup}/merge", {
        "into": keep, "confirm": "y"}).status_code == 303
    with transaction(engine(app)) as tx:
        kept = directory.resolve_company(tx, str(keep))
        assert [c.name for c in directory.company_contacts(tx, kept)] == ["Eva Ensayo"]
        assert directory.find_company(tx, "Comercial Ejemplo C.A. (dup)").id == keep
        assert kept.contract_hours == 8
    assert ("merged", None, f"Comercial Ejemplo C.A. (dup) (id {dup}, 0 case(s))",
            coordinator.user.id) in trail(app, "companies", keep)


def test_audit_screen_filters_by_object_and_person(app, coordinator, runner):
    """One list of every change: the coordinator's and a command's, filtered by object and
    by person; no form on it writes anything."""
    coordinator.post("/console/manage/analysts", {"name": "Luis", "phone": "0414 555 0199"})
    assert runner.invoke(args=["skills", "add", "telefonía"]).exit_code == 0
    everything = coordinator.get("/console/manage/audit").get_data(as_text=True)
    assert "Luis" in everything and "telefonía" in everything
    assert re.search(r'href="/console/manage/analysts/\d+"', everything)  # to its page
    mine = coordinator.get(f"/console/manage/audit?person={coordinator.user.id}").get_data(
        as_text=True)
    assert "Luis" in mine and "telefonía" not in mine
    nobody = coordinator.get("/console/manage/audit?person=nadie&table=skills").get_data(
        as_text=True)
    assert "telefonía" in nobody and "Luis" not in nobody
    assert 'method="post"' not in everything.split("<main>")[1]
    assert coordinator.get("/console/manage/audit?table=nope").status_code == 400


NOTICE = "Tenemos una falla general de CANTV en Chacao; ya la estamos atendiendo."


def test_notice_added_heard_in_the_preview_and_ended(app, coordinator):
    """A notice set on the hours page is what the line says before the menu (the preview,
    built by the webhook's function), until the coordinator ends it; a notice ending in the
    past is a form error; both changes are audited with who made them."""
    local = to_caracas(utcnow())
    past = coordinator.post("/console/manage/notices", {
        "text": NOTICE, "ends_day": (local - timedelta(days=1)).date().isoformat(),
        "ends_time": "10:00"})
    assert past.status_code == 400 and "que ya pasó" in past.get_data(as_text=True)
    half = coordinator.post("/console/manage/notices", {
        "text": NOTICE, "starts_day": local.date().isoformat(), "starts_time": "",
        "ends_day": (local + timedelta(days=2)).date().isoformat(), "ends_time": "18:00"})
    assert half.status_code == 400 and "Indique día y hora de inicio" in \
        half.get_data(as_text=True)
    with transaction(engine(app)) as tx:
        assert notices.list_notices(tx) == []
    assert coordinator.post("/console/manage/notices", {
        "text": NOTICE, "ends_day": (local + timedelta(days=2)).date().isoformat(),
        "ends_time": "18:00"}).status_code == 303
    soon = local + timedelta(minutes=30)
    preview = f"/console/manage/hours?day={soon:%Y-%m-%d}&time={soon:%H:%M}"
    page = coordinator.get(preview).get_data(as_text=True)
    assert f"<p>«{NOTICE}»</p>" in page and "se dice ahora" in page
    with transaction(engine(app)) as tx:
        [notice] = notices.list_notices(tx)
    assert ("text", None, NOTICE, coordinator.user.id) in trail(app, "notices", notice.id)
    assert coordinator.post(f"/console/manage/notices/{notice.id}/end").status_code == 303
    page = coordinator.get(preview).get_data(as_text=True)
    assert f"<p>«{NOTICE}»</p>" not in page and "terminado" in page
    assert [f for f, _old, _new, who in trail(app, "notices", notice.id)
            if who == coordinator.user.id].count("ended_at") == 1
    again = coordinator.post(f"/console/manage/notices/{notice.id}/end", follow_redirects=True)
    assert "Ese aviso ya había terminado." in again.get_data(as_text=True)
