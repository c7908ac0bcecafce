"""Written confirmations to callers (rule 5): the case number when the call that opened the
case has ended (found by the worker's tick: no webhook waits on it), a visit scheduled,
changed or cancelled, the case resolved.

To the case's callback number (or its caller ID) when it is a Venezuelan mobile, by SMS —
unless that number said "no" by voice (9 at the end of a report) — or by WhatsApp when it is
configured with a template for that notice and the number opted in (falling back to SMS);
and to the caller's e-mail when they gave one. The team's address (CASES_NOTIFY_TO) gets a
summary of each new case once its call has ended. All through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from ivr.domain import messages
from ivr.domain.business_hours import to_caracas
from ivr.domain.phones import is_venezuelan_mobile
from ivr.domain.statuses import CaseStatus, VisitStatus
from ivr.services.outbox import enqueue
from ivr.store import messaging
from ivr.store.tx import Rec, Tx, transaction

# A call whose end the line never heard (no status callback) is over after this long.
CALL_OVER_AFTER = timedelta(hours=2)
SWEEP_SPAN = timedelta(hours=24)  # older cases are left alone (a database restored, say)


@dataclass(frozen=True)
class NotifyConfig:
    """What the confirmations follow: WhatsApp's templates, the team's address, the console."""

    whatsapp_templates: frozenset[str] = field(default_factory=frozenset)
    cases_notify_to: str | None = None
    console_url: str | None = None  # the console's base, for links in the team's summary

    @classmethod
    def of(cls, settings) -> NotifyConfig:
        """From the application's settings (WhatsApp only with WHATSAPP_FROM set)."""
        templates = frozenset(settings.whatsapp_templates) if settings.whatsapp_from \
            else frozenset()
        return cls(templates, settings.cases_notify_to,
                   f"{settings.public_base_url or 'http://localhost'}/console")


def written_phone(case: Rec) -> str | None:
    """The number a case's confirmations go to: its callback number or its caller ID, when
    that is a Venezuelan mobile."""
    phone = case.callback_number or case.caller_number
    return phone if is_venezuelan_mobile(phone) else None


def may_text(tx: Tx, case: Rec) -> bool:
    """Whether the case's caller can be offered SMS (a mobile that has not said no)."""
    phone = written_phone(case)
    if phone is None:
        return False
    choice = messaging.preference(tx, phone)
    return not (choice and choice.no_sms)


def refuse_sms(tx: Tx, case: Rec, now: datetime) -> bool:
    """The caller pressed 9: no more messages to this number. False without one."""
    phone = written_phone(case)
    if phone is None:
        return False
    messaging.set_preference(tx, phone, True, False, now)
    return True


def notify(tx: Tx, case: Rec, kind: str, now: datetime,
           config: NotifyConfig | None = None, **values) -> list[int]:
    """Write one notice to the caller (SMS or WhatsApp, and e-mail); the outbox ids."""
    config = config or NotifyConfig()
    number = messages.grouped_number(case.number)
    ids = []
    phone = written_phone(case)
    choice = messaging.preference(tx, phone) if phone else None
    if phone and not (choice and choice.no_sms):
        sms = {"to": phone, "body": messages.sms(kind, number=number, **values)}
        if kind in config.whatsapp_templates and choice and choice.whatsapp:
            ids.append(enqueue(tx, "whatsapp", {
                "to": phone, "template": kind,
                "variables": {str(i): str(v) for i, v in
                              enumerate([number, *values.values()], start=1)},
                "fallback": {"kind": "sms", "payload": sms}}, now))
        else:
            ids.append(enqueue(tx, "sms", sms, now))
    if case.email:
        subject, body = messages.email(kind, number=number, **values)
        ids.append(enqueue(tx, "email", {"to": case.email, "subject": subject, "body": body},
                           now))
    return ids


def sweep(engine: Engine, now: datetime, config: NotifyConfig | None = None) -> int:
    """The worker's step: cases whose call has ended (its final status heard, or opened over
    CALL_OVER_AFTER ago) get their confirmation, and the team its summary, once."""
    with transaction(engine) as tx:
        cases = messaging.unnotified_ended(tx, now - SWEEP_SPAN, now - CALL_OVER_AFTER)
        for case in cases:
            _case_opened(tx, case, now, config or NotifyConfig())
    return len(cases)


def _case_opened(tx: Tx, case: Rec, now: datetime, config: NotifyConfig) -> None:
    """The case's number to its caller, and its summary to the team."""
    if not messaging.mark_notified(tx, case.id, now):
        return
    notify(tx, case, "case_opened", now, config)
    if config.cases_notify_to:
        enqueue(tx, "email", case_summary(case, config), now)


def case_summary(case: Rec, config: NotifyConfig) -> dict:
    """The team's e-mail about a new case."""
    number = messages.grouped_number(case.number)
    opened = to_caracas(case.created_at).strftime("%d/%m/%Y %H:%M")
    due = to_caracas(case.due_at).strftime("%d/%m/%Y %H:%M") if case.due_at else "-"
    severity = {1: "1, operación detenida", 2: "2, parcialmente afectada",
                3: "3, consulta"}.get(case.severity, "sin indicar")
    lines = [
        f"Caso {number}{' (URGENTE)' if case.urgent else ''}, abierto el {opened} "
        "(hora de Caracas).",
        "",
        f"Empresa: {case.company_name or 'sin identificar'}",
        f"Contacto: {case.caller_name or '-'}",
        f"Cargo: {case.caller_position or '-'}",
        f"Severidad: {severity}",
        f"Devolución de llamada antes de: {due}",
        "",
        f"Ver el caso y su grabación: {config.console_url}/cases/{case.number}",
    ]
    return {"to": config.cases_notify_to,
            "subject": f"Nuevo caso {number}: {case.company_name or 'empresa sin identificar'}",
            "body": "\n".join(lines)}


def visit_changed(tx: Tx, before: Rec, after: Rec, now: datetime) -> list[int]:
    """A visit arranged, moved or cancelled: the caller is told (nothing when nothing that
    the caller knows changed)."""
    if after.visit_at is None:
        return []
    if after.visit_status == VisitStatus.CANCELLED:
        if before.visit_status == VisitStatus.CANCELLED:
            return []
        return notify(tx, after, "visit_cancelled", now)
    if after.visit_status not in (VisitStatus.PROPOSED, VisitStatus.CONFIRMED):
        return []
    values = {"when": messages.sms_when(after.visit_at),
              "cost": f"Bs. {messages.cost_text(after.visit_cost)}"}
    if before.visit_at is None or before.visit_status == VisitStatus.CANCELLED:
        return notify(tx, after, "visit_arranged", now, **values)
    if (before.visit_at, before.visit_cost) == (after.visit_at, after.visit_cost):
        return []
    return notify(tx, after, "visit_moved", now, **values)


def status_changed(tx: Tx, before: Rec, after: Rec, now: datetime) -> list[int]:
    """The case resolved: the caller is told."""
    if after.status == CaseStatus.RESOLVED and before.status != CaseStatus.RESOLVED:
        return notify(tx, after, "case_resolved", now)
    return []
