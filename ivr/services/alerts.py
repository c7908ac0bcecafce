"""Emergency alerts (rule 1.2): an emergency nobody took, or a message left on the emergency
recorder, alerts the emergency phones at once, until one of them takes the case.

A round: an SMS to every active emergency phone, then a call to each in their order, one at a
time (ALERT_CALL_MINUTES apart, or at once when the previous call ends untaken), saying the
alert with "marque 1 para tomar el caso". Taken (key 1 on such a call, or "Tomar" in the
console): the case is that person's (the analyst with that phone, if any), the other phones
are told by SMS. Nobody within ALERT_ROUND_MINUTES: the round starts again, at most
ALERT_MAX_ROUNDS times; then the coordinator (COORDINATOR_EMAIL) gets an e-mail.

Everything goes out through the outbox, written in the transaction that moves the alert on;
the worker's tick (`outbox work`, `outbox run-once`) moves every alert that is due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.engine import Engine

from ivr.domain import messages
from ivr.domain.business_hours import to_caracas
from ivr.domain.statuses import AlertStatus, CaseStatus
from ivr.services.cases import change_case, get_case
from ivr.services.outbox import enqueue
from ivr.store import alerts as store
from ivr.store.analysts import analyst_by_id, analyst_by_phone
from ivr.store.directory import active_emergency_contacts, emergency_contact_by_id
from ivr.store.tx import Rec, Tx, transaction

log = logging.getLogger("ivr.alerts")

ALERT_RING_SECONDS = 30  # how long each emergency phone rings


class Links(Protocol):
    """The webhook URLs an alert call needs (the voice surface builds them)."""

    def alert_call(self, alert_id: int, contact_id: int) -> str:
        """What the call says when answered."""

    def alert_status(self, alert_id: int, contact_id: int) -> str:
        """Where the call's final status goes."""


@dataclass(frozen=True)
class AlertConfig:
    """The settings an alert follows."""

    round_minutes: int = 15
    max_rounds: int = 3
    call_minutes: int = 2
    caller_id: str | None = None  # the number the alert calls come from
    coordinator_email: str | None = None

    @classmethod
    def of(cls, settings) -> AlertConfig:
        """From the application's settings."""
        caller_id = settings.callback_caller_id or (
            settings.sms_from if settings.sms_from and not settings.sms_from.startswith("MG")
            else None)
        return cls(settings.alert_round_minutes, settings.alert_max_rounds,
                   settings.alert_call_minutes, caller_id, settings.coordinator_email)


def raise_alert(tx: Tx, case: Rec, now: datetime) -> Rec | None:
    """Alert the emergency phones about a case, from the worker's next tick; None when the
    case was alerted already (only once per case)."""
    alert = store.add(tx, case.id, now)
    if alert is not None:
        log.warning("alert %s: emergency case %s, the emergency phones are alerted", alert.id,
                    case.number)
    return alert


def alert_of_case(tx: Tx, case_id: int) -> Rec | None:
    """A case's alert, if it has one."""
    return store.of_case(tx, case_id)


def get_alert(tx: Tx, alert_id: int | None) -> Rec | None:
    """An alert by id."""
    return store.by_id(tx, alert_id)


def tick(engine: Engine, config: AlertConfig, links: Links, now: datetime) -> int:
    """Move on every alert that is due (the worker's scheduled step); how many moved."""
    with transaction(engine) as tx:
        due = store.due(tx, now)
        for alert in due:
            _advance(tx, alert, config, links, now)
    return len(due)


def _advance(tx: Tx, alert: Rec, config: AlertConfig, links: Links, now: datetime) -> None:
    """One alert's steps that are due now: a round's SMS, its next call, a new round, or the
    coordinator."""
    case = get_case(tx, alert.case_id)
    phones = active_emergency_contacts(tx)
    changes: dict = {}
    step, round_no = alert.step, alert.round_no
    round_started = alert.round_started_at
    if step == 0:
        for contact in phones:
            enqueue(tx, "sms", {"to": contact.phone, "body": alert_text(case)}, now)
        if not phones:
            log.error("alert %s: no active emergency phone to alert (`emergency add`)",
                      alert.id)
        step, round_started = 1, now
        changes.update(round_started_at=now)
    round_end = round_started + timedelta(minutes=config.round_minutes)
    if step <= len(phones):
        contact = phones[step - 1]
        enqueue(tx, "call", {
            "to": contact.phone, "from": config.caller_id,
            "url": links.alert_call(alert.id, contact.id),
            "status_callback": links.alert_status(alert.id, contact.id),
            "timeout": ALERT_RING_SECONDS}, now)
        step += 1
        next_at = now + timedelta(minutes=config.call_minutes)
        if step > len(phones):
            next_at = max(next_at, round_end)
        tx.update("alerts", alert.id, step=step, next_step_at=next_at, updated_at=now,
                  **changes)
        return
    # Every phone of the round was called and nobody took the case.
    if round_no < config.max_rounds:
        tx.update("alerts", alert.id, round_no=round_no + 1, step=0, next_step_at=now,
                  updated_at=now)
        log.warning("alert %s: nobody took case %s in round %s; round %s", alert.id,
                    case.number, round_no, round_no + 1)
        _advance(tx, store.by_id(tx, alert.id), config, links, now)
        return
    tx.update("alerts", alert.id, status=AlertStatus.UNANSWERED, updated_at=now)
    log.error("alert %s: nobody took emergency case %s after %s rounds", alert.id,
              case.number, round_no)
    if config.coordinator_email:
        enqueue(tx, "email", coordinator_mail(case, alert, phones, config, now), now)
    else:
        log.error("alert %s: COORDINATOR_EMAIL is not set: nobody else is told", alert.id)


def alert_text(case: Rec) -> str:
    """The SMS each emergency phone gets."""
    return messages.sms("alert", number=messages.grouped_number(case.number),
                        company=case.company_name or "empresa sin identificar",
                        phone=case.callback_number or case.caller_number or "sin numero")


def coordinator_mail(case: Rec, alert: Rec, phones: list[Rec], config: AlertConfig,
                     now: datetime) -> dict:
    """The e-mail to the coordinator when every round went unanswered."""
    number = messages.grouped_number(case.number)
    opened = to_caracas(alert.created_at).strftime("%d/%m/%Y %H:%M")
    body = "\n".join([
        f"Nadie tomó la emergencia del caso {number} tras {alert.round_no} rondas de aviso "
        f"(SMS y llamadas cada {config.round_minutes} minutos desde las {opened}, hora de "
        "Caracas).",
        "",
        f"Empresa: {case.company_name or 'sin identificar'}",
        f"Contacto: {case.caller_name or '-'} ({case.caller_position or '-'})",
        f"Número para devolver la llamada: {case.callback_number or case.caller_number or '-'}",
        "Teléfonos de emergencia avisados: " + (", ".join(p.name for p in phones) or
                                                "ninguno activo"),
        "",
        "El caso espera en la consola, primero en la cola de devoluciones de llamada."])
    return {"to": config.coordinator_email,
            "subject": f"Emergencia sin atender: caso {number}", "body": body}


@dataclass(frozen=True)
class Taking:
    """What came of pressing 1 on an alert call: taken now, or by whom before."""

    taken: bool
    by: str | None  # who has it, when someone else took it first


def take_by_phone(tx: Tx, alert: Rec, contact: Rec, now: datetime) -> Taking:
    """An emergency phone pressed 1: the case is theirs if nobody took it first."""
    analyst = analyst_by_phone(tx, contact.phone)
    if not store.take(tx, alert.id, contact.id, analyst.id if analyst else None, now):
        return Taking(False, taken_by(tx, store.by_id(tx, alert.id)))
    case = get_case(tx, alert.case_id)
    _assign(tx, case, analyst, now)
    _tell_the_others(tx, case, contact.name, {contact.phone}, now)
    return Taking(True, None)


def take_in_console(tx: Tx, case: Rec, analyst_id: int, now: datetime) -> bool:
    """An analyst took an alerted case in the console: the alert ends, the emergency phones
    are told. False when the case had no alert going on."""
    alert = store.of_case(tx, case.id)
    if alert is None or not store.take(tx, alert.id, None, analyst_id, now):
        return False
    analyst = analyst_by_id(tx, analyst_id)
    _tell_the_others(tx, case, analyst.name, {analyst.phone}, now)
    return True


def call_ended(tx: Tx, alert: Rec | None, contact_id: int, now: datetime) -> None:
    """An alert call ended: if nobody took the case, ring the next phone now."""
    if alert is None or alert.status != AlertStatus.ALERTING:
        return
    phones = [p.id for p in active_emergency_contacts(tx)]
    if contact_id in phones and phones.index(contact_id) + 2 == alert.step:
        store.hurry(tx, alert.id, alert.step, now)


def taken_by(tx: Tx, alert: Rec | None) -> str | None:
    """Who took an alerted case (a name), if anyone."""
    if alert is None or alert.status != AlertStatus.TAKEN:
        return None
    if alert.taken_by_contact_id is not None:
        return emergency_contact_by_id(tx, alert.taken_by_contact_id).name
    analyst = analyst_by_id(tx, alert.taken_by_analyst_id)
    return analyst.name if analyst else None


def _assign(tx: Tx, case: Rec, analyst: Rec | None, now: datetime) -> None:
    """The case goes to the analyst who took it (an emergency phone that is no analyst's is
    kept on the alert only)."""
    if analyst is None:
        return
    changes: dict = {"assigned_analyst_id": analyst.id}
    if case.status in (CaseStatus.INCOMPLETE, CaseStatus.RECEIVED):
        changes["status"] = CaseStatus.IN_PROGRESS
    change_case(tx, case, now, **changes)


def _tell_the_others(tx: Tx, case: Rec, name: str, skip: set[str], now: datetime) -> None:
    """An SMS to every other emergency phone: the case is taken."""
    text = messages.sms("alert_taken", number=messages.grouped_number(case.number), name=name)
    for contact in active_emergency_contacts(tx):
        if contact.phone not in skip:
            enqueue(tx, "sms", {"to": contact.phone, "body": text}, now)
