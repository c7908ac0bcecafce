"""What the coordinator's pages share: who is acting, errors shown as form errors or messages,
and how the audit trail names tables and fields in Spanish."""

from __future__ import annotations

import re

from flask import flash, redirect, url_for

from ivr.console.context import app_state, current_user
from ivr.domain.errors import InputError

TABLE_LABELS = {
    "analysts": "Analistas", "emergency_contacts": "Teléfonos de emergencia",
    "users": "Usuarios", "companies": "Empresas", "contacts": "Contactos",
    "closures": "Cierres", "business_hours": "Horario", "skills": "Habilidades",
    "notices": "Avisos",
    "cases": "Casos",
}
FIELD_LABELS = {
    "created": "creado", "removed": "eliminado", "name": "nombre", "phone": "teléfono",
    "pin": "PIN", "status": "estado", "deactivated_at": "desactivado",
    "skills": "habilidades", "active": "activo", "position": "posición",
    "ring_seconds": "tiempo de timbre", "role": "rol", "analyst_id": "analista",
    "disabled_at": "deshabilitado", "password": "contraseña", "contract_hours": "contrato (h)",
    "alias": "alias", "merged": "fusionó", "merged_into": "fusionada en",
    "position_": "cargo", "email": "correo", "company_id": "empresa", "day": "fecha",
    "starts": "desde", "ends": "hasta", "reason": "motivo", "hours": "horario",
    "text": "texto", "starts_at": "desde", "ends_at": "hasta", "ended_at": "terminado",
    "area": "área de fallas",
}


def actor() -> int:
    """The id of the coordinator making a change (the audit trail's `by`)."""
    return current_user().id


# The services' refusals (written for the command line) as the console says them; one not
# listed here is shown as written.
SPANISH = [
    (r"--until '(?P<u>[^']*)' has passed already \(Caracas time\)",
     "El aviso termina el {u}, que ya pasó (hora de Caracas)."),
    (r"--until '(?P<u>[^']*)' is not after the start: .*",
     "El aviso debe terminar después de empezar."),
    (r"a notice lasts at most (?P<d>\d+) days: .*",
     "Un aviso dura como mucho {d} días: agregue otro después."),
    (r"the notice has (?P<n>\d+) characters: keep it under (?P<m>\d+) .*",
     "El aviso tiene {n} caracteres: no pase de {m} (una o dos frases)."),
    (r"notice (?P<i>\d+) is over already", "Ese aviso ya había terminado."),
    (r"phone '(?P<p>[^']*)' already belongs to company (?P<c>.+?) \(contact \d+, (?P<n>.+?)\)"
     r": .*", "El teléfono {p} ya es de la empresa {c} (contacto {n}): un teléfono solo puede "
              "compartirse entre contactos de una misma empresa."),
    (r"phone '(?P<p>[^']*)' already belongs to analyst \d+ \((?P<n>.+?)\): .*",
     "El teléfono {p} ya es del analista {n}: un teléfono es de un analista o de un "
     "contacto, no de ambos."),
    (r"phone '(?P<p>[^']*)' already belongs to contact \d+ \((?P<n>.+?), (?P<c>.+)\): .*",
     "El teléfono {p} ya es del contacto {n} ({c}): un teléfono es de un analista o de un "
     "contacto, no de ambos."),
    (r"phone '(?P<p>[^']*)' is already (?:an )?emergency (?:contact|phone) \(?#(?P<n>\d+),? "
     r"\(?(?P<w>[^)]+)\)", "El teléfono {p} ya es el teléfono de emergencia n.º {n} ({w})."),
    (r"company '(?P<c>[^']*)' already exists \(id \d+, (?P<w>.+)\)",
     "Ya existe la empresa {w}."),
    (r"'(?P<a>[^']*)' is already an alias of company \d+ \((?P<w>.+)\)",
     "«{a}» ya es otro nombre de la empresa {w}."),
    (r"there is a user with e-mail (?P<e>\S+) already", "Ya hay un usuario con el correo {e}."),
    (r"there is a skill '(?P<s>[^']*)' already", "Ya existe la habilidad «{s}»."),
    (r"unknown area '(?P<a>[^']*)': .*", "«{a}» no es un área de fallas de la lista."),
    (r"the centre is already closed then: closure \d+ on (?P<d>\S+) (?P<h>\S+(?: day)?) "
     r"\((?P<r>.+)\); .*", "Ya hay un cierre ese día a esa hora ({d}, {h}: {r}); "
                            "modifique o elimine ese."),
    (r"you cannot disable your own user", "No puede deshabilitar su propio usuario."),
    (r"you cannot change your own role", "No puede cambiar su propio rol."),
    (r"an analyst user needs --analyst.*", "Un usuario analista necesita un analista."),
    (r"the password must have at least (?P<n>\d+) characters",
     "La contraseña debe tener al menos {n} caracteres."),
    (r"that password is in the list of common passwords.*",
     "Esa contraseña es demasiado común: elija otra."),
    (r"the password must not be the e-mail address",
     "La contraseña no puede ser el correo."),
    (r"the password repeats too few characters.*",
     "La contraseña repite demasiado pocos caracteres: elija otra."),
    (r"windows overlap.*", "Los tramos se solapan."),
    (r"the centre must open on some weekday.*",
     "El centro debe abrir algún día de la semana (los cierres cierran días sueltos)."),
    (r".* is already deactivated", "Ya estaba desactivado."),
    (r".* is active already", "Ya estaba activo."),
    (r".* is (?:in)?active already", "Ya estaba así."),
    (r"'(?P<e>[^']*)' is not an e-mail address.*", "«{e}» no es un correo válido."),
]
_SPANISH = [(re.compile(pattern), text) for pattern, text in SPANISH]


def spanish(message: str) -> str:
    """A service's refusal in the console's words (as written when not known)."""
    for pattern, text in _SPANISH:
        match = pattern.fullmatch(message)
        if match:
            return text.format(**match.groupdict()).replace("all day", "todo el día")
    return message


def problem(error: InputError) -> str:
    """A refused change, as the page says it."""
    return f"No se guardó: {spanish(str(error))}"


def refused(error: InputError, endpoint: str, **values):
    """Back to a page with the reason a change was refused."""
    flash(problem(error), "error")
    return redirect(url_for(endpoint, **values), 303)


def done(message: str, endpoint: str, **values):
    """Back to a page with what was done (POST, redirect, GET)."""
    flash(message, "ok")
    return redirect(url_for(endpoint, **values), 303)


def schedule_changed() -> None:
    """The line hears new hours or closures at once (this process; others within 30 s)."""
    app_state().schedules.invalidate()
