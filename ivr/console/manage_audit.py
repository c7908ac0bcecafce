"""The audit trail as one list: every change made in the console, by the commands or by the
line, filterable by object and person. Read-only: nothing here edits or deletes it."""

from __future__ import annotations

from flask import render_template, request
from wtforms.fields.choices import SelectChoice

from ivr.console.auth import coordinator_only
from ivr.console.blueprint import bp
from ivr.console.context import db
from ivr.console.manage_common import FIELD_LABELS, TABLE_LABELS
from ivr.console.manage_forms import WEEKDAYS, AuditFilterForm
from ivr.services import audit_trail

NOBODY = "nadie"  # the person filter's value for the line and the commands
# The page of each kind of object (endpoint, its id argument).
PAGES = {
    "analysts": ("console.manage_analyst", "analyst_id"),
    "emergency_contacts": ("console.manage_emergency_one", "contact_id"),
    "users": ("console.manage_user", "user_id"),
    "companies": ("console.manage_company", "company_id"),
    "contacts": ("console.manage_contact", "contact_id"),
    "closures": ("console.manage_closure", "closure_id"),
}


@bp.get("/manage/audit")
@coordinator_only
def manage_audit():
    """Every change, newest first, filtered by object (and its id) and by person."""
    form = AuditFilterForm(request.args)
    with db() as tx:
        tables = audit_trail.tables(tx)
        people = audit_trail.people(tx)
        form.table.choices = [SelectChoice("", "Todos")] + [
            SelectChoice(t, TABLE_LABELS.get(t, t)) for t in tables]
        form.person.choices = [SelectChoice("", "Todas"),
                               SelectChoice(NOBODY, "La línea o un comando")] + [
            SelectChoice(str(p.id), p.name) for p in people]
        valid = not request.args or form.validate()
        person = form.person.data if valid else None
        rows = audit_trail.trail(
            tx, table=(form.table.data or None) if valid else None,
            row_id=form.row.data if valid else None,
            person=int(person) if person and person.isdigit() else None,
            by_nobody=person == NOBODY) if valid else []
    return render_template("console/manage_audit.html", form=form, rows=rows,
                           tables=TABLE_LABELS, fields=FIELD_LABELS, pages=PAGES,
                           weekdays=WEEKDAYS,
                           limit=audit_trail.TRAIL_LIMIT), 200 if valid else 400
