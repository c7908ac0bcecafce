"""The coordinator's pages about clients: companies (add, edit, contract response time, merge
a duplicate: its contacts and cases follow) and their contacts (phones checked with
`phonenumbers`, e-mails)."""

from __future__ import annotations

from flask import abort, render_template
from wtforms.fields.choices import SelectChoice

from ivr.console.auth import coordinator_only
from ivr.console.blueprint import bp
from ivr.console.context import db
from ivr.console.manage_common import FIELD_LABELS, actor, done, problem, refused
from ivr.console.manage_forms import ButtonForm, CompanyForm, ContactForm, MergeForm
from ivr.domain.clock import utcnow
from ivr.domain.errors import InputError
from ivr.services import audit_trail, directory
from ivr.store.tx import Rec, Tx


def _companies_page(tx: Tx, form: CompanyForm | None = None, status: int = 200):
    return render_template("console/manage_companies.html",
                           companies=directory.list_companies(tx),
                           form=form or CompanyForm(formdata=None)), status


@bp.get("/manage/companies")
@coordinator_only
def manage_companies():
    """Every company with its contract, contacts and cases; the form to add one."""
    with db() as tx:
        return _companies_page(tx)


@bp.post("/manage/companies")
@coordinator_only
def manage_company_add():
    """Add a company."""
    form = CompanyForm()
    with db() as tx:
        if not form.validate_on_submit():
            return _companies_page(tx, form, 400)
        try:
            row = directory.add_company(tx, form.name.data, form.contract_hours.data, utcnow(),
                                        by=actor())
        except InputError as error:
            tx.rollback()
            form.name.errors.append(problem(error))
            return _companies_page(tx, form, 400)
    return done(f"Empresa {row.name} agregada.", "console.manage_company", company_id=row.id)


def _company_or_404(tx: Tx, company_id: int) -> Rec:
    try:
        return directory.resolve_company(tx, str(company_id))
    except InputError:
        abort(404)


def _company_page(tx: Tx, company: Rec, status: int = 200, **forms):
    merge = forms.get("merge_form") or MergeForm(formdata=None)
    merge.into.choices = [SelectChoice(c.id, f"{c.name} (id {c.id})")
                          for c in directory.list_companies(tx) if c.id != company.id]
    return render_template(
        "console/manage_company.html", company=company,
        form=forms.get("form") or CompanyForm(formdata=None, data={
            "name": company.name, "contract_hours": company.contract_hours}),
        merge_form=merge, contact_form=forms.get("contact_form") or ContactForm(formdata=None),
        contacts=directory.company_contacts(tx, company),
        aliases=directory.company_aliases(tx, company),
        cases=directory.company_case_count(tx, company), button=ButtonForm(),
        trail=audit_trail.of_row(tx, "companies", company.id), fields=FIELD_LABELS), status


@bp.get("/manage/companies/<int:company_id>")
@coordinator_only
def manage_company(company_id: int):
    """A company: its name and contract, its contacts, merging a duplicate, its changes."""
    with db() as tx:
        return _company_page(tx, _company_or_404(tx, company_id))


@bp.post("/manage/companies/<int:company_id>")
@coordinator_only
def manage_company_edit(company_id: int):
    """Rename a company or change its contract response time."""
    form = CompanyForm()
    with db() as tx:
        company = _company_or_404(tx, company_id)
        if not form.validate_on_submit():
            return _company_page(tx, company, 400, form=form)
        changes: dict = {}
        if form.name.data != company.name:
            changes["name"] = form.name.data
        if form.contract_hours.data != company.contract_hours:
            if form.contract_hours.data is None:
                changes["no_contract"] = True
            else:
                changes["contract_hours"] = form.contract_hours.data
        if changes:
            try:
                directory.edit_company(tx, company, by=actor(), **changes)
            except InputError as error:
                tx.rollback()
                form.name.errors.append(problem(error))
                return _company_page(tx, company, 400, form=form)
    return done("Empresa guardada.", "console.manage_company", company_id=company_id)


@bp.post("/manage/companies/<int:company_id>/merge")
@coordinator_only
def manage_company_merge(company_id: int):
    """Merge this (duplicate) company into another: contacts, cases and aliases follow."""
    form = MergeForm()
    with db() as tx:
        company = _company_or_404(tx, company_id)
        form.into.choices = [SelectChoice(c.id, c.name) for c in directory.list_companies(tx)
                             if c.id != company.id]
        if not form.validate_on_submit():
            return _company_page(tx, company, 400, merge_form=form)
        kept = directory.merge_companies(tx, company, _company_or_404(tx, form.into.data),
                                         by=actor())
    return done(f"{company.name} se fusionó con {kept.name}.", "console.manage_company",
                company_id=kept.id)


@bp.post("/manage/companies/<int:company_id>/contacts")
@coordinator_only
def manage_contact_add(company_id: int):
    """Add a contact to the company."""
    form = ContactForm()
    with db() as tx:
        company = _company_or_404(tx, company_id)
        if not form.validate_on_submit():
            return _company_page(tx, company, 400, contact_form=form)
        try:
            directory.add_contact(tx, str(company.id), form.name.data, form.phone.data,
                                  form.position.data or None, form.email.data or None,
                                  utcnow(), by=actor())
        except InputError as error:
            tx.rollback()
            form.phone.errors.append(problem(error))
            return _company_page(tx, company, 400, contact_form=form)
    return done("Contacto agregado.", "console.manage_company", company_id=company_id)


def _contact_or_404(tx: Tx, contact_id: int) -> Rec:
    try:
        return directory.resolve_contact(tx, str(contact_id))
    except InputError:
        abort(404)


def _contact_page(tx: Tx, contact: Rec, form: ContactForm | None = None, status: int = 200):
    return render_template(
        "console/manage_contact.html", contact=contact, button=ButtonForm(),
        form=form or ContactForm(formdata=None, data={
            "name": contact.name, "position": contact.position, "phone": contact.phone,
            "email": contact.email}),
        trail=audit_trail.of_row(tx, "contacts", contact.id), fields=FIELD_LABELS), status


@bp.get("/manage/contacts/<int:contact_id>")
@coordinator_only
def manage_contact(contact_id: int):
    """A contact: edit, remove, and their changes."""
    with db() as tx:
        return _contact_page(tx, _contact_or_404(tx, contact_id))


@bp.post("/manage/contacts/<int:contact_id>")
@coordinator_only
def manage_contact_edit(contact_id: int):
    """Change a contact's name, cargo, phone or e-mail."""
    form = ContactForm()
    with db() as tx:
        contact = _contact_or_404(tx, contact_id)
        if not form.validate_on_submit():
            return _contact_page(tx, contact, form, 400)
        wanted = {"name": form.name.data, "position": form.position.data or "",
                  "phone": form.phone.data, "email": form.email.data or ""}
        changes = {k: v for k, v in wanted.items() if v != (getattr(contact, k) or "")}
        if changes:
            try:
                directory.edit_contact(tx, contact, by=actor(), **changes)
            except InputError as error:
                tx.rollback()
                form.phone.errors.append(problem(error))
                return _contact_page(tx, contact, form, 400)
    return done("Contacto guardado.", "console.manage_company", company_id=contact.company_id)


@bp.post("/manage/contacts/<int:contact_id>/remove")
@coordinator_only
def manage_contact_remove(contact_id: int):
    """Remove a contact (their cases keep the name and company said)."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        with db() as tx:
            contact = _contact_or_404(tx, contact_id)
            directory.remove_contact(tx, contact, by=actor())
    except InputError as error:
        return refused(error, "console.manage_contact", contact_id=contact_id)
    return done("Contacto eliminado.", "console.manage_company", company_id=contact.company_id)
