"""The support mailbox as a channel (rule 1.1 b): a mail opens a case like a call does, or
follows the case it quotes; the sender is answered through the outbox.

What happens to one mail (`handle_mail`, one transaction):
- kept once by its Message-ID: read again (a second reader, a crash before the move), nothing
  happens twice;
- a loop or a machine (our own address, Auto-Submitted, Precedence bulk/junk/list/auto_reply,
  mailer daemons, delivery reports): kept as skipped, never answered;
- quoting a case (a valid case number in the subject, or In-Reply-To/References naming a mail
  of the case or our answer to it): a note on that case, which its analyst sees;
- no text from an unknown sender, or a sender already answered too often this hour: set aside
  for the coordinator (`mailbox list --aside`), no case;
- else a new case: the sender matched to a contact by address (company, name, phone to call
  back), its callback due as for a call, and an answer with its number and due time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from ivr.domain.business_hours import Schedule
from ivr.domain.mail import Mail
from ivr.domain.phones import parse_phone
from ivr.domain.spanish_dates import describe_deadline
from ivr.domain.statuses import MailOutcome
from ivr.services import outbox
from ivr.services.callbacks import schedule_callback
from ivr.services.cases import completed_status, find_case, get_case, open_case
from ivr.services.casework import add_note
from ivr.services.directory import find_contact_by_email
from ivr.store import mailbox as store
from ivr.store.tx import Rec, Tx

LEASE_NAME = "mailbox"
ANSWER_WINDOW = timedelta(hours=1)
NOTE_SUBJECT = 120  # characters of a subject quoted in a case's notes


@dataclass(frozen=True)
class MailboxRules:
    """What the reader needs from the settings."""

    own_address: str
    other_own: frozenset[str]  # the line's other sender (notifications): never answered
    attachment_max_bytes: int
    answers_per_hour: int
    published_numbers: tuple[str, ...]

    @property
    def own(self) -> frozenset[str]:
        """Every address the line sends from: a mail from one of them is a loop."""
        return self.other_own | {self.own_address}

    @property
    def domain(self) -> str:
        """The mailbox's domain (our answers' Message-IDs end in it)."""
        return self.own_address.rsplit("@", 1)[-1]


def rules(settings) -> MailboxRules:
    """The rules from the settings."""
    return MailboxRules(
        own_address=settings.mailbox_address,
        other_own=frozenset({parseaddr(settings.smtp_from)[1].lower()} - {""}),
        attachment_max_bytes=settings.mailbox_attachment_max_kb * 1024,
        answers_per_hour=settings.mailbox_answers_per_hour,
        published_numbers=tuple(settings.published_numbers))


@dataclass(frozen=True)
class Handled:
    """What became of one mail."""

    message_id: str
    outcome: MailOutcome
    case_number: str | None = None
    answered: bool = False
    reason: str | None = None
    again: bool = False  # read before: nothing done this time


def mail_origin(message_id: str) -> str:
    """The stand-in for a call SID of a case opened by a mail (cases.origin_call_sid): stable
    for one Message-ID, so the same mail never opens two cases."""
    return "MAIL" + hashlib.sha256(message_id.encode()).hexdigest()[:40]


def handle_mail(tx: Tx, schedule: Schedule, rules: MailboxRules, mail: Mail,
                now: datetime) -> Handled:
    """Keep one mail and do what it asks; see the module's description."""
    kept = store.by_message_id(tx, mail.message_id)
    if kept is not None:
        number = _case_number(tx, kept.case_id)
        return Handled(mail.message_id, MailOutcome(kept.outcome), number, kept.answered,
                       kept.reason, again=True)
    if mail.auto:
        _keep(tx, mail, MailOutcome.SKIPPED, now, reason=mail.auto)
        return Handled(mail.message_id, MailOutcome.SKIPPED, reason=mail.auto)
    case = _quoted_case(tx, mail)
    if case is not None:
        add_note(tx, case, f"Correo de {mail.sender or 'remitente desconocido'}: "
                 f"{(mail.subject or '(sin asunto)')[:NOTE_SUBJECT]}", now)
        _keep(tx, mail, MailOutcome.NOTE, now, case=case, max_bytes=rules.attachment_max_bytes)
        return Handled(mail.message_id, MailOutcome.NOTE, case.number)
    known = find_contact_by_email(tx, mail.sender)
    reason = None
    if not mail.text and known is None:
        reason = "sin texto y de un remitente desconocido"
    elif store.answered_since(tx, mail.sender, now - ANSWER_WINDOW) >= rules.answers_per_hour:
        reason = f"más de {rules.answers_per_hour} correos respondidos en una hora"
    if reason:
        _keep(tx, mail, MailOutcome.ASIDE, now, reason=reason)
        return Handled(mail.message_id, MailOutcome.ASIDE, reason=reason)
    contact, phone = known if known else (None, None)
    case = open_case(tx, mail_origin(mail.message_id), 1, None, contact,
                     not schedule.is_open(now), now)
    changes = completed_status(case) | {"email": case.email or mail.sender or None}
    if phone:
        changes["callback_number"] = phone
    if not case.caller_name and mail.sender_name:
        changes["caller_name"] = mail.sender_name[:120]
    case = schedule_callback(tx, schedule, case, now, **changes)
    add_note(tx, case, "Abierto por correo de "
             f"{mail.sender}: {(mail.subject or '(sin asunto)')[:NOTE_SUBJECT]}", now)
    row = _keep(tx, mail, MailOutcome.CASE, now, case=case,
                max_bytes=rules.attachment_max_bytes)
    if row is None:  # kept meanwhile by another reader, which answered it
        return Handled(mail.message_id, MailOutcome.CASE, case.number, again=True)
    store.mark_answered(tx, row.id, _answer(tx, rules, mail, row.id, case, now))
    return Handled(mail.message_id, MailOutcome.CASE, case.number, answered=True)


def _keep(tx: Tx, mail: Mail, outcome: MailOutcome, now: datetime, *, case: Rec | None = None,
          reason: str | None = None, max_bytes: int = 0) -> Rec | None:
    """Store the mail, and its attachments when it joins a case (the bytes of those larger
    than `max_bytes` left out); None when it was stored already."""
    row = store.insert(tx, message_id=mail.message_id, sender=mail.sender[:254],
                       reply_to=mail.reply_to[:254], subject=mail.subject, body=mail.text,
                       outcome=outcome, reason=reason, case_id=case.id if case else None,
                       now=now)
    if row is not None and case is not None:
        for attachment in mail.attachments:
            size = len(attachment.content)
            store.add_attachment(tx, row.id, attachment.filename, attachment.content_type,
                                 size, attachment.content if size <= max_bytes else None)
    return row


def _quoted_case(tx: Tx, mail: Mail) -> Rec | None:
    """The case a mail follows: named in its subject, or by the mails it answers."""
    number = mail.case_number_in_subject()
    if number:
        case = find_case(tx, number)
        if case is not None:
            return case
    for ref in mail.references:
        case_id = store.case_of_message(tx, ref)
        if case_id is not None:
            return get_case(tx, case_id)
    return None


def _case_number(tx: Tx, case_id: int | None) -> str | None:
    """A case's number by id."""
    case = get_case(tx, case_id)
    return case.number if case else None


def _answer(tx: Tx, rules: MailboxRules, mail: Mail, mail_id: int, case: Rec,
            now: datetime) -> str:
    """Put the answer to a mail that opened a case in the outbox; its Message-ID."""
    answer_id = f"<caso-{case.number}.correo-{mail_id}@{rules.domain}>"
    lines = [
        "Buen día,",
        "",
        f"Recibimos su correo y abrimos el caso número {case.number}.",
        "Guárdelo: con él puede consultar su caso por teléfono.",
        "",
    ]
    if case.callback_number:
        lines.append("Un especialista le llamará "
                     f"{describe_deadline(case.due_at, now)} (hora de Caracas).")
    else:
        lines.append("Para llamarle, responda a este correo con el nombre de su empresa y un "
                     "número de teléfono.")
    lines += [
        "Si responde a este correo, su mensaje se añade al mismo caso.",
        "",
        "Líneas de soporte: " + " y ".join(_national(n) for n in rules.published_numbers),
        "",
        "CCO Apoyo Empresarial",
    ]
    references = " ".join([*reversed(mail.references), mail.message_id])[-900:]
    outbox.enqueue(tx, "email", {
        "to": mail.reply_to,
        "from": rules.own_address,
        "subject": f"Caso {case.number}: {mail.subject or 'su solicitud'}"[:200],
        "body": "\n".join(lines),
        "message_id": answer_id,
        "headers": {"In-Reply-To": mail.message_id, "References": references,
                    "Auto-Submitted": "auto-replied"},
    }, now)
    return answer_id


def _national(number: str) -> str:
    """+582124713239 as (0212) 471.32.39, as the procedure writes the lines."""
    e164 = parse_phone(number) or number
    digits = e164.removeprefix("+58")
    if len(digits) == 10:
        return f"(0{digits[:3]}) {digits[3:6]}.{digits[6:8]}.{digits[8:]}"
    return e164


def case_mails(tx: Tx, case_id: int) -> list[Rec]:
    """A case's mails, oldest first (for its page)."""
    return store.of_case(tx, case_id)


def case_attachments(tx: Tx, case_id: int) -> list[Rec]:
    """A case's attachments, without their bytes."""
    return store.attachments_of_case(tx, case_id)


def attachment(tx: Tx, attachment_id: int) -> Rec | None:
    """An attachment with its bytes and its case's id."""
    return store.attachment(tx, attachment_id)


def listing(tx: Tx, outcome: MailOutcome | None, limit: int = 50) -> list[Rec]:
    """The latest mails read, of one outcome or all."""
    return store.by_outcome(tx, outcome, limit) if outcome else store.recent(tx, limit)


def take_lease(tx: Tx, holder: str, until: datetime, now: datetime) -> bool:
    """The reader's lease: taken (or renewed) by this holder, or False while another runs."""
    return store.take_lease(tx, LEASE_NAME, holder, until, now)


def drop_lease(tx: Tx, holder: str) -> None:
    """The reader stops: another may start at once."""
    store.drop_lease(tx, LEASE_NAME, holder)


def lease_holder(tx: Tx) -> Rec | None:
    """Who reads the mailbox now, and until when."""
    return store.lease(tx, LEASE_NAME)

