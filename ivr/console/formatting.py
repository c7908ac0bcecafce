"""How the console shows times, statuses and severities, in Spanish (Jinja filters)."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime
from flask import Flask

from ivr.domain.business_hours import to_caracas
from ivr.domain.statuses import (
    AnalystStatus,
    CallbackCallState,
    CallbackOutcome,
    CallbackState,
    CallOutcome,
    CallStatus,
    CaseStatus,
    FaultArea,
    RecordingKind,
    RecordingStatus,
    Severity,
    UserRole,
    VisitStatus,
)

LOCALE = "es_VE"

CASE_STATUS_LABELS = {
    CaseStatus.INCOMPLETE: "Incompleto",
    CaseStatus.RECEIVED: "Recibido",
    CaseStatus.IN_PROGRESS: "En proceso",
    CaseStatus.VISIT_SCHEDULED: "Visita programada",
    CaseStatus.WAITING_CLIENT: "Esperando al cliente",
    CaseStatus.RESOLVED: "Resuelto",
}
SEVERITY_LABELS = {
    Severity.STOPPED: "1 · Operación detenida",
    Severity.PARTLY_AFFECTED: "2 · Parcialmente afectada",
    Severity.QUESTION: "3 · Consulta",
}
VISIT_STATUS_LABELS = {
    VisitStatus.PROPOSED: "Propuesta",
    VisitStatus.CONFIRMED: "Confirmada",
    VisitStatus.DONE: "Realizada",
    VisitStatus.CANCELLED: "Cancelada",
}
ANALYST_STATUS_LABELS = {
    AnalystStatus.AVAILABLE: "Disponible",
    AnalystStatus.UNAVAILABLE: "No disponible",
    AnalystStatus.AWAY: "Ausente",
}
AREA_LABELS = {
    FaultArea.EQUIPMENT: "equipos",
    FaultArea.PRINTER: "impresoras",
    FaultArea.NETWORK: "redes",
    FaultArea.EMAIL: "correo",
    FaultArea.SOFTWARE: "programas",
}
NO_AREA_LABEL = "ninguna"
ROLE_LABELS = {UserRole.ANALYST: "Analista", UserRole.COORDINATOR: "Coordinador(a)"}
OUTCOME_LABELS = {
    CallOutcome.ANSWERED: "atendida por un analista",
    CallOutcome.EMERGENCY_ANSWERED: "atendida por emergencias",
    CallOutcome.EMERGENCY_MESSAGE: "mensaje de emergencia",
    CallOutcome.CALLBACK: "a la cola de devoluciones",
    CallOutcome.ABANDONED: "el cliente colgó",
}
RECORDING_STATUS_LABELS = {
    RecordingStatus.IN_PROGRESS: "en curso",
    RecordingStatus.COMPLETED: "disponible",
    RecordingStatus.FAILED: "falló",
    RecordingStatus.ABSENT: "sin audio",
}
RECORDING_KIND_LABELS = {
    RecordingKind.DESCRIPTION: "descripción de la falla", RecordingKind.COMPANY: "empresa",
    RecordingKind.NAME: "nombre", RecordingKind.POSITION: "cargo",
    RecordingKind.ADDENDUM: "información adicional", RecordingKind.EMERGENCY: "emergencia",
    RecordingKind.UNKNOWN: "sin clasificar",
}
CALLBACK_OUTCOME_LABELS = {
    CallbackOutcome.SPOKE: "Hablé con el cliente",
    CallbackOutcome.NO_ANSWER: "No contestó",
    CallbackOutcome.VOICEMAIL: "Buzón de voz",
    CallbackOutcome.WRONG_NUMBER: "Número equivocado",
}
CALLBACK_CALL_STATE_LABELS = {
    CallbackCallState.PLACING: "llamando a su teléfono",
    CallbackCallState.DIALLING: "llamando al cliente",
    CallbackCallState.DECLINED: "cancelada por el analista",
    CallbackCallState.MISSED: "el analista no contestó",
    CallbackCallState.ENDED: "terminada",
}
CLIENT_STATUS_LABELS = {
    CallStatus.COMPLETED: "el cliente contestó",
    CallStatus.BUSY: "línea del cliente ocupada",
    CallStatus.NO_ANSWER: "el cliente no contestó",
    CallStatus.FAILED: "no se pudo llamar al cliente",
    CallStatus.CANCELED: "cancelada antes de que el cliente contestara",
}
FIELD_LABELS = {
    "status": "estado", "severity": "severidad", "company_id": "empresa registrada",
    "company_name": "empresa", "company_to_link": "empresa por vincular",
    "caller_name": "contacto", "caller_position": "cargo", "email": "correo",
    "callback_number": "número de devolución", "callback_extension": "extensión",
    "assigned_analyst_id": "analista asignado", "callback_state": "devolución",
    "due_at": "vence", "visit_at": "visita", "visit_cost": "costo de la visita",
    "visit_status": "estado de la visita",
}
LABELS = {"case_status": CASE_STATUS_LABELS, "severity": SEVERITY_LABELS,
          "visit_status": VISIT_STATUS_LABELS, "analyst_status": ANALYST_STATUS_LABELS,
          "role": ROLE_LABELS, "outcome": OUTCOME_LABELS,
          "recording_status": RECORDING_STATUS_LABELS, "field": FIELD_LABELS,
          "recording_kind": RECORDING_KIND_LABELS, "callback_outcome": CALLBACK_OUTCOME_LABELS,
          "callback_call": CALLBACK_CALL_STATE_LABELS, "client_status": CLIENT_STATUS_LABELS,
          "area": AREA_LABELS}


def caracas_time(value: datetime | None, pattern: str = "EEE d MMM y, HH:mm") -> str:
    """A stored (naive UTC) time as Caracas wall-clock time, in Spanish."""
    if value is None:
        return "—"
    return format_datetime(to_caracas(value), pattern, locale=LOCALE)


def time_left(seconds: int | None) -> str:
    """Time left to a due time: 'quedan 1 h 05 min', or 'vencida hace 20 min'."""
    if seconds is None:
        return "sin vencimiento"
    minutes = abs(seconds) // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        span = f"{days} d {hours} h"
    elif hours:
        span = f"{hours} h {minutes:02d} min"
    else:
        span = f"{minutes} min"
    return f"quedan {span}" if seconds >= 0 else f"vencida hace {span}"


def label(value, kind: str) -> str:
    """The Spanish label of a stored word of a kind (case_status, severity…)."""
    if value is None:
        return "—"
    return LABELS[kind].get(value, str(value))


CALLBACK_STATE_LABELS = {CallbackState.NONE: "ninguna", CallbackState.PENDING: "pendiente",
                         CallbackState.DONE: "hecha"}
# How the audit trail's text values of a case's fields are shown.
_AUDIT_KINDS = {"status": CASE_STATUS_LABELS, "visit_status": VISIT_STATUS_LABELS,
                "callback_state": CALLBACK_STATE_LABELS}
_AUDIT_TIMES = {"due_at", "visit_at"}


def audit_value(value: str | None, field: str) -> str:
    """A value of the audit trail (text as stored) the way the case page shows the field."""
    if value is None:
        return "—"
    if field in _AUDIT_KINDS:
        return _AUDIT_KINDS[field].get(value, value)
    if field == "severity" and value.isdigit():
        return SEVERITY_LABELS.get(int(value), value)
    if field in _AUDIT_TIMES:
        try:
            return caracas_time(datetime.fromisoformat(value))
        except ValueError:
            return value
    if field == "company_to_link":
        return "sí" if value == "true" else "no"
    return value


def register_filters(app: Flask) -> None:
    """Make the filters available to the console's templates."""
    app.add_template_filter(caracas_time, "caracas")
    app.add_template_filter(time_left, "time_left")
    app.add_template_filter(label, "label")
    app.add_template_filter(audit_value, "audit_value")
