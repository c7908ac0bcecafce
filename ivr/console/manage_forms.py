"""The coordinator's forms (Flask-WTF, a CSRF token in each, checked on the server; the
services check again, as they do for the commands)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ivr.console.formatting import AREA_LABELS, NO_AREA_LABEL, ROLE_LABELS
from ivr.domain.phones import parse_phone
from ivr.services.directory import MAX_CONTRACT_HOURS, MAX_RING_SECONDS, MIN_RING_SECONDS

REQUIRED = "Este campo es obligatorio."
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def _stripped(value):
    """Surrounding spaces are never meant."""
    return value.strip() if isinstance(value, str) else value


def _phone(form, field):
    """A phone number in any usual Venezuelan or E.164 writing."""
    if field.data and parse_phone(field.data) is None:
        raise ValidationError("No es un número de teléfono válido (ej. 0414 555 1234).")


def _name(label: str, limit: int = 120) -> StringField:
    return StringField(label, validators=[DataRequired(REQUIRED), Length(max=limit)],
                       filters=[_stripped])


class ButtonForm(FlaskForm):
    """A button that does one thing: nothing but the CSRF token."""


class AnalystForm(FlaskForm):
    """An analyst's name and phone."""

    name = _name("Nombre")
    phone = StringField("Teléfono", validators=[DataRequired(REQUIRED), _phone],
                        filters=[_stripped])


class SkillsForm(FlaskForm):
    """The analyst's skills (choices filled by the view)."""

    skills = SelectMultipleField("Habilidades", widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(), validate_choice=True)


AREA_CHOICES = [SelectChoice("", NO_AREA_LABEL)] + [
    SelectChoice(str(k), v) for k, v in AREA_LABELS.items()]
AREA_HELP = "Elija un área de la lista."


def _area(label: str) -> SelectField:
    """The fault area a skill serves ('' for none), checked against the list in Spanish."""
    return SelectField(label, choices=AREA_CHOICES, default="", validate_choice=False,
                       validators=[AnyOf([c.value for c in AREA_CHOICES], message=AREA_HELP)])


class NewSkillForm(FlaskForm):
    """A skill to add to the vocabulary, and the fault area it serves."""

    name = _name("Nueva habilidad", 60)
    area = _area("Área de fallas")


class SkillAreaForm(FlaskForm):
    """The fault area of one skill (one such form per skill on the analysts' page)."""

    area = _area("Área de fallas")


class EmergencyForm(FlaskForm):
    """An emergency phone: name, phone, how long it rings."""

    name = _name("Nombre")
    phone = StringField("Teléfono", validators=[DataRequired(REQUIRED), _phone],
                        filters=[_stripped])
    ring_seconds = IntegerField(
        "Tiempo de timbre (segundos; vacío: el de la línea)", validators=[
            Optional(), NumberRange(min=MIN_RING_SECONDS, max=MAX_RING_SECONDS,
                                    message=f"Entre {MIN_RING_SECONDS} y {MAX_RING_SECONDS} "
                                            "segundos.")])


ROLE_CHOICES = [SelectChoice(str(k), v) for k, v in ROLE_LABELS.items()]


class UserForm(FlaskForm):
    """A new console user (analyst choices filled by the view)."""

    name = _name("Nombre")
    email = EmailField("Correo", validators=[DataRequired(REQUIRED), Length(max=200),
                                             Regexp(EMAIL, message="No es un correo válido.")],
                       filters=[_stripped])
    role = SelectField("Rol", choices=ROLE_CHOICES, validators=[DataRequired(REQUIRED)])
    analyst_id = SelectField("Analista (para el rol analista)", coerce=str,
                             validators=[Optional()])
    password = PasswordField("Contraseña (12 caracteres o más)",
                             validators=[DataRequired(REQUIRED), Length(min=12, max=200,
                                         message="Entre 12 y 200 caracteres.")])


class PasswordForm(FlaskForm):
    """A user's new password."""

    password = PasswordField("Nueva contraseña", validators=[
        DataRequired(REQUIRED), Length(min=12, max=200, message="Entre 12 y 200 caracteres.")])


class RoleForm(FlaskForm):
    """A user's role (analyst choices filled by the view)."""

    role = SelectField("Rol", choices=ROLE_CHOICES, validators=[DataRequired(REQUIRED)])
    analyst_id = SelectField("Analista", coerce=str, validators=[Optional()])


class AuditFilterForm(FlaskForm):
    """The audit trail's filters (a GET form: it changes nothing, no token)."""

    class Meta:
        csrf = False

    table = SelectField("Objeto", validators=[Optional()])
    row = IntegerField("Número (id)", validators=[Optional(), NumberRange(min=1)])
    person = SelectField("Persona", validators=[Optional()])


class DayHoursForm(FlaskForm):
    """A weekday's two windows (morning and afternoon: the gap between them is lunch)."""

    open1 = StringField("Abre", validators=[Optional(), Regexp(HHMM, message="HH:MM")],
                        filters=[_stripped])
    close1 = StringField("Cierra", validators=[Optional(), Regexp(HHMM, message="HH:MM")],
                         filters=[_stripped])
    open2 = StringField("Abre (tarde)", validators=[Optional(), Regexp(HHMM, message="HH:MM")],
                        filters=[_stripped])
    close2 = StringField("Cierra (tarde)",
                         validators=[Optional(), Regexp(HHMM, message="HH:MM")],
                         filters=[_stripped])

    def windows(self) -> list[tuple[str, str]]:
        """The windows given (a pair left empty is no window)."""
        found = []
        for opens, closes in ((self.open1, self.close1), (self.open2, self.close2)):
            if opens.data or closes.data:
                found.append((opens.data or "", closes.data or ""))
        return found

    def validate(self, extra_validators=None) -> bool:
        """Each window has both ends, and closes after it opens."""
        if not super().validate(extra_validators):
            return False
        for opens, closes in ((self.open1, self.close1), (self.open2, self.close2)):
            if bool(opens.data) != bool(closes.data):
                (closes if opens.data else opens).errors.append("Indique apertura y cierre.")
                return False
            if opens.data and opens.data >= closes.data:
                closes.errors.append("Debe cerrar después de abrir.")
                return False
        return True


class ClosureForm(FlaskForm):
    """A closure: the day, optionally from and to, and the reason callers hear."""

    day = DateField("Fecha", validators=[InputRequired(REQUIRED)])
    starts = TimeField("Desde (vacío: todo el día)", validators=[Optional()])
    ends = TimeField("Hasta", validators=[Optional()])
    reason = StringField("Motivo (lo escuchan quienes llaman)",
                         validators=[DataRequired(REQUIRED), Length(max=200)],
                         filters=[_stripped])

    def validate(self, extra_validators=None) -> bool:
        """Both times or neither; the end after the start."""
        if not super().validate(extra_validators):
            return False
        if (self.starts.data is None) != (self.ends.data is None):
            self.ends.errors.append("Indique desde y hasta, o ninguno para todo el día.")
            return False
        if self.starts.data and self.starts.data >= self.ends.data:
            self.ends.errors.append("Debe terminar después de empezar.")
            return False
        return True


class NoticeForm(FlaskForm):
    """A notice callers hear before the menu: its words, when it starts (empty: now) and
    when it ends, in Caracas time."""

    text = StringField("Aviso (lo escuchan quienes llaman, antes del menú)",
                       validators=[DataRequired(REQUIRED), Length(max=300)],
                       filters=[_stripped])
    starts_day = DateField("Desde el día (vacío: ahora)", validators=[Optional()])
    starts_time = TimeField("a la hora", validators=[Optional()])
    ends_day = DateField("Hasta el día", validators=[InputRequired(REQUIRED)])
    ends_time = TimeField("a la hora", validators=[InputRequired(REQUIRED)])

    def validate(self, extra_validators=None) -> bool:
        """A start is a day and a time, or nothing."""
        if not super().validate(extra_validators):
            return False
        if (self.starts_day.data is None) != (self.starts_time.data is None):
            self.starts_time.errors.append("Indique día y hora de inicio, o ninguno para "
                                           "empezar ahora.")
            return False
        return True

    @staticmethod
    def moment(day, time) -> str | None:
        """'YYYY-MM-DD HH:MM' as the notices service reads it (None without a day)."""
        return f"{day.isoformat()} {time:%H:%M}" if day else None


class PreviewForm(FlaskForm):
    """A moment to hear the line at (GET, no token)."""

    class Meta:
        csrf = False

    day = DateField("Fecha", validators=[InputRequired(REQUIRED)])
    time = TimeField("Hora (Caracas)", validators=[InputRequired(REQUIRED)])


class CompanyForm(FlaskForm):
    """A company's name and contract response time."""

    name = _name("Nombre", 200)
    contract_hours = IntegerField(
        "Tiempo de respuesta del contrato (horas hábiles; vacío: sin contrato)",
        validators=[Optional(), NumberRange(min=1, max=MAX_CONTRACT_HOURS,
                                            message=f"Entre 1 y {MAX_CONTRACT_HOURS} horas.")])


class MergeForm(FlaskForm):
    """The company a duplicate is merged into (choices filled by the view)."""

    into = SelectField("Fusionar con", coerce=int, validators=[InputRequired(REQUIRED)])
    confirm = BooleanField("Confirmo: sus contactos y casos pasan a la otra empresa",
                           validators=[DataRequired("Confirme la fusión.")])


class ContactForm(FlaskForm):
    """A contact of a company."""

    name = _name("Nombre")
    position = StringField("Cargo", validators=[Optional(), Length(max=120)],
                           filters=[_stripped])
    phone = StringField("Teléfono", validators=[DataRequired(REQUIRED), _phone],
                        filters=[_stripped])
    email = StringField("Correo", validators=[
        Optional(), Length(max=200), Regexp(EMAIL, message="No es un correo válido.")],
        filters=[_stripped])
