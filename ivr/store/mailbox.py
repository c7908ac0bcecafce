"""Statements about the support mailbox: the mails read (once each, by Message-ID), their
attachments, and the leases that let one worker at a time run a job."""

from __future__ import annotations

from datetime import datetime

from ivr.store.tx import Q, Rec, Tx

# A mail read twice (or by two readers) is stored once: the second insert returns nothing.
_NEW_MAIL = Q(
    "INSERT INTO mails (message_id, sender, reply_to, subject, body, outcome, reason, case_id,"
    " answered, received_at) VALUES (:message_id, :sender, :reply_to, :subject, :body,"
    " :outcome, :reason, :case_id, FALSE, :now) ON CONFLICT DO NOTHING RETURNING *")
_BY_MESSAGE_ID = Q("SELECT * FROM mails WHERE message_id = :message_id")
_CASE_OF_MESSAGE = Q(
    "SELECT case_id FROM mails WHERE (message_id = :ref OR answer_id = :ref)"
    " AND case_id IS NOT NULL ORDER BY id LIMIT 1")
_ANSWERED_SINCE = Q(
    "SELECT COUNT(*) FROM mails WHERE sender = :sender AND received_at >= :since AND answered")
_ANSWERED = Q("UPDATE mails SET answered = TRUE, answer_id = :answer_id WHERE id = :id")
_NEW_ATTACHMENT = Q(
    "INSERT INTO mail_attachments (mail_id, filename, content_type, size, content)"
    " VALUES (:mail_id, :filename, :content_type, :size, :content)")
_OF_CASE = Q(
    "SELECT id, sender, subject, body, outcome, received_at FROM mails WHERE case_id = :case_id"
    " ORDER BY received_at, id")
_ATTACHMENTS_OF_CASE = Q(
    "SELECT a.id, a.mail_id, a.filename, a.content_type, a.size,"
    " a.content IS NOT NULL AS kept FROM mail_attachments a JOIN mails m ON m.id = a.mail_id"
    " WHERE m.case_id = :case_id ORDER BY a.id")
_ATTACHMENT = Q(
    "SELECT a.*, m.case_id FROM mail_attachments a JOIN mails m ON m.id = a.mail_id"
    " WHERE a.id = :id")
_BY_OUTCOME = Q(
    "SELECT * FROM mails WHERE outcome = :outcome ORDER BY received_at DESC, id DESC"
    " LIMIT :limit")
_RECENT = Q("SELECT * FROM mails ORDER BY received_at DESC, id DESC LIMIT :limit")
# Taken when free, expired, or already this holder's (renewed): one statement, no race.
_TAKE_LEASE = Q(
    "INSERT INTO worker_leases (name, holder, until) VALUES (:name, :holder, :until)"
    " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until"
    " WHERE worker_leases.until <= :now OR worker_leases.holder = excluded.holder"
    " RETURNING holder")
_DROP_LEASE = Q("DELETE FROM worker_leases WHERE name = :name AND holder = :holder")
_LEASE = Q("SELECT * FROM worker_leases WHERE name = :name")


def insert(tx: Tx, *, message_id: str, sender: str, reply_to: str, subject: str, body: str,
           outcome: str, reason: str | None, case_id: int | None, now: datetime) -> Rec | None:
    """Keep a mail read; None when its Message-ID is kept already."""
    return tx.row(_NEW_MAIL, message_id=message_id, sender=sender, reply_to=reply_to,
                  subject=subject, body=body, outcome=outcome, reason=reason, case_id=case_id,
                  now=now)


def by_message_id(tx: Tx, message_id: str) -> Rec | None:
    """A mail kept, by its Message-ID."""
    return tx.row(_BY_MESSAGE_ID, message_id=message_id)


def case_of_message(tx: Tx, ref: str) -> int | None:
    """The case of a mail we read, or of an answer we sent, by its Message-ID."""
    return tx.value(_CASE_OF_MESSAGE, ref=ref)


def answered_since(tx: Tx, sender: str, since: datetime) -> int:
    """How many of a sender's mails were answered since a moment."""
    return tx.value(_ANSWERED_SINCE, sender=sender, since=since) or 0


def mark_answered(tx: Tx, mail_id: int, answer_id: str) -> None:
    """An answer to this mail is in the outbox, with this Message-ID."""
    tx.run(_ANSWERED, id=mail_id, answer_id=answer_id)


def add_attachment(tx: Tx, mail_id: int, filename: str, content_type: str, size: int,
                   content: bytes | None) -> None:
    """Keep a mail's attachment (its bytes, or None when too large)."""
    tx.run(_NEW_ATTACHMENT, mail_id=mail_id, filename=filename, content_type=content_type,
           size=size, content=content)


def of_case(tx: Tx, case_id: int) -> list[Rec]:
    """A case's mails, oldest first."""
    return tx.rows(_OF_CASE, case_id=case_id)


def attachments_of_case(tx: Tx, case_id: int) -> list[Rec]:
    """A case's attachments, without their bytes (`kept`: whether the bytes were kept)."""
    return tx.rows(_ATTACHMENTS_OF_CASE, case_id=case_id)


def attachment(tx: Tx, attachment_id: int) -> Rec | None:
    """One attachment with its bytes and its mail's case."""
    return tx.row(_ATTACHMENT, id=attachment_id)


def by_outcome(tx: Tx, outcome: str, limit: int) -> list[Rec]:
    """The latest mails with one outcome."""
    return tx.rows(_BY_OUTCOME, outcome=outcome, limit=limit)


def recent(tx: Tx, limit: int) -> list[Rec]:
    """The latest mails read."""
    return tx.rows(_RECENT, limit=limit)


def take_lease(tx: Tx, name: str, holder: str, until: datetime, now: datetime) -> bool:
    """Take or renew a job's lease; False when another holder's lease is still running."""
    return tx.value(_TAKE_LEASE, name=name, holder=holder, until=until, now=now) == holder


def drop_lease(tx: Tx, name: str, holder: str) -> None:
    """Give a lease back (only the holder's own)."""
    tx.run(_DROP_LEASE, name=name, holder=holder)


def lease(tx: Tx, name: str) -> Rec | None:
    """Who holds a job's lease, and until when."""
    return tx.row(_LEASE, name=name)
