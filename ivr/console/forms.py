"""The console's forms (Flask-WTF: a CSRF token in each, validated on the server)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ivr.console.formatting import (
    CALLBACK_OUTCOME_LABELS,
    CASE_STATUS_LABELS,
    SEVERITY_LABELS,
    VISIT_STATUS_LABELS,
)
from ivr.domain.phones import parse_phone
from ivr.services.cases import MAX_VISIT_COST
from ivr.services.console import CHOSEN_STATUSES, MAX_NOTE

REQUIRED = "Este campo es obligatorio."
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _stripped(value):
    """Surrounding spaces are never meant."""
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField("Correo", validators=[DataRequired(REQUIRED), Length(max=200)],
                       filters=[_stripped])
    password = PasswordField("Contraseña", validators=[DataRequired(REQUIRED),
                                                       Length(max=200)])


class LogoutForm(FlaskForm):
    """Nothing but the CSRF token."""


class ActionForm(FlaskForm):
    """A button that does one thing (take a case): nothing but the CSRF token."""


class AvailabilityForm(FlaskForm):
    """Available or not."""

    status = HiddenField(validators=[DataRequired(REQUIRED)])

    def validate_status(self, field):
        """Only the two states an analyst chooses."""
        if field.data not in CHOSEN_STATUSES:
            raise ValidationError("Elija disponible o no disponible.")


class SearchForm(FlaskForm):
    """The queue's search box and filters (a GET form: it changes nothing, no token)."""

    class Meta:
        csrf = False

    q = StringField("Buscar", validators=[Optional(), Length(max=200)], filters=[_stripped])
    status = SelectField("Estado", choices=[SelectChoice("", "Todos")] + [
        SelectChoice(str(k), v) for k, v in CASE_STATUS_LABELS.items()], validators=[Optional()])
    company = StringField("Empresa", validators=[Optional(), Length(max=200)],
                          filters=[_stripped])


def _phone(form, field):
    """A callback number must be a phone number (any usual Venezuelan or E.164 writing)."""
    if field.data and parse_phone(field.data) is None:
        raise ValidationError("No es un número de teléfono válido (ej. 0212 555 1234).")


class CaseForm(FlaskForm):
    """What the caller gave, completed or corrected by the analyst."""

    company_name = StringField("Empresa", validators=[Optional(), Length(max=200)],
                               filters=[_stripped])
    caller_name = StringField("Contacto", validators=[Optional(), Length(max=120)],
                              filters=[_stripped])
    caller_position = StringField("Cargo", validators=[Optional(), Length(max=120)],
                                  filters=[_stripped])
    email = StringField("Correo", validators=[
        Optional(), Length(max=200), Regexp(EMAIL, message="No es un correo válido.")],
        filters=[_stripped])
    callback_number = StringField("Número de devolución", validators=[Optional(), _phone],
                                  filters=[_stripped])
    callback_extension = StringField("Extensión", validators=[
        Optional(), Regexp(r"^[0-9]{1,10}$", message="Solo dígitos, hasta 10.")],
        filters=[_stripped])
    severity = SelectField("Severidad", choices=[SelectChoice("", "Sin indicar")] + [
        SelectChoice(str(int(k)), v) for k, v in SEVERITY_LABELS.items()], validators=[Optional()])

    def values(self) -> dict:
        """The fields as the case stores them (empty text as NULL, the phone as E.164)."""
        number = self.callback_number.data
        return {
            "company_name": self.company_name.data or None,
            "caller_name": self.caller_name.data or None,
            "caller_position": self.caller_position.data or None,
            "email": (self.email.data or "").lower() or None,
            "callback_number": parse_phone(number) if number else None,
            "callback_extension": self.callback_extension.data or None,
            "severity": int(self.severity.data) if self.severity.data else None,
        }


class NoteForm(FlaskForm):
    """A note to append."""

    body = TextAreaField("Nota", validators=[DataRequired(REQUIRED), Length(max=MAX_NOTE)],
                         filters=[_stripped])


class StatusForm(FlaskForm):
    """A case's new status."""

    status = SelectField("Estado", choices=[
        SelectChoice(str(k), v) for k, v in CASE_STATUS_LABELS.items()],
        validators=[DataRequired(REQUIRED)])


class AssignForm(FlaskForm):
    """Give a case to an analyst (choices filled by the view)."""

    analyst_id = SelectField("Analista", coerce=int, validators=[InputRequired(REQUIRED)])


class VisitForm(FlaskForm):
    """A visit: day and time in Caracas, the cost estimate, its status."""

    day = DateField("Fecha", validators=[InputRequired(REQUIRED)])
    time = TimeField("Hora (Caracas)", validators=[InputRequired(REQUIRED)])
    cost = DecimalField("Costo estimado", places=2, validators=[
        InputRequired(REQUIRED),
        NumberRange(min=0, max=MAX_VISIT_COST, message="Un monto entre 0 y 9.999.999.999,99.")])
    visit_status = SelectField("Estado de la visita", choices=[
        SelectChoice(str(k), v) for k, v in VISIT_STATUS_LABELS.items()],
        validators=[DataRequired(REQUIRED)])


class OutcomeForm(FlaskForm):
    """What happened on a call back: the analyst's answer, and a note if they wish."""

    callback_id = HiddenField(validators=[DataRequired(REQUIRED),
                                          Regexp(r"^[0-9]{1,9}$", message=REQUIRED)])
    outcome = SelectField("¿Qué pasó?", choices=[SelectChoice("", "Elija una opción")] + [
        SelectChoice(str(k), v) for k, v in CALLBACK_OUTCOME_LABELS.items()],
        validators=[DataRequired("Elija qué pasó con la llamada.")])
    note = TextAreaField("Nota (opcional)", validators=[Optional(), Length(max=1000)],
                         filters=[_stripped])
