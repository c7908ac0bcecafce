"""The console's pages: the work queue, availability, a case and what can be done to it."""

from __future__ import annotations

import io
from datetime import datetime

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from wtforms.fields.choices import SelectChoice

from ivr.console.auth import coordinator_only
from ivr.console.blueprint import bp
from ivr.console.context import app_state, current_user, db
from ivr.console.forms import (
    ActionForm,
    AssignForm,
    AvailabilityForm,
    CaseForm,
    NoteForm,
    OutcomeForm,
    SearchForm,
    StatusForm,
    VisitForm,
)
from ivr.domain.business_hours import to_caracas
from ivr.domain.case_numbers import ACCEPTED_LENGTHS, CaseNumberCheck
from ivr.domain.clock import utcnow
from ivr.domain.statuses import VisitStatus
from ivr.services import callback_calls, console, mailbox, recordings
from ivr.services import users as user_service
from ivr.services.directory import DirectoryError, contract_hours
from ivr.store.tx import Rec, Tx

NUMBER_PROBLEMS = {
    CaseNumberCheck.WRONG_LENGTH: "Un número de caso tiene "
                                  + " u ".join(str(n) for n in sorted(ACCEPTED_LENGTHS))
                                  + " dígitos.",
    CaseNumberCheck.BAD_CHECK_DIGIT: "Ese número de caso no es válido: revise los dígitos "
                                     "(el último es de control).",
}


def _looks_like_number(text: str) -> bool:
    """Whether a search is a case number rather than a company (digits, spaces, dashes)."""
    compact = text.replace(" ", "").replace("-", "")
    return bool(compact) and compact.isdigit()


@bp.get("/")
def queue():
    """The work queue: callbacks in the line's order, new cases, my cases, and the search."""
    form = SearchForm(request.args)
    user = current_user()
    results = None
    searched = bool(request.args) and form.validate()
    with db() as tx:
        if searched:
            query = form.q.data or ""
            if query and _looks_like_number(query):
                number = query.replace(" ", "").replace("-", "")
                check, case = console.find_by_number(tx, number)
                if case is not None:
                    return redirect(url_for("console.case", number=case.number))
                form.q.errors = [NUMBER_PROBLEMS.get(check, "No hay ningún caso con ese número.")]
            else:
                company = form.company.data or query or None
                if company or form.status.data:
                    results = console.search_cases(tx, status=form.status.data, company=company)
        work = console.work_queue(tx, user, utcnow())
        state = console.availability(tx, user)
    status = 400 if form.errors else 200
    return render_template("console/queue.html", form=form, work=work, results=results,
                           availability=state, availability_form=AvailabilityForm()), status


@bp.post("/availability")
def availability():
    """Go available or unavailable (the state the line routes by)."""
    form = AvailabilityForm()
    if not form.validate_on_submit():
        flash("Elija disponible o no disponible.", "error")
        return redirect(url_for("console.queue")), 303
    try:
        with db() as tx:
            console.set_availability(tx, current_user(), form.status.data, utcnow())
    except DirectoryError as error:
        flash(str(error), "error")
    return redirect(url_for("console.queue"), 303)


def _case_or_404(tx: Tx, number: str) -> Rec:
    """The case of a URL's number, or 404."""
    check, case = console.find_by_number(tx, number)
    if case is None:
        abort(404)
    return case


def _render_case(tx: Tx, case: Rec, status: int = 200, **forms):
    """The case page, with the given forms (those with errors) and fresh ones for the rest."""
    user = current_user()
    form = forms.get("case_form") or CaseForm(formdata=None, data={
        "company_name": case.company_name, "caller_name": case.caller_name,
        "caller_position": case.caller_position, "email": case.email,
        "callback_number": case.callback_number, "callback_extension": case.callback_extension,
        "severity": str(case.severity) if case.severity else ""})
    visit_local = to_caracas(case.visit_at) if case.visit_at else None
    visit_form = forms.get("visit_form") or VisitForm(formdata=None, data={
        "day": visit_local.date() if visit_local else None,
        "time": visit_local.time() if visit_local else None,
        "cost": case.visit_cost, "visit_status": case.visit_status or VisitStatus.PROPOSED})
    assign_form = forms.get("assign_form") or AssignForm(formdata=None)
    analysts = console.all_analysts(tx)
    assign_form.analyst_id.choices = [SelectChoice(a.id, a.name) for a in analysts]
    names = {a.id: a.name for a in analysts}
    now = utcnow()
    setup = callback_calls.Setup.from_settings(app_state().settings)
    attempts = callback_calls.of_case(tx, case)
    awaiting = callback_calls.awaiting_outcome(attempts, user)
    outcome_form = forms.get("outcome_form") or OutcomeForm(
        formdata=None, data={"callback_id": str(awaiting.id) if awaiting else ""})
    calling = callback_calls.live_of_user(tx, user, now)
    page = render_template(
        "console/case.html", case=case, form=form, visit_form=visit_form,
        note_form=forms.get("note_form") or NoteForm(formdata=None),
        status_form=forms.get("status_form") or StatusForm(formdata=None,
                                                          data={"status": case.status}),
        assign_form=assign_form, action_form=ActionForm(), timeline=console.timeline(tx, case),
        attachments=console.mail_attachments(tx, case),
        analyst_names=names, contract_hours=contract_hours(tx, case.company_id)
        if case.company_id else None, may_take=console.may_take(user),
        may_assign=console.may_assign(user), now=now,
        callback_blocked=callback_calls.why_not(tx, setup, user, case, now),
        callback_live=calling if calling is not None and calling.case_id == case.id else None,
        callback_awaiting=awaiting, outcome_form=outcome_form,
        callbacks_today=callback_calls.dialled_today(tx, case, now),
        callbacks_per_day=setup.per_day)
    return page, status


@bp.get("/cases/<number>")
def case(number: str):
    """A case: its fields (editable), the actions on it and its timeline."""
    with db() as tx:
        return _render_case(tx, _case_or_404(tx, number))


def _done(number: str, message: str):
    """Back to the case page with a message (POST, redirect, GET)."""
    flash(message, "ok")
    return redirect(url_for("console.case", number=number), 303)


@bp.post("/cases/<number>/edit")
def edit_case(number: str):
    """Save the corrected fields of a case."""
    form = CaseForm()
    with db() as tx:
        found = _case_or_404(tx, number)
        if not form.validate_on_submit():
            return _render_case(tx, found, 400, case_form=form)
        schedule = app_state().schedules.get(tx)
        console.edit_case(tx, current_user(), found, form.values(), schedule, utcnow())
    return _done(number, "Datos del caso guardados.")


@bp.post("/cases/<number>/notes")
def add_note(number: str):
    """Append a note."""
    form = NoteForm()
    with db() as tx:
        found = _case_or_404(tx, number)
        if not form.validate_on_submit():
            return _render_case(tx, found, 400, note_form=form)
        console.add_note(tx, current_user(), found, form.body.data, utcnow())
    return _done(number, "Nota agregada.")


@bp.post("/cases/<number>/take")
def take_case(number: str):
    """The analyst takes the case."""
    form = ActionForm()
    try:
        with db() as tx:
            found = _case_or_404(tx, number)
            if not form.validate_on_submit():
                return _render_case(tx, found, 400)
            console.take_case(tx, current_user(), found, utcnow())
    except DirectoryError as error:
        flash(str(error), "error")
        return redirect(url_for("console.case", number=number), 303)
    return _done(number, "Caso tomado.")


@bp.post("/cases/<number>/assign")
@coordinator_only
def assign_case(number: str):
    """The coordinator gives the case to an analyst."""
    form = AssignForm()
    try:
        with db() as tx:
            found = _case_or_404(tx, number)
            form.analyst_id.choices = [SelectChoice(a.id, a.name)
                                         for a in console.all_analysts(tx)]
            if not form.validate_on_submit():
                return _render_case(tx, found, 400, assign_form=form)
            console.assign_case(tx, current_user(), found, form.analyst_id.data, utcnow())
    except DirectoryError as error:
        flash(str(error), "error")
        return redirect(url_for("console.case", number=number), 303)
    return _done(number, "Caso asignado.")


@bp.post("/cases/<number>/status")
def set_status(number: str):
    """Change the case's status."""
    form = StatusForm()
    with db() as tx:
        found = _case_or_404(tx, number)
        if not form.validate_on_submit():
            return _render_case(tx, found, 400, status_form=form)
        console.change_status(tx, current_user(), found, form.status.data, utcnow())
    return _done(number, "Estado actualizado.")


@bp.post("/cases/<number>/visit")
def schedule_visit(number: str):
    """Arrange the case's visit (Caracas time)."""
    form = VisitForm()
    with db() as tx:
        found = _case_or_404(tx, number)
        if not form.validate_on_submit():
            return _render_case(tx, found, 400, visit_form=form)
        local = datetime.combine(form.day.data, form.time.data)
        console.schedule_visit(tx, current_user(), found, local, form.cost.data,
                               form.visit_status.data, utcnow())
    return _done(number, "Visita programada.")


def _line_url(endpoint: str) -> str:
    """The absolute URL of one of the line's webhooks, as Twilio must request it."""
    base = app_state().settings.public_base_url or request.host_url.rstrip("/")
    return base + url_for(endpoint)


@bp.post("/cases/<number>/callback")
def call_back(number: str):
    """Call the client back through the line: the analyst's phone rings first."""
    form = ActionForm()
    try:
        with db() as tx:
            found = _case_or_404(tx, number)
            if not form.validate_on_submit():
                return _render_case(tx, found, 400)
            callback_calls.place(
                tx, callback_calls.Setup.from_settings(app_state().settings), current_user(),
                found, utcnow(), answer_url=_line_url("voice.callback_answer"),
                status_url=_line_url("voice.callback_status"))
    except DirectoryError as error:
        flash(str(error), "error")
        return redirect(url_for("console.case", number=number), 303)
    return _done(number, "Su teléfono va a sonar: conteste y marque 1 para llamar al cliente.")


@bp.post("/cases/<number>/callback/outcome")
def callback_outcome(number: str):
    """Record what happened on a call back (only "spoke" takes the case off the queue)."""
    form = OutcomeForm()
    try:
        with db() as tx:
            found = _case_or_404(tx, number)
            if not form.validate_on_submit():
                return _render_case(tx, found, 400, outcome_form=form)
            done = console.record_callback_outcome(
                tx, current_user(), found, int(form.callback_id.data), form.outcome.data,
                form.note.data or None, utcnow())
    except DirectoryError as error:
        flash(str(error), "error")
        return redirect(url_for("console.case", number=number), 303)
    return _done(number, "Resultado registrado: devolución de llamada hecha." if done
                 else "Resultado registrado.")


@bp.get("/recordings/<recording_sid>.mp3")
def recording(recording_sid: str):
    """A case's recording, streamed from Twilio with the account's credentials (the browser
    never sees a Twilio URL); a recording not available yet says so."""
    with db() as tx:
        found = recordings.find_recording(tx, recording_sid)
    if found is None:
        abort(404)
    settings = app_state().settings
    try:
        chunks = recordings.stream_recording(
            found, api_url=settings.twilio_api_url, account_sid=settings.twilio_account_sid,
            token=str(settings.twilio_auth_token))
    except recordings.RecordingUnavailable as error:
        return Response(f"{error}\n", status=404, mimetype="text/plain")
    return Response(stream_with_context(chunks), mimetype="audio/mpeg",
                    headers={"Cache-Control": "private, no-store"})


@bp.get("/attachments/<int:attachment_id>")
def attachment(attachment_id: int):
    """A file that came with a case's mail, always as a download (never shown in the page:
    a mail's HTML or script never runs in the console)."""
    with db() as tx:
        found = mailbox.attachment(tx, attachment_id)
    if found is None or found.content is None:
        abort(404)
    response = send_file(io.BytesIO(bytes(found.content)), mimetype="application/octet-stream",
                         as_attachment=True, download_name=found.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/users")
@coordinator_only
def users():
    """The console's users (the coordinator's view; they are added with `flask users add`)."""
    with db() as tx:
        rows = user_service.all_users(tx)
    return render_template("console/users.html", users=rows)
