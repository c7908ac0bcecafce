"""The console's queue in headless Chromium shows a callback whose analysts were warned
('aviso enviado'); screenshots at 1280 and 390 px in tests/screenshots/."""

from __future__ import annotations

import pytest
import time_machine

from ivr.domain.clock import utcnow
from ivr.services import overdue
from ivr.store.tx import transaction
from tests.browser_support import require_chromium
from tests.conftest import caracas
from tests.console_support import PASSWORD, engine, make_user
from tests.routing_support import make_case
from tests.test_console_browser import WIDTHS, shoot

require_chromium()


@pytest.mark.slow  # Chromium's start and two screenshots
def test_queue_marks_a_warned_callback(app, server, browser):
    """Due at 11:00, warned at 10:35: the queue row carries the mark; an overdue one does not
    (it is highlighted as overdue instead)."""
    with time_machine.travel(caracas("2027-02-16 10:35"), tick=True):
        make_user(app, email="ana@example.com")
        with transaction(engine(app)) as tx:
            make_case(tx, "3052530", created="2027-02-16 09:00", due="2027-02-16 11:00",
                      company="Farmacia El Ávila, C.A.", severity=1)
            make_case(tx, "1111118", created="2027-02-16 08:30", due="2027-02-16 10:30",
                      company="Banco X", severity=2)
        overdue.sweep(engine(app), utcnow(), overdue.OverdueConfig(30, None))
        page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900},
                                locale="es-VE", timezone_id="America/Caracas")
        page.goto(f"{server}/console/login")
        page.fill("input[name=email]", "ana@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Ingresar')")
        page.wait_for_url(f"{server}/console/")
        warned = page.locator("table.queue tr", has_text="3052530")
        assert warned.locator(".badge.warn", has_text="aviso enviado").count() == 1
        late = page.locator("table.queue tr", has_text="1111118")
        assert "overdue" in (late.get_attribute("class") or "")
        assert late.locator(".badge.warn").count() == 0
        shoot(page, "20-queue-warned")
