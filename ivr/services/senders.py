"""What delivers each kind of outbox row: calls and messages through Twilio's REST API, e-mail
over SMTP; the worker's sender is a dispatcher by kind.

- 'sms': {"to", "body"} from SMS_FROM. A claim never marked is matched against the messages
  Twilio lists to that number since the claim, by their text: found, no second message.
- 'whatsapp': {"to", "template", "variables", "fallback"}: the approved template of that
  kind (WHATSAPP_TEMPLATES) sent from WHATSAPP_FROM; refused, the row's fallback (an 'sms'
  row) is written instead (ivr/services/outbox.py).
- 'email': {"to", "subject", "body"} over SMTP_URL (STARTTLS and credentials, or smtps://),
  with a Message-ID made from the row: e-mail is at-least-once, and a message sent twice
  carries the same id, which mail programs show once.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
import socket
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from ivr.domain.errors import InputError
from ivr.services.outbox import CallSender, Sender
from ivr.services.twilio_rest import ProviderError, ProviderRefused, TwilioRest

SMTP_TIMEOUT_SECONDS = 10


class Dispatcher:
    """A sender that hands each row to the sender of its kind."""

    def __init__(self, senders: dict[str, Sender], missing: dict[str, str] | None = None):
        """`senders` by kind; `missing`: why a kind has none (the setting to add)."""
        self.senders = senders
        self.missing = missing or {}

    def _sender(self, kind: str) -> Sender:
        """The sender of a kind; a kind without one is retried (its setting may come)."""
        sender = self.senders.get(kind)
        if sender is None:
            raise ProviderError(self.missing.get(kind, f"no sender for {kind!r} messages"))
        return sender

    def send(self, message_id: int, kind: str, payload: dict) -> str:
        """Send through the kind's sender."""
        return self._sender(kind).send(message_id, kind, payload)

    def find_sent(self, message_id: int, kind: str, payload: dict,
                  since: datetime) -> str | None:
        """Ask the kind's sender what an earlier attempt sent."""
        return self._sender(kind).find_sent(message_id, kind, payload, since)


class SmsSender:
    """Delivers 'sms' rows through Twilio's Messages API."""

    def __init__(self, rest: TwilioRest, from_: str, status_callback: str | None = None):
        """From a number or Messaging Service; delivery reports to `status_callback`."""
        self.rest = rest
        self.from_ = from_
        self.status_callback = status_callback

    def send(self, message_id: int, kind: str, payload: dict) -> str:
        """Send the text."""
        return self.rest.create_message(to=payload["to"], from_=self.from_,
                                        body=payload["body"],
                                        status_callback=self._callback(message_id))

    def find_sent(self, message_id: int, kind: str, payload: dict,
                  since: datetime) -> str | None:
        """A message with this text to this number since the claim (the same text twice is
        the same message: the line never sends one text twice to a number within minutes)."""
        for message in self.rest.messages_to(payload["to"], since):
            if message.body == payload["body"]:
                return message.sid
        return None

    def _callback(self, message_id: int) -> str | None:
        """The status callback URL, carrying the row's id."""
        if not self.status_callback:
            return None
        return f"{self.status_callback}?outbox={message_id}"


class WhatsAppSender(SmsSender):
    """Delivers 'whatsapp' rows: an approved template (ContentSid) with its variables."""

    def __init__(self, rest: TwilioRest, from_: str, templates: dict[str, str],
                 status_callback: str | None = None):
        """From the `whatsapp:+…` sender, with each kind's ContentSid."""
        super().__init__(rest, from_, status_callback)
        self.templates = templates

    def send(self, message_id: int, kind: str, payload: dict) -> str:
        """Send the template; a kind without one is refused (its fallback goes instead)."""
        content_sid = self.templates.get(payload["template"])
        if not content_sid:
            raise ProviderRefused(f"no WhatsApp template for {payload['template']!r} "
                                  "(WHATSAPP_TEMPLATES)")
        return self.rest.create_message(
            to=f"whatsapp:{payload['to']}", from_=self.from_, content_sid=content_sid,
            content_variables=json.dumps(payload["variables"], sort_keys=True),
            status_callback=self._callback(message_id))

    def find_sent(self, message_id: int, kind: str, payload: dict,
                  since: datetime) -> str | None:
        """Any WhatsApp message to this number since the claim."""
        messages = self.rest.messages_to(f"whatsapp:{payload['to']}", since)
        return messages[0].sid if messages else None


# Headers a row may set on its e-mail (nothing that changes who it goes to or comes from).
ANSWER_HEADERS = frozenset({"in-reply-to", "references", "auto-submitted"})


class SmtpSender:
    """Delivers 'email' rows over SMTP: STARTTLS (required) before any credentials."""

    def __init__(self, url: str, from_: str, ca_file: str | None = None):
        """smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465."""
        parts = urlsplit(url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        # A relay on loopback without TLS: smtp://127.0.0.1:25?tls=off (no credentials).
        self.plain = parse_qs(parts.query).get("tls") == ["off"] and not self.user
        self.from_ = from_
        self.context = ssl.create_default_context(cafile=ca_file)

    def message(self, message_id: int, payload: dict) -> EmailMessage:
        """The e-mail of a row, with its stable Message-ID. A row may name its own sender
        (the support mailbox answers from its address), its own Message-ID (made when the row
        was written, so that a reply finds its case) and headers (In-Reply-To, References,
        Auto-Submitted)."""
        mail = EmailMessage()
        mail["From"] = payload.get("from") or self.from_
        mail["To"] = payload["to"]
        mail["Subject"] = payload["subject"]
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = payload.get("message_id") or message_id_of(message_id, payload,
                                                                        self.from_)
        for name, value in sorted((payload.get("headers") or {}).items()):
            if name.lower() in ANSWER_HEADERS:
                mail[name] = value
        mail.set_content(payload["body"])
        return mail

    def send(self, message_id: int, kind: str, payload: dict) -> str:
        """Send; the Message-ID. 5xx refusals are final, the rest is tried again."""
        mail = self.message(message_id, payload)
        try:
            smtp = self._connect()
            try:
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(mail)
                smtp.quit()
            finally:
                smtp.close()  # never raises: the refusal above is what is reported
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise ProviderRefused(f"SMTP refused the recipient: {codes}") from error
            raise ProviderError(f"SMTP recipient deferred: {codes}") from error
        except smtplib.SMTPResponseException as error:
            text = f"SMTP {error.smtp_code}: {_text(error.smtp_error)}"
            if 500 <= error.smtp_code < 600 and not isinstance(
                    error, smtplib.SMTPAuthenticationError):
                raise ProviderRefused(text) from error
            raise ProviderError(text) from error
        except (smtplib.SMTPException, OSError) as error:
            raise ProviderError(f"SMTP server unreachable: {type(error).__name__}") from error
        return mail["Message-ID"]

    def find_sent(self, message_id: int, kind: str, payload: dict,
                  since: datetime) -> str | None:
        """SMTP keeps no list: send again (the same Message-ID)."""
        return None

    def _connect(self) -> smtplib.SMTP:
        """A connection, encrypted before anything else is said."""
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS,
                                    context=self.context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
        try:
            if not self.plain:
                smtp.starttls(context=self.context)
        except BaseException:
            smtp.close()
            raise
        return smtp


def message_id_of(message_id: int, payload: dict, from_: str) -> str:
    """`<outbox-ID.HASH@domain>`: the same for every attempt at a row."""
    domain = parseaddr(from_)[1].rpartition("@")[2] or socket.getfqdn()
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]
    return f"<outbox-{message_id}.{digest}@{domain}>"


def _text(raw) -> str:
    """An SMTP answer's text."""
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)


def outbox_sender(settings, message_status_url: str | None = None) -> Dispatcher:
    """The worker's sender for the configured accounts: calls, SMS and WhatsApp through
    Twilio, e-mail over SMTP. InputError when nothing at all is configured."""
    senders: dict[str, Sender] = {}
    missing = {}
    try:
        rest = TwilioRest(settings.twilio_account_sid, settings.twilio_auth_token,
                          settings.twilio_api_url)
    except InputError as error:
        rest = None
        for kind in ("call", "sms", "whatsapp"):
            missing[kind] = str(error)
    if rest is not None:
        senders["call"] = CallSender(rest)
        if settings.sms_from:
            senders["sms"] = SmsSender(rest, settings.sms_from, message_status_url)
        else:
            missing["sms"] = "SMS_FROM is not set: SMS go out from that Twilio number"
        if settings.whatsapp_from:
            senders["whatsapp"] = WhatsAppSender(rest, settings.whatsapp_from,
                                                 dict(settings.whatsapp_templates),
                                                 message_status_url)
        else:
            missing["whatsapp"] = "WHATSAPP_FROM is not set"
    if settings.smtp_url:
        senders["email"] = SmtpSender(str(settings.smtp_url), settings.smtp_from,
                                      settings.smtp_ca_file)
    else:
        missing["email"] = "SMTP_URL is not set: e-mail goes out through that server"
    if not senders:
        raise InputError(missing["call"] + "; and SMTP_URL is not set")
    return Dispatcher(senders, missing)
