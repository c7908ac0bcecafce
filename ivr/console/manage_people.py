"""The coordinator's pages about people: analysts (live state, add, edit, deactivate, PIN,
skills) and console users (add, disable, password, role). Each change goes through the same
service function as its command, which writes the audit trail."""

from __future__ import annotations

import secrets

from flask import abort, current_app, redirect, render_template, url_for
from wtforms.fields.choices import SelectChoice

from ivr.console.auth import coordinator_only
from ivr.console.blueprint import bp
from ivr.console.context import db
from ivr.console.formatting import AREA_LABELS, NO_AREA_LABEL
from ivr.console.manage_common import (
    FIELD_LABELS,
    actor,
    done,
    problem,
    refused,
)
from ivr.console.manage_forms import (
    AnalystForm,
    ButtonForm,
    NewSkillForm,
    PasswordForm,
    RoleForm,
    SkillAreaForm,
    SkillsForm,
    UserForm,
)
from ivr.domain.clock import utcnow
from ivr.domain.errors import InputError
from ivr.domain.operator_input import check_new_pin
from ivr.domain.statuses import UserRole
from ivr.services import audit_trail, directory, routing
from ivr.services import skills as skill_service
from ivr.services import users as user_service
from ivr.store import analysts as analyst_rows
from ivr.store.tx import Rec, Tx

PIN_DIGITS = 6


@bp.get("/manage/")
@coordinator_only
def manage_index():
    """The coordinator's section opens on the analysts."""
    return redirect(url_for("console.manage_analysts"))


# --- analysts ----------------------------------------------------------------------------------


def _area_form(skill: Rec) -> SkillAreaForm:
    """The form that sets one skill's fault area, as stored."""
    return SkillAreaForm(formdata=None, data={"area": skill.area or ""})


def _analysts_page(tx: Tx, form: AnalystForm | None = None, skill_form=None,
                   area_form: tuple[int, SkillAreaForm] | None = None, status=200):
    now = utcnow()
    rows = analyst_rows.live_analysts(tx)
    wrapping = {a.id: until for a in rows
                if (until := routing.wrap_up_until(a, now)) is not None}
    all_skills = skill_service.list_skills(tx)
    area_forms = {s.id: _area_form(s) for s in all_skills}
    if area_form is not None:
        area_forms[area_form[0]] = area_form[1]
    return render_template(
        "console/manage_analysts.html", analysts=rows, now=now, wrapping=wrapping,
        skills=skill_service.skills_by_analyst(tx), all_skills=all_skills,
        area_forms=area_forms, form=form or AnalystForm(formdata=None),
        skill_form=skill_form or NewSkillForm(formdata=None), button=ButtonForm()), status


@bp.get("/manage/analysts")
@coordinator_only
def manage_analysts():
    """Every analyst with their state now (available, on a call since when, away), and the
    form to add one."""
    with db() as tx:
        return _analysts_page(tx)


@bp.post("/manage/analysts")
@coordinator_only
def manage_analyst_add():
    """Add an analyst (unavailable until they say otherwise; a PIN is set from their page)."""
    form = AnalystForm()
    with db() as tx:
        if not form.validate_on_submit():
            return _analysts_page(tx, form=form, status=400)
        try:
            row = directory.add_analyst(tx, form.name.data, form.phone.data, None, utcnow(),
                                        by=actor())
        except InputError as error:
            tx.rollback()
            form.phone.errors.append(problem(error))
            return _analysts_page(tx, form=form, status=400)
    return done(f"Analista {row.name} agregado.", "console.manage_analyst", analyst_id=row.id)


@bp.post("/manage/skills")
@coordinator_only
def manage_skill_add():
    """A new skill for the list."""
    form = NewSkillForm()
    with db() as tx:
        if not form.validate_on_submit():
            return _analysts_page(tx, skill_form=form, status=400)
        try:
            skill_service.add_skill(tx, form.name.data, utcnow(), by=actor(),
                                    area=form.area.data or None)
        except InputError as error:
            tx.rollback()
            form.name.errors.append(problem(error))
            return _analysts_page(tx, skill_form=form, status=400)
    return done("Habilidad agregada.", "console.manage_analysts")


@bp.post("/manage/skills/<int:skill_id>/area")
@coordinator_only
def manage_skill_area(skill_id: int):
    """The fault area a skill serves: callers with a fault of that area are offered first
    to the analysts who have the skill."""
    with db() as tx:
        skill = skill_service.skill_by_id(tx, skill_id)
        if skill is None:
            abort(404)
        form = SkillAreaForm()
        if not form.validate_on_submit():
            return _analysts_page(tx, area_form=(skill.id, form), status=400)
        try:
            row = skill_service.set_skill_area(tx, skill, form.area.data or None, utcnow(),
                                               by=actor())
        except InputError as error:
            tx.rollback()
            form.area.errors.append(problem(error))
            return _analysts_page(tx, area_form=(skill.id, form), status=400)
    area = AREA_LABELS.get(row.area, NO_AREA_LABEL)
    return done(f"Área de «{row.name}»: {area}.", "console.manage_analysts")


def _analyst_or_404(tx: Tx, analyst_id: int) -> Rec:
    row = directory.get_analyst(tx, analyst_id)
    if row is None:
        abort(404)
    return row


def _analyst_page(tx: Tx, analyst: Rec, status: int = 200, new_pin: str | None = None,
                  **forms):
    skills = SkillsForm(formdata=None, data={"skills": skill_service.skills_of(tx, analyst)})
    skills = forms.get("skills_form") or skills
    skills.skills.choices = [SelectChoice(s.name, s.name)
                             for s in skill_service.list_skills(tx)]
    return render_template(
        "console/manage_analyst.html", analyst=analyst, new_pin=new_pin,
        form=forms.get("form") or AnalystForm(formdata=None, data={
            "name": analyst.name, "phone": analyst.phone}),
        skills_form=skills, button=ButtonForm(),
        history=directory.analyst_history(tx, analyst),
        trail=audit_trail.of_row(tx, "analysts", analyst.id), fields=FIELD_LABELS), status


@bp.get("/manage/analysts/<int:analyst_id>")
@coordinator_only
def manage_analyst(analyst_id: int):
    """An analyst: edit, deactivate or activate, a new PIN, skills, and their changes."""
    with db() as tx:
        return _analyst_page(tx, _analyst_or_404(tx, analyst_id))


@bp.post("/manage/analysts/<int:analyst_id>/edit")
@coordinator_only
def manage_analyst_edit(analyst_id: int):
    """Rename an analyst or change their phone."""
    form = AnalystForm()
    with db() as tx:
        analyst = _analyst_or_404(tx, analyst_id)
        if not form.validate_on_submit():
            return _analyst_page(tx, analyst, 400, form=form)
        changes = {k: v for k, v in (("name", form.name.data), ("phone", form.phone.data))
                   if v != getattr(analyst, k)}
        if changes:
            try:
                directory.edit_analyst(tx, analyst, by=actor(), **changes)
            except InputError as error:
                tx.rollback()
                form.phone.errors.append(problem(error))
                return _analyst_page(tx, analyst, 400, form=form)
    return done("Datos guardados.", "console.manage_analyst", analyst_id=analyst_id)


@bp.post("/manage/analysts/<int:analyst_id>/deactivate")
@coordinator_only
def manage_analyst_deactivate(analyst_id: int):
    """Deactivate: never rung again, phone menu closed; history kept."""
    return _analyst_switch(analyst_id, active=False)


@bp.post("/manage/analysts/<int:analyst_id>/activate")
@coordinator_only
def manage_analyst_activate(analyst_id: int):
    """Take a deactivated analyst back (unavailable until they say otherwise)."""
    return _analyst_switch(analyst_id, active=True)


def _analyst_switch(analyst_id: int, active: bool):
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        with db() as tx:
            analyst = _analyst_or_404(tx, analyst_id)
            if active:
                directory.activate_analyst(tx, analyst, by=actor())
            else:
                directory.deactivate_analyst(tx, analyst, utcnow(), by=actor())
    except InputError as error:
        return refused(error, "console.manage_analyst", analyst_id=analyst_id)
    message = "Analista reactivado." if active else \
        "Analista desactivado: la línea no lo llamará y su menú telefónico queda cerrado."
    return done(message, "console.manage_analyst", analyst_id=analyst_id)


def new_pin() -> str:
    """A random PIN the policy accepts (no runs, no repeats)."""
    while True:
        pin = f"{secrets.randbelow(10 ** PIN_DIGITS):0{PIN_DIGITS}d}"
        try:
            check_new_pin(pin)
        except InputError:
            continue
        return pin


@bp.post("/manage/analysts/<int:analyst_id>/pin")
@coordinator_only
def manage_analyst_pin(analyst_id: int):
    """A new phone-menu PIN, shown once on the answer page (stored only as its hash)."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    pin = new_pin()
    with db() as tx:
        analyst = _analyst_or_404(tx, analyst_id)
        analyst = directory.set_pin(tx, analyst, pin, by=actor())
        return _analyst_page(tx, analyst, new_pin=pin)


@bp.post("/manage/analysts/<int:analyst_id>/skills")
@coordinator_only
def manage_analyst_skills(analyst_id: int):
    """Set the analyst's skills."""
    form = SkillsForm()
    with db() as tx:
        analyst = _analyst_or_404(tx, analyst_id)
        form.skills.choices = [SelectChoice(s.name, s.name)
                               for s in skill_service.list_skills(tx)]
        if not form.validate_on_submit():
            return _analyst_page(tx, analyst, 400, skills_form=form)
        skill_service.set_analyst_skills(tx, analyst, form.skills.data or [], utcnow(),
                                         by=actor())
    return done("Habilidades guardadas.", "console.manage_analyst", analyst_id=analyst_id)


# --- users -------------------------------------------------------------------------------------


def _analyst_choices(tx: Tx) -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [SelectChoice(str(a.id), a.name)
                                      for a in directory.list_analysts(tx)
                                      if a.deactivated_at is None]


def _users_page(tx: Tx, form: UserForm | None = None, status: int = 200):
    form = form or UserForm(formdata=None)
    form.analyst_id.choices = _analyst_choices(tx)
    names = {a.id: a.name for a in directory.list_analysts(tx)}
    return render_template("console/manage_users.html", users=user_service.all_users(tx),
                           form=form, analysts=names), status


@bp.get("/manage/users")
@coordinator_only
def manage_users():
    """Console users, and the form to add one."""
    with db() as tx:
        return _users_page(tx)


@bp.post("/manage/users")
@coordinator_only
def manage_user_add():
    """Add a console user."""
    form = UserForm()
    with db() as tx:
        form.analyst_id.choices = _analyst_choices(tx)
        if not form.validate_on_submit():
            return _users_page(tx, form, 400)
        try:
            row = user_service.add_user(
                tx, current_app.extensions["passwords"], name=form.name.data,
                email=form.email.data, role=form.role.data, password=form.password.data,
                analyst_ref=form.analyst_id.data or None, now=utcnow(), by=actor())
        except InputError as error:
            tx.rollback()
            form.email.errors.append(problem(error))
            return _users_page(tx, form, 400)
    return done(f"Usuario {row.email} agregado.", "console.manage_user", user_id=row.id)


def _user_or_404(tx: Tx, user_id: int) -> Rec:
    try:
        return user_service.find_user(tx, str(user_id))
    except InputError:
        abort(404)


def _user_page(tx: Tx, user: Rec, status: int = 200, **forms):
    role_form = forms.get("role_form") or RoleForm(formdata=None, data={
        "role": user.role, "analyst_id": str(user.analyst_id or "")})
    role_form.analyst_id.choices = _analyst_choices(tx)
    names = {a.id: a.name for a in directory.list_analysts(tx)}
    return render_template(
        "console/manage_user.html", user=user, role_form=role_form, analysts=names,
        password_form=forms.get("password_form") or PasswordForm(formdata=None),
        button=ButtonForm(), trail=audit_trail.of_row(tx, "users", user.id),
        fields=FIELD_LABELS, coordinator=UserRole.COORDINATOR), status


@bp.get("/manage/users/<int:user_id>")
@coordinator_only
def manage_user(user_id: int):
    """A user: role, password, disable or enable, and their changes."""
    with db() as tx:
        return _user_page(tx, _user_or_404(tx, user_id))


@bp.post("/manage/users/<int:user_id>/disable")
@coordinator_only
def manage_user_disable(user_id: int):
    """Disable a user: no more logins, sessions ended."""
    return _user_switch(user_id, enable=False)


@bp.post("/manage/users/<int:user_id>/enable")
@coordinator_only
def manage_user_enable(user_id: int):
    """Let a disabled user log in again."""
    return _user_switch(user_id, enable=True)


def _user_switch(user_id: int, enable: bool):
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        with db() as tx:
            user = _user_or_404(tx, user_id)
            if enable:
                user_service.enable_user(tx, user, utcnow(), by=actor())
            else:
                user_service.disable_user(tx, user, utcnow(), by=actor())
    except InputError as error:
        return refused(error, "console.manage_user", user_id=user_id)
    return done("Usuario habilitado." if enable else "Usuario deshabilitado.",
                "console.manage_user", user_id=user_id)


@bp.post("/manage/users/<int:user_id>/password")
@coordinator_only
def manage_user_password(user_id: int):
    """Give a user a new password (their sessions end)."""
    form = PasswordForm()
    with db() as tx:
        user = _user_or_404(tx, user_id)
        if not form.validate_on_submit():
            return _user_page(tx, user, 400, password_form=form)
        try:
            user_service.reset_password(tx, current_app.extensions["passwords"], user,
                                        form.password.data, utcnow(), by=actor())
        except InputError as error:
            tx.rollback()
            form.password.errors.append(problem(error))
            return _user_page(tx, user, 400, password_form=form)
    return done("Contraseña cambiada; sus sesiones se cerraron.", "console.manage_user",
                user_id=user_id)


@bp.post("/manage/users/<int:user_id>/role")
@coordinator_only
def manage_user_role(user_id: int):
    """Change a user's role."""
    form = RoleForm()
    with db() as tx:
        user = _user_or_404(tx, user_id)
        form.analyst_id.choices = _analyst_choices(tx)
        if not form.validate_on_submit():
            return _user_page(tx, user, 400, role_form=form)
        try:
            user_service.set_role(tx, user, form.role.data, form.analyst_id.data or None,
                                  utcnow(), by=actor())
        except InputError as error:
            tx.rollback()
            form.role.errors.append(problem(error))
            return _user_page(tx, user, 400, role_form=form)
    return done("Rol guardado.", "console.manage_user", user_id=user_id)

