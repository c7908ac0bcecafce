"""The commands beside the coordinator's screens: skills, weekly hours, merging companies, an
emergency phone's ring time, users' roles and passwords. Each calls the screen's service
function and leaves the same audit rows (with no user)."""

from __future__ import annotations

from ivr.services import audit_trail, directory
from ivr.services import skills as skill_service
from ivr.services import users as user_service
from ivr.store.tx import transaction
from tests.console_support import PASSWORD, engine


def run(runner, *args, input=None):
    """Run a command; (exit code, stdout lines, stderr)."""
    result = runner.invoke(args=[str(a) for a in args], input=input)
    return result.exit_code, result.stdout.splitlines(), result.stderr


def test_skills_commands(app, runner):
    """Add a skill, grant and revoke it, list who has it; an unknown one is one error line."""
    assert run(runner, "analysts", "add", "Ana", "04125550123", "--no-pin")[0] == 0
    assert run(runner, "skills", "add", "Redes")[1] == ["skill 'redes' added"]
    assert run(runner, "skills", "grant", "Ana", "redes")[1] == ["analyst 1 (Ana): redes"]
    assert run(runner, "skills", "list")[1] == [f"{'redes':<28} {'-':<10} Ana"]
    code, out, err = run(runner, "skills", "grant", "Ana", "cocina")
    assert code == 1 and out == [] and err.startswith("error: no skill 'cocina'")
    assert run(runner, "skills", "remove", "redes")[0] == 1  # Ana has it
    assert run(runner, "skills", "revoke", "Ana", "redes")[1] == ["analyst 1 (Ana): no skills"]
    with transaction(engine(app)) as tx:
        fields = [(e.field, e.user_id) for e in audit_trail.of_row(tx, "analysts", 1)]
    assert ("skills", None) in fields


def test_skill_areas_commands(app, runner):
    """A skill added with the fault area it serves, its area changed and cleared, each
    shown by `skills list` and audited; a wrong area or skill is one error line (exit 1),
    nothing written."""
    assert run(runner, "skills", "add", "Impresoras", "--area", "printer")[1] == [
        "skill 'impresoras' added, area printer"]
    assert run(runner, "skills", "add", "telefonía")[1] == ["skill 'telefonía' added"]
    assert run(runner, "skills", "list")[1] == [
        f"{'impresoras':<28} {'printer':<10} -", f"{'telefonía':<28} {'-':<10} -"]
    assert run(runner, "skills", "area", "telefonía", "NETWORK")[1] == [
        "skill 'telefonía': area network"]
    assert run(runner, "skills", "area", "impresoras", "none")[1] == [
        "skill 'impresoras': area none"]
    with transaction(engine(app)) as tx:
        areas = {s.name: s.area for s in skill_service.list_skills(tx)}
        phones = skill_service.find_skill(tx, "telefonía")
        entries = [(e.field, e.old_value, e.new_value, e.user_id)
                   for e in audit_trail.of_row(tx, "skills", phones.id)]
    assert areas == {"impresoras": None, "telefonía": "network"}
    assert entries == [("created", None, "telefonía", None), ("area", None, "network", None)]
    for bad in (["area", "telefonía", "cocina"], ["area", "telefonía", " "],
                ["area", "cocina", "network"], ["add", "cocina", "--area", "kitchen"]):
        code, out, err = run(runner, "skills", *bad)
        assert (code, out, err.count("\n")) == (1, [], 1), (bad, code, out, err)
        assert err.startswith("error: "), err
    code, _out, err = run(runner, "skills", "area", "telefonía", "cocina")
    assert "unknown area 'cocina': one of equipment, printer, network, email, software" in err
    code, _out, err = run(runner, "skills", "area", "telefonía")
    assert code == 2 and "Missing argument 'AREA|none'" in err
    listed = run(runner, "skills", "list")[1]
    assert listed == [f"{'impresoras':<28} {'-':<10} -", f"{'telefonía':<28} {'network':<10} -"]
    assert "cocina" not in " ".join(listed)


def test_hours_commands(app, runner):
    """`hours set` replaces a weekday's windows; bad windows are one error line, nothing
    written."""
    assert run(runner, "hours", "set", "5", "09:00-12:00")[1] == ["Saturday: 09:00-12:00"]
    listed = run(runner, "hours", "list")[1]
    assert listed[0] == "0  Monday     08:30-12:00, 14:00-17:30"
    assert listed[5] == "5  Saturday   09:00-12:00" and listed[6].endswith("cerrado")
    for bad in (["5", "0900-1200"], ["5", "12:00-09:00"], ["5", "08:00-11:00", "10:00-12:00"],
                ["7", "09:00-12:00"]):
        code, out, err = run(runner, "hours", "set", *bad)
        # One error line (exit 1), or click's usage for a weekday out of range (exit 2).
        assert out == [] and (code, err.count("\n")) in ((1, 1), (2, 4)), (bad, err)
    with transaction(engine(app)) as tx:
        assert directory.weekday_hours(tx)[5] == [("09:00", "12:00")]


def test_companies_merge_and_emergency_ring_time(app, runner):
    """A duplicate merged (its contact follows, its name becomes an alias); an emergency
    phone's ring time set and cleared."""
    run(runner, "companies", "add", "Comercial Ejemplo")
    run(runner, "companies", "add", "Comercial Ejenplo")
    run(runner, "contacts", "add", "Comercial Ejenplo", "Eva", "02125550142")
    assert run(runner, "companies", "merge", "Comercial Ejenplo", "Comercial Ejemplo")[1] == [
        "company 2 (Comercial Ejenplo) merged into 1 (Comercial Ejemplo)"]
    with transaction(engine(app)) as tx:
        assert directory.find_company(tx, "Comercial Ejenplo").id == 1
        assert directory.find_contact(tx, "+582125550142").company_id == 1
    run(runner, "emergency", "add", "Filippo", "04140143913")
    assert run(runner, "emergency", "edit", "1", "--ring-seconds", "30")[1] == [
        "emergency contact 1: Filippo +584140143913, rings 30 s"]
    assert run(runner, "emergency", "edit", "1", "--ring-seconds", "3")[0] == 1
    assert run(runner, "emergency", "edit", "1", "--default-ring")[0] == 0
    with transaction(engine(app)) as tx:
        assert directory.list_emergency(tx)[0].ring_seconds is None


def test_users_role_password_enable(app, runner):
    """A coordinator made an analyst (linked to one), given a new password, disabled and
    enabled again."""
    run(runner, "analysts", "add", "Ana", "04125550123", "--no-pin")
    assert run(runner, "users", "add", "Pedro", "pedro@example.com", "--role", "coordinator",
               input=f"{PASSWORD}\n{PASSWORD}\n")[0] == 0
    assert run(runner, "users", "set-role", "pedro@example.com", "analyst")[0] == 1  # no analyst
    assert run(runner, "users", "set-role", "pedro@example.com", "analyst", "--analyst",
               "1")[1] == ["user 1: analyst"]
    new = "otra clave bien larga"
    assert run(runner, "users", "reset-password", "1", input=f"{new}\n{new}\n")[0] == 0
    assert run(runner, "users", "disable", "1")[0] == 0
    assert run(runner, "users", "enable", "1")[1] == ["user 1 enabled"]
    hasher = app.extensions["passwords"]
    with transaction(engine(app)) as tx:
        login = user_service.log_in(tx, hasher, "pedro@example.com", new, None,
                                    user_service.users.user(tx, 1).created_at)
        fields = [e.field for e in audit_trail.of_row(tx, "users", 1)]
    assert login.user is not None and login.user.role == "analyst"
    assert fields == ["created", "role", "analyst_id", "password", "disabled_at",
                      "disabled_at"]
