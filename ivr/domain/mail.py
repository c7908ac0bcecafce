"""A mail to the support mailbox, read as text: who sent it, what it says, what it answers,
and whether it is a mail a person wrote (rule 1.1 b: the mailbox is a way into the cases).

Plain Python over the standard library's `email` package: any charset it declares (or none:
bytes read as UTF-8, else Latin-1), HTML reduced to its text, attachments kept as bytes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser

from ivr.domain.case_numbers import is_valid_case_number
from ivr.domain.text import strip_forbidden

# Auto-replies and list mail are never answered (RFC 3834; Precedence is older practice).
LIST_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
DAEMON_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "bounce")
MAX_SUBJECT = 250
MAX_BODY = 20_000
# "Caso 3052530", "caso nº 305 2530", "Caso N° 305-2530", "[Caso 3052530]".
_CASE_IN_SUBJECT = re.compile(r"\bcaso\s*(?:n(?:ro|o|º|°)?\.?\s*)?[:#]?\s*(\d[\d \-]{5,12}\d)",
                              re.IGNORECASE)
_MESSAGE_IDS = re.compile(r"<[^<>\s]+>")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class Attachment:
    """A file that came with a mail."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Mail:
    """What the line needs of one received mail."""

    message_id: str
    sender: str  # the address, lower case; "" when there is none
    sender_name: str
    reply_to: str  # where an answer goes: Reply-To when given, else the sender
    subject: str
    text: str  # the body as plain text (from HTML when that is all there is)
    references: tuple[str, ...]  # In-Reply-To and References, nearest first
    auto: str | None  # why this is not a mail a person wrote, or None
    attachments: tuple[Attachment, ...] = field(default=())

    def case_number_in_subject(self) -> str | None:
        """A valid case number quoted in the subject, if any."""
        for match in _CASE_IN_SUBJECT.finditer(self.subject):
            number = re.sub(r"\D", "", match.group(1))
            if is_valid_case_number(number):
                return number
        return None


def parse_mail(raw: bytes, own_addresses: frozenset[str] = frozenset()) -> Mail:
    """Read a mail as received (RFC 5322 bytes); never raises on a malformed one."""
    message = message_from_bytes(raw, policy=policy.default)
    sender_name, sender = _address(message, "From")
    reply_to = _address(message, "Reply-To")[1] or sender
    message_id = _first_id(_header(message, "Message-ID"))
    if not message_id:
        # Without an id, the same bytes read twice are still one mail.
        message_id = "<sin-id-" + hashlib.sha256(raw).hexdigest()[:40] + "@buzon>"
    references = _MESSAGE_IDS.findall(_header(message, "In-Reply-To"))
    references += [r for r in reversed(_MESSAGE_IDS.findall(_header(message, "References")))
                   if r not in references]
    text, attachments = _content(message)
    return Mail(
        message_id=strip_forbidden(message_id)[:250], sender=sender[:254],
        sender_name=strip_forbidden(sender_name)[:120], reply_to=reply_to[:254],
        subject=strip_forbidden(" ".join(_header(message, "Subject").split()))[:MAX_SUBJECT],
        text=strip_forbidden(text)[:MAX_BODY], references=tuple(references[:20]),
        auto=_automatic(message, sender, own_addresses), attachments=tuple(attachments))


def _header(message: EmailMessage, name: str) -> str:
    """A header as text ("" when absent or unreadable)."""
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot decode
        value = message.get_all(name, [""])[0] if message.get_all(name) else ""
    return str(value or "")


def _first_id(value: str) -> str:
    """The first <id> of a header."""
    found = _MESSAGE_IDS.findall(value)
    return found[0] if found else ""


def _address(message: EmailMessage, name: str) -> tuple[str, str]:
    """(display name, address in lower case) of an address header; ("", "") without one."""
    for display, address in getaddresses([_header(message, name)]):
        if "@" in address:
            return display.strip(), address.strip().lower()
    return "", ""


def _automatic(message: EmailMessage, sender: str, own: frozenset[str]) -> str | None:
    """Why a mail must not be answered nor made a case: a loop or a machine."""
    if sender in own:
        return "enviado por el propio buzón"
    auto = _header(message, "Auto-Submitted").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto[:40]}"
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in LIST_PRECEDENCE:
        return f"Precedence: {precedence}"
    local = sender.split("@", 1)[0]
    if not sender or any(local.startswith(d) for d in DAEMON_SENDERS):
        return "remitente automático (rebote o sistema)"
    if message.get_content_type() == "multipart/report":
        return "informe de entrega (rebote)"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "respuesta automática"
    return None


def _content(message: EmailMessage) -> tuple[str, list[Attachment]]:
    """The body as text, and the attachments."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        kind = part.get_content_type()
        if disposition == "attachment" or (kind not in ("text/plain", "text/html")):
            payload = part.get_payload(decode=True) or b""
            attachments.append(Attachment(
                filename=_filename(part), content_type=kind[:100], content=payload))
        elif kind == "text/plain":
            plain.append(_text_of(part))
        else:
            html.append(_text_of(part))
    if plain:
        text = "\n\n".join(plain)
    else:
        text = "\n\n".join(html_to_text(h) for h in html)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BLANK_LINES.sub("\n\n", text).strip(), attachments


def _filename(part: EmailMessage) -> str:
    """An attachment's file name, without any directory, or a made-up one."""
    name = part.get_filename() or ""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return (name or "adjunto")[:200]


def _text_of(part: EmailMessage) -> str:
    """A text part decoded: its declared charset, else UTF-8, else Latin-1 (never fails)."""
    raw = part.get_payload(decode=True) or b""
    for charset in (part.get_content_charset(), "utf-8", "latin-1"):
        if not charset:
            continue
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("latin-1")


class _TextOnly(HTMLParser):
    """Collects the text of an HTML document: no tags, no scripts or styles, line breaks at
    block ends."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table",
                        "blockquote"})
    HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The text a person reads in an HTML mail."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
