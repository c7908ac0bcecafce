"""What the coordinator's pages share: who is acting, errors shown as form errors or messages,
and how the audit trail names tables and fields in Spanish."""

from __future__ import annotations

from flask import flash, redirect, url_for

from ivr.console.context import app_state, current_user
from ivr.domain.errors import InputError

TABLE_LABELS = {
    "analysts": "Analistas", "emergency_contacts": "Teléfonos de emergencia",
    "users": "Usuarios", "companies": "Empresas", "contacts": "Contactos",
    "closures": "Cierres", "business_hours": "Horario", "skills": "Habilidades",
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
}


def actor() -> int:
    """The id of the coordinator making a change (the audit trail's `by`)."""
    return current_user().id


def problem(error: InputError) -> str:
    """A refused change, as the page says it."""
    return f"No se guardó: {error}"


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
