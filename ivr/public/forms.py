"""The public page's form (Flask-WTF: a CSRF token, validated on the server)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ivr.domain.case_numbers import ACCEPTED_LENGTHS, CaseNumberCheck, check_case_number
from ivr.domain.phones import parse_phone

REQUIRED = "Este campo es obligatorio."
NUMBER_PROBLEMS = {
    CaseNumberCheck.EMPTY: REQUIRED,
    CaseNumberCheck.WRONG_LENGTH: "Un número de caso tiene "
                                  + " u ".join(str(n) for n in sorted(ACCEPTED_LENGTHS))
                                  + " dígitos.",
    CaseNumberCheck.BAD_CHECK_DIGIT: "Ese número de caso no es válido: revise los dígitos "
                                     "(el último es de control).",
}


def compact_number(value):
    """A case number as typed, without the spaces, dots and dashes people write in it."""
    if not isinstance(value, str):
        return value
    return "".join(c for c in value if c not in " .-\t")


def _stripped(value):
    """Surrounding spaces are never meant."""
    return value.strip() if isinstance(value, str) else value


class LookupForm(FlaskForm):
    """A case number and the phone it was opened from, or its contact's e-mail."""

    number = StringField("Número de caso", validators=[DataRequired(REQUIRED), Length(max=20)],
                         filters=[compact_number])
    who = StringField("Teléfono desde el que reportó, o su correo",
                      validators=[DataRequired(REQUIRED), Length(max=200)], filters=[_stripped])

    def validate_number(self, field) -> None:
        """The check digit, as on the phone: a mistyped number never reaches the database."""
        check = check_case_number(field.data)
        if check is not CaseNumberCheck.OK:
            raise ValidationError(NUMBER_PROBLEMS[check])

    def validate_who(self, field) -> None:
        """A phone number (any usual format) or an e-mail address."""
        value = field.data or ""
        if "@" in value:
            local, _, domain = value.rpartition("@")
            if not local or "." not in domain or any(c.isspace() for c in value):
                raise ValidationError("No es un correo válido.")
        elif parse_phone(value) is None:
            raise ValidationError("Escriba el teléfono con su código de área, por ejemplo "
                                  "0414 123 4567, o un correo.")
