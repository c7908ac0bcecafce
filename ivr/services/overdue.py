"""Overdue warnings: a callback due within OVERDUE_WARN_MINUTES that nobody works (the case
still new or received) is texted to the case's analyst, or to every available analyst, and
marked in the console's queue; once it is overdue, the coordinator (COORDINATOR_EMAIL) is
told. Each once per case, from the worker's tick."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from ivr.domain import messages
from ivr.domain.business_hours import to_caracas
from ivr.domain.statuses import AnalystStatus
from ivr.services.outbox import enqueue
from ivr.store import messaging
from ivr.store.analysts import all_analysts, analyst_by_id
from ivr.store.tx import Rec, Tx, transaction

log = logging.getLogger("ivr.overdue")

LOOK_BACK = timedelta(hours=24)  # older overdue callbacks were told about already, or never


@dataclass(frozen=True)
class OverdueConfig:
    """How early to warn, and who is told of overdue callbacks."""

    warn_minutes: int = 30
    coordinator_email: str | None = None

    @classmethod
    def of(cls, settings) -> OverdueConfig:
        """From the application's settings."""
        return cls(settings.overdue_warn_minutes, settings.coordinator_email)


def sweep(engine: Engine, now: datetime, config: OverdueConfig) -> int:
    """Warn about callbacks due soon and tell of overdue ones; how many cases."""
    with transaction(engine) as tx:
        soon = messaging.due_soon(tx, now, now + timedelta(minutes=config.warn_minutes))
        for case in soon:
            if messaging.mark_warned(tx, case.id, now):
                _warn(tx, case, now)
        late = messaging.overdue_untold(tx, now - LOOK_BACK, now)
        for case in late:
            if messaging.mark_overdue_told(tx, case.id, now):
                _tell_coordinator(tx, case, config, now)
    return len(soon) + len(late)


def _warn(tx: Tx, case: Rec, now: datetime) -> None:
    """An SMS to the case's analyst, or to every available analyst."""
    analyst = analyst_by_id(tx, case.assigned_analyst_id) \
        if case.assigned_analyst_id is not None else None
    if analyst is not None and analyst.deactivated_at is None:
        phones = [analyst.phone]
    else:
        phones = [a.phone for a in all_analysts(tx)
                  if a.status == AnalystStatus.AVAILABLE and a.deactivated_at is None]
    if not phones:
        log.error("overdue: the callback of case %s is due soon and no analyst is available",
                  case.number)
    text = messages.sms("overdue_soon", number=messages.grouped_number(case.number),
                        company=case.company_name or "sin empresa",
                        time=messages.sms_time(case.due_at))
    for phone in phones:
        enqueue(tx, "sms", {"to": phone, "body": text}, now)


def _tell_coordinator(tx: Tx, case: Rec, config: OverdueConfig, now: datetime) -> None:
    """The coordinator's e-mail about an overdue callback."""
    number = messages.grouped_number(case.number)
    log.warning("overdue: the callback of case %s is overdue", case.number)
    if not config.coordinator_email:
        return
    due = to_caracas(case.due_at).strftime("%d/%m/%Y %H:%M")
    body = "\n".join([
        f"La devolución de llamada del caso {number} venció a las {due} (hora de Caracas) y "
        "nadie la ha tomado.",
        "",
        f"Empresa: {case.company_name or 'sin identificar'}",
        f"Contacto: {case.caller_name or '-'}",
        f"Urgente: {'sí' if case.urgent else 'no'}"])
    enqueue(tx, "email", {"to": config.coordinator_email,
                          "subject": f"Devolución de llamada vencida: caso {number}",
                          "body": body}, now)
