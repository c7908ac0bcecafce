"""/ayuda: a case's status by its number and the phone it was opened from (or its contact's
e-mail), and how to reach the centre. No login; CSRF on its form; the console's security
headers; throttled per client address and per case number (429)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from flask import current_app, render_template, request

from ivr.console.auth import SECURITY_HEADERS, client_address
from ivr.domain.business_hours import OpenStatus, to_caracas
from ivr.domain.clock import utcnow
from ivr.domain.phones import display_phone
from ivr.domain.spanish_dates import describe_deadline, describe_moment
from ivr.domain.statuses import CaseStatus
from ivr.public.blueprint import bp
from ivr.public.forms import LookupForm
from ivr.services import public_lookup
from ivr.services.cases import CaseView
from ivr.services.users import THROTTLE_WINDOW
from ivr.state import AppState
from ivr.store.tx import transaction

log = logging.getLogger("ivr.public")
LOCALE = "es_VE"
CLOSED_REASONS = {
    "lunch": "Cerrado por el almuerzo",
    "night": "Cerrado a esta hora",
    "weekend": "Cerrado el fin de semana",
    "holiday": "Cerrado por día feriado",
    "closure": "Cerrado hoy por decisión del centro",
}
STATUS_WORDS = {
    CaseStatus.INCOMPLETE: "Reporte incompleto",
    CaseStatus.RECEIVED: "Recibido, en espera de un especialista",
    CaseStatus.IN_PROGRESS: "En proceso: un especialista lo está atendiendo",
    CaseStatus.VISIT_SCHEDULED: "Visita programada",
    CaseStatus.WAITING_CLIENT: "En espera de información de su parte",
    CaseStatus.RESOLVED: "Resuelto",
}

_warned = threading.Event()


def state() -> AppState:
    """The application's state."""
    return current_app.extensions["ivr"]


def warn_if_every_visitor_looks_alike() -> None:
    """Without PROXY_HOPS, behind a proxy every visitor has the proxy's address and the
    per-address throttle counts them all together: say so in the log, once per process."""
    if state().settings.proxy_hops or _warned.is_set():
        return
    _warned.set()
    log.warning("ayuda: PROXY_HOPS is not set, so a visitor's address is the connection's: "
                "behind a reverse proxy every visitor looks alike and the per-address "
                "throttle counts them together; set PROXY_HOPS to the number of proxies")


@bp.after_request
def security_headers(response):
    """The console's security headers; the answers are never cached."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "public.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def open_words(status: OpenStatus, now: datetime) -> tuple[bool, str, str | None]:
    """(open, what, when it changes) in words: 'Abierto ahora', 'hasta las 12:00 del
    mediodía'; or the reason it is closed and when it opens again."""
    if status.is_open:
        until = f"hasta las {_clock(status.closes_at)}" if status.closes_at else None
        return True, "Abierto ahora", until
    what = CLOSED_REASONS.get(status.reason or "", "Cerrado ahora")
    if status.reason in ("holiday", "closure") and status.detail:
        what = f"{what}: {status.detail}"
    reopens = (f"Volvemos a atender {describe_moment(status.reopens_at, now)}"
               if status.reopens_at else None)
    return False, what, reopens


def _clock(when: datetime) -> str:
    """A Caracas clock time: 12:00, 17:30."""
    local = to_caracas(when)
    return f"{local.hour}:{local.minute:02d}"


def shown_case(view: CaseView, now: datetime) -> dict:
    """The case's facts as the page words them."""
    shown = {"number": view.number, "status": STATUS_WORDS.get(view.status, view.status),
             "visit_day": None, "visit_time": None, "visit_cost": None, "due": None}
    if view.visit_at is not None:
        local = to_caracas(view.visit_at)
        shown["visit_day"] = format_date(local.date(), "EEEE d 'de' MMMM 'de' y", locale=LOCALE)
        shown["visit_time"] = format_time(local.time(), "h:mm a", locale=LOCALE)
        if view.visit_cost is not None:
            shown["visit_cost"] = format_decimal(view.visit_cost, format="#,##0.00",
                                                 locale=LOCALE) + " dólares"
    if view.callback_pending and view.due_at is not None and view.due_at > now:
        shown["due"] = describe_deadline(view.due_at, now)
    return shown


def render(form: LookupForm, status: int = 200, **context):
    """The page: the form, what a lookup gave, and how to reach the centre."""
    now = utcnow()
    settings = state().settings
    with transaction(state().engine) as tx:
        schedule = state().schedules.get(tx)
    lines = tuple((display_phone(n), n) for n in settings.published_numbers)
    centre = public_lookup.centre(schedule, lines, settings.mailbox_address, now)
    is_open, open_what, open_when = open_words(centre.now, now)
    return render_template("public/ayuda.html", form=form, centre=centre, is_open=is_open,
                           open_what=open_what, open_when=open_when, **context), status


@bp.get("/")
def ayuda():
    """The form and the centre's contacts."""
    warn_if_every_visitor_looks_alike()
    return render(LookupForm())


@bp.post("/")
def look_up():
    """Look a case up: its status, visit and next step, or the one answer for a case number
    and phone that do not go together."""
    warn_if_every_visitor_looks_alike()
    form = LookupForm()
    if not form.validate_on_submit():
        return render(form, 400)
    now = utcnow()
    with transaction(state().engine) as tx:
        found = public_lookup.look_up(tx, form.number.data, form.who.data, client_address(),
                                      now)
    if found.throttled:
        page, status = render(form, 429, throttled=True)
        return page, status, {"Retry-After": str(int(THROTTLE_WINDOW.total_seconds()))}
    if found.view is None:
        return render(form, 404, not_found=True)
    return render(LookupForm(formdata=None), 200, case=shown_case(found.view, now),
                  next_step=found.next_step)
