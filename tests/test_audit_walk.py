"""Every write function of the directory, skills and users services leaves an audit row, from
the console (with the user) and from the commands (without): the functions are found by
walking the modules (each takes `by`), so a new one without a case here fails."""

from __future__ import annotations

import inspect

import pytest

from ivr.domain.clock import utcnow
from ivr.domain.statuses import AnalystStatus, UserRole
from ivr.services import audit_trail, directory, skills, users
from ivr.store.tx import transaction
from tests.console_support import PASSWORD, engine

MODULES = (directory, skills, users)


def writers() -> set[str]:
    """The services' functions that take `by` (who makes the change)."""
    return {f"{m.__name__.rsplit('.', 1)[1]}.{name}" for m in MODULES
            for name, fn in vars(m).items()
            if inspect.isfunction(fn) and fn.__module__ == m.__name__
            and not name.startswith("_")
            and "by" in inspect.signature(fn).parameters}


def setup_rows(tx, hasher):
    """One of everything, through the services (their own audit rows are not counted)."""
    now = utcnow()
    skills.seed_skills(tx, now)
    analyst = directory.add_analyst(tx, "Ana", "+584145550101", None, now)
    spare = directory.add_analyst(tx, "Beto", "+584145550102", None, now)
    company = directory.add_company(tx, "Empresa Uno", None, now)
    other = directory.add_company(tx, "Empresa Dos", 8, now)
    contact = directory.add_contact(tx, "Empresa Uno", "Eva", "+582125550142", None, None, now)
    first = directory.add_emergency(tx, "Tel 1", "+584140143913", None, now)
    directory.add_emergency(tx, "Tel 2", "+584140320151", None, now)
    closure = directory.add_closure(tx, "2027-03-01", None, None, "inventario", now)
    user = users.add_user(tx, hasher, name="Pedro", email="pedro@example.com",
                          role=UserRole.COORDINATOR, password=PASSWORD, analyst_ref=None,
                          now=now)
    return {"analyst": analyst, "spare": spare, "company": company, "other": other,
            "contact": contact, "first": first, "closure": closure, "user": user, "now": now,
            "hasher": hasher}


CALLS = {
    "directory.add_company": lambda tx, r, by: directory.add_company(tx, "Tres", None, r["now"],
                                                                     by=by),
    "directory.edit_company": lambda tx, r, by: directory.edit_company(
        tx, r["company"], contract_hours=4, by=by),
    "directory.merge_companies": lambda tx, r, by: directory.merge_companies(
        tx, r["company"], r["other"], by=by),
    "directory.remove_company": lambda tx, r, by: directory.remove_company(
        tx, directory.add_company(tx, "Borrar", None, r["now"]), by=by),
    "directory.add_alias": lambda tx, r, by: directory.add_alias(tx, r["company"], "E1",
                                                                 r["now"], by=by),
    "directory.remove_alias": lambda tx, r, by: (
        directory.add_alias(tx, r["company"], "E2", r["now"]),
        directory.remove_alias(tx, r["company"], "E2", by=by)),
    "directory.add_contact": lambda tx, r, by: directory.add_contact(
        tx, "Empresa Uno", "Leo", "+582125550143", None, None, r["now"], by=by),
    "directory.edit_contact": lambda tx, r, by: directory.edit_contact(
        tx, r["contact"], position="Gerente", by=by),
    "directory.remove_contact": lambda tx, r, by: directory.remove_contact(
        tx, r["contact"], by=by),
    "directory.add_analyst": lambda tx, r, by: directory.add_analyst(
        tx, "Ciro", "+584145550103", "482916", r["now"], by=by),
    "directory.edit_analyst": lambda tx, r, by: directory.edit_analyst(
        tx, r["analyst"], name="Ana María", by=by),
    "directory.set_pin": lambda tx, r, by: directory.set_pin(tx, r["analyst"], "482916",
                                                             by=by),
    "directory.deactivate_analyst": lambda tx, r, by: directory.deactivate_analyst(
        tx, r["analyst"], r["now"], by=by),
    "directory.activate_analyst": lambda tx, r, by: directory.activate_analyst(
        tx, directory.deactivate_analyst(tx, r["analyst"], r["now"]), by=by),
    "directory.remove_analyst": lambda tx, r, by: directory.remove_analyst(tx, r["spare"],
                                                                           by=by),
    "directory.set_analyst_status": lambda tx, r, by: directory.set_analyst_status(
        tx, r["analyst"], AnalystStatus.AVAILABLE, r["now"], by=by),
    "directory.add_emergency": lambda tx, r, by: directory.add_emergency(
        tx, "Tel 3", "+584120000003", 1, r["now"], by=by),
    "directory.edit_emergency": lambda tx, r, by: directory.edit_emergency(
        tx, r["first"], ring_seconds=30, by=by),
    "directory.move_emergency": lambda tx, r, by: directory.move_emergency(
        tx, r["first"], 2, by=by),
    "directory.reorder_emergency": lambda tx, r, by: directory.reorder_emergency(
        tx, ["Tel 2"], by=by),
    "directory.step_emergency": lambda tx, r, by: directory.step_emergency(
        tx, r["first"], 1, by=by),
    "directory.set_emergency_active": lambda tx, r, by: directory.set_emergency_active(
        tx, r["first"], False, by=by),
    "directory.remove_emergency": lambda tx, r, by: directory.remove_emergency(
        tx, r["first"], by=by),
    "directory.add_closure": lambda tx, r, by: directory.add_closure(
        tx, "2027-03-02", "08:00", "10:00", "reunión", r["now"], by=by),
    "directory.edit_closure": lambda tx, r, by: directory.edit_closure(
        tx, r["closure"], reason="inventario anual", by=by),
    "directory.remove_closure": lambda tx, r, by: directory.remove_closure(
        tx, r["closure"], by=by),
    "directory.set_weekday_hours": lambda tx, r, by: directory.set_weekday_hours(
        tx, 5, [("09:00", "12:00")], by=by),
    "skills.add_skill": lambda tx, r, by: skills.add_skill(tx, "telefonía", r["now"], by=by),
    "skills.set_skill_area": lambda tx, r, by: skills.set_skill_area(
        tx, skills.find_skill(tx, "redes"), "email", r["now"], by=by),
    "skills.remove_skill": lambda tx, r, by: skills.remove_skill(
        tx, skills.find_skill(tx, "impresoras"), by=by),
    "skills.set_analyst_skills": lambda tx, r, by: skills.set_analyst_skills(
        tx, r["analyst"], ["redes"], r["now"], by=by),
    "skills.grant_skill": lambda tx, r, by: skills.grant_skill(tx, r["analyst"], "redes",
                                                               r["now"], by=by),
    "skills.revoke_skill": lambda tx, r, by: skills.revoke_skill(
        tx, r["analyst"], "redes", r["now"], by=by)
    if skills.grant_skill(tx, r["analyst"], "redes", r["now"]) else None,
    "users.add_user": lambda tx, r, by: users.add_user(
        tx, r["hasher"], name="Rosa", email="rosa@example.com", role=UserRole.COORDINATOR,
        password=PASSWORD, analyst_ref=None, now=r["now"], by=by),
    "users.disable_user": lambda tx, r, by: users.disable_user(tx, r["user"], r["now"], by=by),
    "users.enable_user": lambda tx, r, by: users.enable_user(
        tx, r["user"].replace(disabled_at=r["now"]) if users.disable_user(
            tx, r["user"], r["now"]) else r["user"], r["now"], by=by),
    "users.reset_password": lambda tx, r, by: users.reset_password(
        tx, r["hasher"], r["user"], "otra clave bien larga", r["now"], by=by),
    "users.set_role": lambda tx, r, by: users.set_role(
        tx, r["user"], UserRole.ANALYST, str(r["analyst"].id), r["now"], by=by),
}


def test_every_writer_has_a_case():
    """Walking the services finds exactly the writers this test calls."""
    assert writers() == set(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("console", [True, False], ids=["console", "command"])
def test_every_write_leaves_an_audit_row(app, name, console):
    """The write adds audit rows naming the console user (or nobody, for a command)."""
    hasher = app.extensions["passwords"]
    with transaction(engine(app)) as tx:
        rows = setup_rows(tx, hasher)
        by = users.add_user(tx, hasher, name="Coord", email="c@example.com",
                            role=UserRole.COORDINATOR, password=PASSWORD, analyst_ref=None,
                            now=rows["now"]).id if console else None
        before = {e.id for e in _all(tx)}
        CALLS[name](tx, rows, by)
        new = [e for e in _all(tx) if e.id not in before]
    assert new, name
    # (A few cases prepare their row with a command-like call first: that one's rows say
    # nobody; the write under test says `by`.)
    assert by in {e.user_id for e in new}, name


def _all(tx):
    """Every audit entry."""
    return audit_trail.trail(tx, limit=10_000)
