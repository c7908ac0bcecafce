"""The dashboard, the wallboard and the public page /ayuda in headless Chromium (Debian's
/usr/bin/chromium through Playwright, as tests/test_console_browser.py): no script error, no
CSP violation, nothing wider than a phone's screen; the wallboard's panel refreshed by its own
poll. Screenshots go to tests/screenshots/ (ignored by git).
"""

from __future__ import annotations

import pytest
import time_machine

from ivr.domain.statuses import AnalystStatus
from tests.browser_support import SHOTS, require_chromium
from tests.conftest import Twilio, call_params, caracas, twiml
from tests.console_support import make_user, open_test_case, set_status
from tests.test_dashboard import DAY, seed_day, seed_holds

require_chromium()

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}


def shoot(page, name: str, sizes=(WIDE, PHONE)) -> None:
    """The whole page at each size."""
    SHOTS.mkdir(exist_ok=True)
    for size in sizes:
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{size['width']}.png"), full_page=True)


def fits(page) -> bool:
    """Nothing wider than the window (no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def watch(page) -> list[str]:
    """Collect the page's script errors and CSP violations."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def log_in(page, server) -> None:
    """Through the login form."""
    page.goto(f"{server}/console/login")
    page.fill("input[name=email]", "ana@example.com")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button:has-text('Ingresar')")
    page.wait_for_url(f"{server}/console/")


@pytest.mark.slow  # Chromium's start and a dozen full-page screenshots
def test_dashboard_and_wallboard_in_the_browser(app, server, browser):
    """The seeded day on the dashboard (chart, tables, CSV link) at a desk's width and a
    phone's; the wallboard refreshes its panel by itself when an analyst's state changes."""
    app.config["WALLBOARD_POLL_SECONDS"] = 1
    with time_machine.travel(caracas(f"{DAY} 16:00"), tick=True):
        seed_day(app)
        make_user(app, phone="+15005550199")
        page = browser.new_page(viewport=WIDE, locale="es-VE", timezone_id="America/Caracas")
        errors = watch(page)
        log_in(page, server)
        page.click("nav a:has-text('Tablero')")
        page.wait_for_url(f"{server}/console/dashboard")
        assert page.locator("svg rect.bar").count() == 48
        assert page.locator("#kpi-overdue").inner_text() == "1"
        row = page.locator("#periodo-today table.outcomes tr", has_text="Colgaron en el menú")
        assert row.inner_text().split()[-1] == "1"
        shoot(page, "07-dashboard")
        page.set_viewport_size(PHONE)
        assert fits(page)
        with page.expect_download() as download:
            page.click("#periodo-today a:has-text('Descargar CSV') >> nth=0")
        assert download.value.suggested_filename.startswith("tablero-horas-today-")

        page.set_viewport_size({"width": 1920, "height": 1080})
        page.goto(f"{server}/console/wallboard")
        seat = page.locator("li.seat", has_text="Beto")
        assert "Disponible" in seat.inner_text()
        assert page.locator("#wall-overdue").inner_text() == "1"
        set_status(app, 2, AnalystStatus.AWAY)
        page.wait_for_selector("li.seat-away:has-text('Beto')", timeout=5000)
        twilio = Twilio(app)
        sid = twilio.new_sid()
        root = twiml(twilio.post("/voice/connect?r=1", call_params(sid)))
        number = root.find("Dial").find("Number")
        leg = twilio.new_sid()
        whisper = twiml(twilio.post(number.get("url"), call_params(leg, ParentCallSid=sid)))
        twiml(twilio.post(whisper.find("Gather").get("action"), call_params(leg, Digits="1")))
        page.wait_for_selector("li.seat-on_call:has-text('Ana')", timeout=5000)
        shoot(page, "08-wallboard", sizes=({"width": 1920, "height": 1080}, WIDE, PHONE))
        assert fits(page)
        assert errors == []


@pytest.mark.slow  # Chromium's start and four screenshots
def test_wallboard_with_callers_on_hold_in_the_browser(app, server, browser):
    """Three callers on hold (one being offered) and an analyst closing a call, on the
    wallboard at a desk's width and a phone's: the list in the line's order, nothing wider
    than the window, no script error."""
    with time_machine.travel(caracas(f"{DAY} 16:00"), tick=True):
        seed_day(app)
        seed_holds(app)
        make_user(app, phone="+15005550199")
        page = browser.new_page(viewport=WIDE, locale="es-VE", timezone_id="America/Caracas")
        errors = watch(page)
        log_in(page, server)
        page.goto(f"{server}/console/wallboard")
        assert page.locator("#wall-hold-count").inner_text() == "3"
        assert page.locator("li.hold .num").all_inner_texts() == [
            "0000005", "0000004", "0000006"]
        assert "ofrecido a Beto" in page.locator("li.hold.offered").inner_text()
        assert "Cerrando llamada" in page.locator("li.seat-wrap_up").inner_text()
        shoot(page, "12-wallboard-espera", sizes=(WIDE, PHONE))
        assert fits(page)
        page.set_viewport_size(WIDE)
        assert fits(page)
        assert errors == []


@pytest.mark.slow
def test_public_page_on_a_phone(app, server, browser):
    """/ayuda on a phone-sized window: the form, the one answer for a wrong phone, then the
    case with its visit and next step; the centre's contacts below."""
    with time_machine.travel(caracas("2027-02-16 09:00"), tick=True):
        case = open_test_case(app, caller="+584125550123")
        page = browser.new_page(viewport=PHONE, locale="es-VE", timezone_id="America/Caracas",
                                is_mobile=True, has_touch=True, device_scale_factor=2)
        errors = watch(page)
        page.goto(f"{server}/ayuda/")
        assert page.locator(".open-now").inner_text().startswith("Abierto ahora")
        assert fits(page)
        shoot(page, "09-ayuda", sizes=(PHONE,))
        page.fill("input[name=number]", case.number)
        page.fill("input[name=who]", "0414 555 0199")
        page.click("button:has-text('Consultar')")
        page.wait_for_selector("p.error.box")
        assert "No encontramos ese caso con ese número" in page.locator("p.error.box").inner_text()
        shoot(page, "10-ayuda-no-encontrado", sizes=(PHONE,))
        page.fill("input[name=who]", "0412-555.01.23")
        page.click("button:has-text('Consultar')")
        page.wait_for_selector("dd.status")
        assert page.locator("dd.status").inner_text() == "Recibido, en espera de un especialista"
        assert fits(page)
        shoot(page, "11-ayuda-caso", sizes=(PHONE, WIDE))
        # The one 404 is the answer for the wrong phone; nothing else went wrong.
        assert [e for e in errors if "404" not in e] == []
