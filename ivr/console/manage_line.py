"""The coordinator's pages about the line itself: the emergency phones (add, edit, on/off,
order, ring time), the weekly hours, closures, and a preview of what the line says at any
moment, made by the same code as the phone line (ivr/services/greeting.py)."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_datetime
from flask import abort, render_template, request

from ivr.console.auth import coordinator_only
from ivr.console.blueprint import bp
from ivr.console.context import app_state, db
from ivr.console.formatting import LOCALE
from ivr.console.manage_common import (
    FIELD_LABELS,
    actor,
    done,
    problem,
    refused,
    schedule_changed,
)
from ivr.console.manage_forms import (
    WEEKDAYS,
    ButtonForm,
    ClosureForm,
    DayHoursForm,
    EmergencyForm,
    NoticeForm,
    PreviewForm,
)
from ivr.domain.business_hours import CARACAS, parse_hhmm, to_naive_utc
from ivr.domain.clock import utcnow
from ivr.domain.errors import InputError
from ivr.services import audit_trail, directory, greeting, notices
from ivr.store.tx import Rec, Tx

# --- emergency phones --------------------------------------------------------------------------


def _emergency_page(tx: Tx, form: EmergencyForm | None = None, status: int = 200):
    return render_template(
        "console/manage_emergency.html", phones=directory.list_emergency(tx),
        form=form or EmergencyForm(formdata=None), button=ButtonForm(),
        default_ring=app_state().settings.dial_timeout), status


@bp.get("/manage/emergency")
@coordinator_only
def manage_emergency():
    """The emergency phones in ringing order, with their buttons, and the form to add one."""
    with db() as tx:
        return _emergency_page(tx)


@bp.post("/manage/emergency")
@coordinator_only
def manage_emergency_add():
    """Add an emergency phone at the end of the order."""
    form = EmergencyForm()
    with db() as tx:
        if not form.validate_on_submit():
            return _emergency_page(tx, form, 400)
        try:
            row = directory.add_emergency(tx, form.name.data, form.phone.data, None, utcnow(),
                                          by=actor(), ring_seconds=form.ring_seconds.data)
        except InputError as error:
            tx.rollback()
            form.phone.errors.append(problem(error))
            return _emergency_page(tx, form, 400)
    return done(f"{row.name} agregado en el puesto {row.position}.", "console.manage_emergency")


def _phone_or_404(tx: Tx, contact_id: int) -> Rec:
    row = directory.emergency_contact(tx, contact_id)
    if row is None:
        abort(404)
    return row


def _phone_page(tx: Tx, phone: Rec, form: EmergencyForm | None = None, status: int = 200):
    return render_template(
        "console/manage_emergency_one.html", phone=phone,
        form=form or EmergencyForm(formdata=None, data={
            "name": phone.name, "phone": phone.phone, "ring_seconds": phone.ring_seconds}),
        trail=audit_trail.of_row(tx, "emergency_contacts", phone.id), fields=FIELD_LABELS,
        default_ring=app_state().settings.dial_timeout), status


@bp.get("/manage/emergency/<int:contact_id>")
@coordinator_only
def manage_emergency_one(contact_id: int):
    """One emergency phone: edit it, and its changes."""
    with db() as tx:
        return _phone_page(tx, _phone_or_404(tx, contact_id))


@bp.post("/manage/emergency/<int:contact_id>")
@coordinator_only
def manage_emergency_edit(contact_id: int):
    """Change an emergency phone's name, number or ring time."""
    form = EmergencyForm()
    with db() as tx:
        phone = _phone_or_404(tx, contact_id)
        if not form.validate_on_submit():
            return _phone_page(tx, phone, form, 400)
        changes: dict = {}
        if form.name.data != phone.name:
            changes["name"] = form.name.data
        if form.phone.data != phone.phone:
            changes["phone"] = form.phone.data
        if form.ring_seconds.data != phone.ring_seconds:
            if form.ring_seconds.data is None:
                changes["default_ring"] = True
            else:
                changes["ring_seconds"] = form.ring_seconds.data
        if changes:
            try:
                directory.edit_emergency(tx, phone, by=actor(), **changes)
            except InputError as error:
                tx.rollback()
                form.phone.errors.append(problem(error))
                return _phone_page(tx, phone, form, 400)
    return done("Teléfono de emergencia guardado.", "console.manage_emergency")


@bp.post("/manage/emergency/<int:contact_id>/<any(up, down):direction>")
@coordinator_only
def manage_emergency_move(contact_id: int, direction: str):
    """One place up or down in the ringing order (a swap with the neighbour)."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    with db() as tx:
        directory.step_emergency(tx, _phone_or_404(tx, contact_id),
                                 -1 if direction == "up" else 1, by=actor())
    return done("Orden actualizado.", "console.manage_emergency")


@bp.post("/manage/emergency/<int:contact_id>/<any(on, off):switch>")
@coordinator_only
def manage_emergency_switch(contact_id: int, switch: str):
    """Ring this phone again, or skip it for now (it keeps its place)."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        with db() as tx:
            directory.set_emergency_active(tx, _phone_or_404(tx, contact_id), switch == "on",
                                           by=actor())
    except InputError as error:
        return refused(error, "console.manage_emergency")
    return done("Teléfono activado." if switch == "on" else
                "Teléfono desactivado: no se llamará hasta activarlo.", "console.manage_emergency")


# --- opening hours, closures and the preview --------------------------------------------------


def say_moment(local: datetime) -> str:
    """'el lunes 8 de febrero de 2027 a las 9:00' (a Caracas wall-clock moment)."""
    day = format_datetime(local, "EEEE d 'de' MMMM 'de' y", locale=LOCALE)
    return f"el {day} a las {local.hour}:{local.minute:02d}"


def preview(tx: Tx, local: datetime) -> tuple[str, list[str]]:
    """At a Caracas wall-clock moment: how the page names it, and what the line says then
    (the webhook's own words, from the schedule as stored now)."""
    schedule_changed()
    schedule = app_state().schedules.get(tx)
    at = to_naive_utc(local.replace(tzinfo=CARACAS))
    return say_moment(local), greeting.opening_words(app_state().catalogue, schedule, at,
                                                     notices.current(tx, at))


def _hours_page(tx: Tx, status: int = 200, day_forms: dict | None = None,
                closure_form: ClosureForm | None = None, notice_form: NoticeForm | None = None):
    hours = directory.weekday_hours(tx)
    now = utcnow()
    forms = {}
    for weekday in range(7):
        windows = hours[weekday] + [("", "")] * (2 - len(hours[weekday]))
        data = {"open1": windows[0][0], "close1": windows[0][1],
                "open2": windows[1][0], "close2": windows[1][1]}
        forms[weekday] = (day_forms or {}).get(weekday) or DayHoursForm(
            formdata=None, data=data, prefix=f"d{weekday}")
    preview_form = PreviewForm(request.args)
    heard = None
    if request.args and preview_form.validate():
        heard = preview(tx, datetime.combine(preview_form.day.data, preview_form.time.data))
    return render_template(
        "console/manage_hours.html", weekdays=WEEKDAYS, day_forms=forms, hours=hours,
        closures=directory.list_closures(tx), describe_span=directory.describe_span,
        closure_form=closure_form or ClosureForm(formdata=None), preview_form=preview_form,
        heard=heard, button=ButtonForm(), fields=FIELD_LABELS,
        notices=[(n, notices.state_of(n, now)) for n in notices.list_notices(tx, 20)],
        notice_form=notice_form or NoticeForm(formdata=None),
        trail=audit_trail.trail(tx, table="business_hours", limit=20)
        + audit_trail.trail(tx, table="closures", limit=20)
        + audit_trail.trail(tx, table="notices", limit=20)), status


@bp.get("/manage/hours")
@coordinator_only
def manage_hours():
    """The weekly hours, the closures, and what the line says at a chosen moment."""
    with db() as tx:
        return _hours_page(tx)


@bp.post("/manage/hours/<int:weekday>")
@coordinator_only
def manage_hours_day(weekday: int):
    """Set one weekday's windows (both empty: closed that day)."""
    if not 0 <= weekday <= 6:
        abort(404)
    form = DayHoursForm(prefix=f"d{weekday}")
    with db() as tx:
        if not form.validate_on_submit():
            return _hours_page(tx, 400, day_forms={weekday: form})
        try:
            directory.set_weekday_hours(tx, weekday, form.windows(), by=actor())
        except InputError as error:
            tx.rollback()
            form.close2.errors.append(problem(error))
            return _hours_page(tx, 400, day_forms={weekday: form})
    schedule_changed()
    return done(f"Horario del {WEEKDAYS[weekday]} guardado.", "console.manage_hours")


@bp.post("/manage/closures")
@coordinator_only
def manage_closure_add():
    """Close the centre for a day or part of one, with the reason callers hear."""
    form = ClosureForm()
    with db() as tx:
        if not form.validate_on_submit():
            return _hours_page(tx, 400, closure_form=form)
        starts = form.starts.data.strftime("%H:%M") if form.starts.data else None
        ends = form.ends.data.strftime("%H:%M") if form.ends.data else None
        try:
            directory.add_closure(tx, form.day.data.isoformat(), starts, ends,
                                  form.reason.data, utcnow(), by=actor())
        except InputError as error:
            tx.rollback()
            form.reason.errors.append(problem(error))
            return _hours_page(tx, 400, closure_form=form)
    schedule_changed()
    return done("Cierre agregado.", "console.manage_hours")


def _closure_or_404(tx: Tx, closure_id: int) -> Rec:
    try:
        return directory.resolve_closure(tx, str(closure_id))
    except InputError:
        abort(404)


def _closure_page(tx: Tx, closure: Rec, form: ClosureForm | None = None, status: int = 200):
    day = closure.day if isinstance(closure.day, date) else date.fromisoformat(closure.day)
    form = form or ClosureForm(formdata=None, data={
        "day": day, "reason": closure.reason,
        "starts": parse_hhmm(closure.starts) if closure.starts else None,
        "ends": parse_hhmm(closure.ends) if closure.ends else None})
    return render_template(
        "console/manage_closure.html", closure=closure, form=form, button=ButtonForm(),
        trail=audit_trail.of_row(tx, "closures", closure.id), fields=FIELD_LABELS), status


@bp.get("/manage/closures/<int:closure_id>")
@coordinator_only
def manage_closure(closure_id: int):
    """A closure: change its day, hours or reason; its changes."""
    with db() as tx:
        return _closure_page(tx, _closure_or_404(tx, closure_id))


@bp.post("/manage/closures/<int:closure_id>")
@coordinator_only
def manage_closure_edit(closure_id: int):
    """Save a closure's day, hours (none: the whole day) and reason."""
    form = ClosureForm()
    with db() as tx:
        closure = _closure_or_404(tx, closure_id)
        if not form.validate_on_submit():
            return _closure_page(tx, closure, form, 400)
        starts = form.starts.data.strftime("%H:%M") if form.starts.data else None
        ends = form.ends.data.strftime("%H:%M") if form.ends.data else None
        try:
            directory.edit_closure(
                tx, closure, day=form.day.data.isoformat(), reason=form.reason.data,
                starts=starts, ends=ends, all_day=starts is None, by=actor())
        except InputError as error:
            tx.rollback()
            form.reason.errors.append(problem(error))
            return _closure_page(tx, closure, form, 400)
    schedule_changed()
    return done("Cierre guardado.", "console.manage_hours")


@bp.post("/manage/closures/<int:closure_id>/remove")
@coordinator_only
def manage_closure_remove(closure_id: int):
    """Remove a closure."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        with db() as tx:
            directory.remove_closure(tx, directory.resolve_closure(tx, str(closure_id)),
                                     by=actor())
    except InputError as error:
        return refused(error, "console.manage_hours")
    schedule_changed()
    return done("Cierre eliminado.", "console.manage_hours")


# --- notices said before the menu ----------------------------------------------------------------


@bp.post("/manage/notices")
@coordinator_only
def manage_notice_add():
    """A notice every caller hears before the menu, from now (or a later moment) until its
    end (the same function as `flask notices add`)."""
    form = NoticeForm()
    with db() as tx:
        if not form.validate_on_submit():
            return _hours_page(tx, 400, notice_form=form)
        try:
            notices.add(tx, form.text.data, form.moment(form.ends_day.data, form.ends_time.data),
                        utcnow(), starts=form.moment(form.starts_day.data, form.starts_time.data),
                        user_id=actor())
        except InputError as error:
            tx.rollback()
            form.text.errors.append(problem(error))
            return _hours_page(tx, 400, notice_form=form)
    return done("Aviso guardado: quienes llamen lo escucharán antes del menú.",
                "console.manage_hours")


@bp.post("/manage/notices/<int:notice_id>/end")
@coordinator_only
def manage_notice_end(notice_id: int):
    """End a notice now (`flask notices end`): callers stop hearing it at once."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    with db() as tx:
        try:
            notices.end(tx, notice_id, utcnow(), user_id=actor())
        except InputError as error:
            tx.rollback()
            return refused(error, "console.manage_hours")
    return done("Aviso terminado: ya no se dice.", "console.manage_hours")
