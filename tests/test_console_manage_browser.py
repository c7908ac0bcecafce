"""The coordinator's screens in headless Chromium (Debian's /usr/bin/chromium through
Playwright, CSRF on): an analyst added with skills and a PIN shown once, emergency phones
reordered, Saturday hours and the preview, a company with a contact, a user, and the audit
trail of it all. Screenshots at 1280 and 390 px in tests/screenshots/ (ignored by git).

Skipped when Chromium is not installed, unless REQUIRE_BROWSER=1 (as .ci/run sets).
"""

from __future__ import annotations

import pytest
import time_machine

from ivr.domain.clock import utcnow
from ivr.domain.statuses import UserRole
from ivr.services import directory
from ivr.services.skills import seed_skills
from ivr.store.tx import transaction
from tests.browser_support import SHOTS, require_chromium
from tests.conftest import caracas
from tests.console_support import PASSWORD, engine, make_user

WIDTHS = (1280, 390)

require_chromium()


def shoot(page, name: str) -> None:
    """The current screen at each width, whole page."""
    SHOTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


@pytest.mark.slow  # Chromium's start and a dozen full-page screenshots
def test_coordinator_runs_the_centre_in_the_browser(app, server, browser):
    """Each of the coordinator's screens, used as a person would."""
    with time_machine.travel(caracas("2027-02-16 09:00"), tick=True):
        make_user(app, email="ana@example.com")
        make_user(app, email="coord@example.com", role=UserRole.COORDINATOR,
                  name="Carla Coordinadora")
        with transaction(engine(app)) as tx:
            seed_skills(tx, utcnow())
            directory.add_emergency(tx, "Filippo Maniscalco", "+584140143913", None, utcnow())
            directory.add_emergency(tx, "Birmania Muñoz", "+584140320151", None, utcnow())
        page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900},
                                locale="es-VE", timezone_id="America/Caracas")
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/console/login")
        page.fill("input[name=email]", "coord@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Ingresar')")
        page.click("a:has-text('Coordinación')")
        page.wait_for_url(f"{server}/console/manage/analysts")

        page.fill("form[action$='/manage/analysts'] input[name=name]", "Luis Rondón")
        page.fill("form[action$='/manage/analysts'] input[name=phone]", "0414 555 0199")
        page.click("button:has-text('Agregar')")
        page.wait_for_selector(".flash-ok:has-text('Luis Rondón agregado')")
        page.check("input[value=redes]")
        page.check("input[value=servidores]")
        page.click("button:has-text('Guardar habilidades')")
        page.wait_for_selector(".flash-ok:has-text('Habilidades guardadas')")
        page.click("button:has-text('Generar un PIN nuevo')")
        assert len(page.locator("#nuevo-pin").inner_text()) == 6
        shoot(page, "coord-01-analyst-pin")
        page.click(".subnav a:has-text('Analistas')")
        assert "redes, servidores" in page.locator("#analistas").inner_text()
        shoot(page, "coord-02-analysts")

        page.click(".subnav a:has-text('Emergencias')")
        page.click("#orden li:nth-child(2) button:has-text('Subir')")
        page.wait_for_selector(".flash-ok:has-text('Orden actualizado')")
        assert page.locator("#orden li:first-child").inner_text().count("Birmania") == 1
        shoot(page, "coord-03-emergency")

        page.click(".subnav a:has-text('Horario y cierres')")
        page.fill("input[name=d5-open1]", "09:00")
        page.fill("input[name=d5-close1]", "12:00")
        page.click("form[action$='/manage/hours/5'] button")
        page.wait_for_selector(".flash-ok:has-text('sábado guardado')")
        page.fill("form[action$='/manage/closures'] input[name=day]", "2027-02-19")
        page.fill("form[action$='/manage/closures'] input[name=reason]", "inventario anual")
        page.click("button:has-text('Agregar cierre')")
        page.wait_for_selector(".flash-ok:has-text('Cierre agregado')")
        page.fill("#vista-previa input[name=day]", "2027-02-19")
        page.fill("#vista-previa input[name=time]", "10:00")
        page.click("button:has-text('Escuchar')")
        preview = page.locator(".preview").inner_text()
        assert "El viernes 19 de febrero de 2027 a las 10:00 la línea dice:" in preview
        assert "inventario anual" in preview and "Volvemos a atenderle mañana" in preview
        shoot(page, "coord-04-hours-preview")

        page.click(".subnav a:has-text('Empresas')")
        page.fill("input[name=name]", "Comercial Ejemplo")
        page.fill("input[name=contract_hours]", "8")
        page.click("button:has-text('Agregar')")
        page.wait_for_selector(".flash-ok:has-text('Comercial Ejemplo agregada')")
        page.fill("form[action$='/contacts'] input[name=name]", "Eva Ensayo")
        page.fill("form[action$='/contacts'] input[name=phone]", "12345")
        page.click("button:has-text('Agregar contacto')")
        assert page.locator(".error", has_text="No es un número de teléfono válido").count() == 1
        page.fill("form[action$='/contacts'] input[name=phone]", "0212 555 0142")
        page.click("button:has-text('Agregar contacto')")
        page.wait_for_selector(".flash-ok:has-text('Contacto agregado')")
        shoot(page, "coord-05-company")

        page.click(".subnav a:has-text('Usuarios')")
        page.fill("input[name=name]", "Pedro Pérez")
        page.fill("input[name=email]", "pedro@example.com")
        page.select_option("select[name=role]", "coordinator")
        page.fill("input[name=password]", "una clave bastante larga")
        page.click("button:has-text('Agregar')")
        page.wait_for_selector(".flash-ok:has-text('pedro@example.com agregado')")
        shoot(page, "coord-06-user")

        page.click(".subnav a:has-text('Auditoría')")
        trail = page.locator("table.trail").inner_text()
        assert "Carla Coordinadora" in trail and "Luis Rondón" in trail
        assert "inventario anual" in trail and "Pedro Pérez" in trail
        shoot(page, "coord-07-audit")
        assert [e for e in errors if "400" not in e] == []
