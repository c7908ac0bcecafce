"""End to end in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright):
log in, go available, a simulated call opens a case, it is in the queue, open it, play its
recording (streamed through the console from the fake of Twilio's API), correct the company,
add a note, schedule a visit, call the client back through the line (the fake answers the
call and walks its TwiML against the served app) and record the outcome; then a simulated
call from the company's contact, giving the case number, hears the visit read back.
Screenshots of each screen at 1280 and 390 px wide go to tests/screenshots/ (ignored by git).

Skipped when Chromium is not installed, unless REQUIRE_BROWSER=1 (as .ci/run sets).
"""

from __future__ import annotations

import io
import wave

import pytest
import time_machine

from ivr.domain.clock import utcnow
from ivr.domain.statuses import CallbackCallState, CallbackState, CaseStatus, VisitStatus
from ivr.services import directory, outbox
from ivr.services.callbacks import callback_attempts
from ivr.services.cases import find_case
from ivr.sim.simulator import HttpTransport
from ivr.store import callback_calls, worklists
from ivr.store.tx import transaction
from tests.browser_support import SHOTS, require_chromium
from tests.call_walker import HANGUP, Caller, CallWalk
from tests.conftest import TOKEN, Twilio, caracas
from tests.console_support import PASSWORD, engine, make_user
from tests.routing_support import configure
from tests.twilio_fake import ACCOUNT_SID

CALLER_ID = "+582124713239"
CONTACT = "+584145550150"  # Empresa Demo's registered contact
WIDTHS = (1280, 390)

require_chromium()


class Reporter(Caller):
    """Reports a fault for 'Empresa Demo' and, nobody answering, asks for a callback."""

    SPEECH = {"company": "Empresa Dem", "name": "María Pérez", "position": "Gerente"}

    def gather(self, path, args, gather):
        """The answers a reporting caller gives."""
        answers = {
            "/voice/menu": {"Digits": "2"},
            "/voice/report/field": {"SpeechResult": self.SPEECH.get(args.get("f"), "Demo"),
                                    "Confidence": "0.91"},
            "/voice/report/email": None,
            "/voice/report/callback": {"Digits": "1"},
            "/voice/report/severity": {"Digits": "1"},
            "/voice/report/after": {"Digits": "9"},
            "/voice/connect/choice": {"Digits": "1"},
            "/voice/case/option": HANGUP,
        }
        return answers.get(path, {"Digits": "1"})

    def dial(self, number):
        """The analyst does not pick up."""
        return "no-answer"


class Lookup(Caller):
    """The company's contact keys the case number and listens."""

    def __init__(self, number: str):
        """The case number to key."""
        self.number = number

    def gather(self, path, args, gather):
        """1 for a case number, the number, then hang up."""
        return {"/voice/menu": {"Digits": "1"}, "/voice/case/number": {"Digits": self.number},
                }.get(path, HANGUP)


def silence_wav(seconds: float = 1.0) -> bytes:
    """A short silent recording the browser can decode."""
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\0\0" * int(8000 * seconds))
    return out.getvalue()


def shoot(page, name: str, part: str | None = None) -> None:
    """The current screen at each width, whole page; and the `part` (a selector) alone."""
    SHOTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        if part:
            page.locator(part).screenshot(path=str(SHOTS / f"{name}-part-{width}.png"))
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


@pytest.mark.slow  # about 10 s per database: Chromium's start and 18 full-page screenshots
def test_analyst_works_a_new_case_in_the_browser(app, server, browser, twilio_api):
    """The console's whole day with one case, through a real browser."""
    twilio_api.auth_token = TOKEN
    configure(app, twilio_account_sid=ACCOUNT_SID, twilio_api_url=twilio_api.url,
              callback_caller_id=CALLER_ID)
    # Tuesday 16 February 2027, 09:00 in Caracas (the clock ticks on from there).
    with time_machine.travel(caracas("2027-02-16 09:00"), tick=True):
        user = make_user(app, email="ana@example.com")
        with transaction(engine(app)) as tx:
            directory.add_company(tx, "Empresa Demo", None, utcnow())
            directory.add_contact(tx, "Empresa Demo", "María Pérez", CONTACT, "Gerente", None,
                                  utcnow())
        page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900},
                                locale="es-VE", timezone_id="America/Caracas")
        console_errors = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

        page.goto(f"{server}/console/")
        assert page.url.endswith("/console/login")
        shoot(page, "01-login")
        page.fill("input[name=email]", "ana@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Ingresar')")
        page.wait_for_url(f"{server}/console/")

        page.click("button:has-text('Estar disponible')")
        page.wait_for_selector(".availability.status-available")
        assert page.locator("#disponibilidad strong").inner_text() == "Disponible"
        shoot(page, "02-queue-available")

        walk = CallWalk(Twilio(app).post, Reporter(), caller_id="+584125550123").run()
        [number] = set(walk.case_numbers)
        for recording_sid in walk.recordings:
            twilio_api.media[recording_sid] = silence_wav()

        page.goto(f"{server}/console/")
        row = page.locator("table.queue tr", has_text=number)
        assert row.count() == 1
        assert "quedan" in row.inner_text()
        shoot(page, "03-queue-with-case")

        page.click(f"table.queue a:has-text('{number}')")
        page.wait_for_url(f"{server}/console/cases/{number}")
        assert page.locator("input[name=company_name]").input_value() == "Empresa Dem"
        audio = page.locator("audio.recording").first
        assert audio.get_attribute("src") == f"/console/recordings/{walk.recordings[0]}.mp3"
        audio.evaluate("element => element.play()")
        page.wait_for_function("element => element.currentTime > 0 || element.ended",
                               arg=audio.element_handle(), timeout=5000)
        assert audio.evaluate("element => element.error === null")
        assert (f"/media/{walk.recordings[0]}.mp3", None) in twilio_api.media_seen
        shoot(page, "04-case")

        page.fill("input[name=company_name]", "Empresa Demo")
        page.fill("input[name=email]", "no-es-un-correo")
        page.click("button:has-text('Guardar datos')")
        assert page.locator(".error", has_text="No es un correo válido").count() == 1
        shoot(page, "05-case-form-error")
        page.fill("input[name=email]", "maria@example.com")
        page.click("button:has-text('Guardar datos')")
        page.wait_for_selector(".flash-ok:has-text('Datos del caso guardados')")

        page.fill("textarea[name=body]", "El servidor de archivos no arranca; llamar a María.")
        page.click("button:has-text('Agregar nota')")
        page.wait_for_selector(".flash-ok:has-text('Nota agregada')")

        page.fill("input[name=day]", "2027-02-18")
        page.fill("input[name=time]", "10:30")
        page.fill("input[name=cost]", "45")
        page.select_option("select[name=visit_status]", str(VisitStatus.CONFIRMED))
        page.click("button:has-text('Programar visita')")
        page.wait_for_selector(".flash-ok:has-text('Visita programada')")
        timeline = page.locator("ol.timeline").inner_text()
        assert "Llamada" in timeline and "Nota de Ana Analista" in timeline
        assert "Empresa Demo" in timeline and "Grabación" in timeline
        shoot(page, "06-case-worked")

        page.click("button:has-text('Devolver llamada')")
        page.wait_for_selector(".flash-ok:has-text('Su teléfono va a sonar')")
        assert "llamando a su teléfono" in page.locator("#devolucion").inner_text()
        shoot(page, "07-callback-ringing", "#devolucion")
        settings = app.extensions["ivr"].settings
        assert outbox.run_once(engine(app), outbox.call_sender(settings), utcnow()).sent
        call = twilio_api.answer(HttpTransport(server), "1;dial:accept")
        [dial] = call.dials()
        assert dial.get("callerId") == CALLER_ID
        page.reload()
        page.select_option("select[name=outcome]", "spoke")
        page.fill("textarea[name=note]", "Confirmó la visita del jueves.")
        shoot(page, "08-callback-outcome", "#devolucion")
        page.click("button:has-text('Registrar resultado')")
        page.wait_for_selector(".flash-ok:has-text('devolución de llamada hecha')")
        assert "resultado: Hablé con el cliente · Confirmó la visita del jueves." \
            in page.locator("ol.timeline").inner_text()
        shoot(page, "09-callback-done", "#devolucion")
        # No CSP violation, no script error (the one 400 is the form error above).
        assert [e for e in console_errors if "Failed to load resource" not in e] == []
        assert len(console_errors) == 1 and "400" in console_errors[0]

        lookup = CallWalk(Twilio(app).post, Lookup(number), caller_id=CONTACT).run()
        assert "La visita está prevista para el jueves 18 de febrero" in lookup.words
        assert "El costo estimado de la visita es de 45 dólares." in lookup.words

    with transaction(engine(app)) as tx:
        stored = find_case(tx, number)
        notes = worklists.notes_of_case(tx, stored.id)
        [attempt] = callback_attempts(tx, stored)
        [placed] = callback_calls.of_case(tx, stored.id)
    assert stored.company_name == "Empresa Demo" and stored.email == "maria@example.com"
    assert stored.status == CaseStatus.VISIT_SCHEDULED and stored.visit_status == "confirmed"
    assert [n.user_id for n in notes] == [user.id]
    assert stored.callback_state == CallbackState.DONE and attempt.outcome == "spoke"
    assert placed.state == CallbackCallState.ENDED and placed.outcome == "spoke"

