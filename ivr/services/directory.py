"""People and places the line knows: companies, contacts, analysts, emergency phones, closures."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.domain.phones import parse_phone
from ivr.store.models import Analyst, Closure, Company, Contact, EmergencyContact
from ivr.store.tx import Q, Rec, Tx, as_tx

ANALYST_STATUSES = ("available", "unavailable", "away")


class DirectoryError(ValueError):
    """Input that cannot be stored, with a message for the person who typed it."""


@dataclass(frozen=True)
class KnownContact:
    """A caller recognised by caller ID."""

    contact_id: int
    name: str
    position: str | None
    email: str | None
    company_id: int
    company_name: str
    contract_hours: int | None = None  # the company's service contract, business hours


def name_key(name: str) -> str:
    """A company name reduced for matching: lower case, no accents, single spaces."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


def require_fits(value: str | None, column, what: str) -> None:
    """Refuse text longer than its column (PostgreSQL would fail on it; SQLite would not)."""
    limit = column.type.length
    if value and len(value) > limit:
        raise DirectoryError(f"{what} is too long ({len(value)} characters, at most {limit})")


def require_phone(text: str, what: str = "phone") -> str:
    """Parse a phone or raise a DirectoryError naming what was wrong."""
    number = parse_phone(text)
    if number is None:
        raise DirectoryError(f"{what} {text!r} is not a valid phone number")
    return number


# The webhooks' lookups (plain SQL, ivr/sql.py).
_CONTACT = ("c.id AS contact_id, c.name AS name, c.position AS position, c.email AS email,"
            " co.id AS company_id, co.name AS company_name,"
            " co.contract_hours AS contract_hours")
_CONTACT_BY_PHONE = Q(
    f"SELECT {_CONTACT} FROM contacts c"  # noqa: S608 - constants
    " JOIN companies co ON co.id = c.company_id WHERE c.phone = :phone"
)
_WHO_IS_CALLING = Q(
    f"SELECT {_CONTACT}, NULL AS analyst_id FROM contacts c"  # noqa: S608 - constants
    " JOIN companies co ON co.id = c.company_id WHERE c.phone = :phone"
    " UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, a.id FROM analysts a"
    " WHERE a.phone = :phone"
)
_COMPANY_ID_BY_KEY = Q("SELECT id FROM companies WHERE name_key = :key")
_COMPANY_OF_CONTACT = Q("SELECT company_id FROM contacts WHERE phone = :phone")
_CONTRACT_HOURS = Q("SELECT contract_hours FROM companies WHERE id = :id")


def company_of_contact_phone(tx: Tx, phone: str) -> int | None:
    """The company of the contact whose phone this is."""
    return tx.value(_COMPANY_OF_CONTACT, phone=phone)


def contract_hours(tx: Tx, company_id: int) -> int | None:
    """A company's contract response time in business hours (None: no contract)."""
    return tx.value(_CONTRACT_HOURS, id=company_id)


def _contact(row: Rec) -> KnownContact:
    return KnownContact(row.contact_id, row.name, row.position, row.email, row.company_id,
                        row.company_name, row.contract_hours)


def find_contact(tx: Tx, phone: str | None) -> KnownContact | None:
    """The contact whose phone is this caller ID, with their company."""
    tx = as_tx(tx)
    if not phone:
        return None
    row = tx.row(_CONTACT_BY_PHONE, phone=phone)
    return _contact(row) if row else None


def who_is_calling(tx: Tx, phone: str | None) -> tuple[KnownContact | None, int | None]:
    """The contact and the analyst (id) whose phone this caller ID is, in one query."""
    tx = as_tx(tx)
    if not phone:
        return None, None
    contact, analyst_id = None, None
    for row in tx.rows(_WHO_IS_CALLING, phone=phone):
        if row.analyst_id is not None:
            analyst_id = row.analyst_id
        else:
            contact = _contact(row)
    return contact, analyst_id


def company_id_by_name(tx: Tx, name: str) -> int | None:
    """The known company a spoken or typed name matches."""
    tx = as_tx(tx)
    key = name_key(name)
    return tx.value(_COMPANY_ID_BY_KEY, key=key) if key else None


def find_company(session: Session, name: str) -> Company | None:
    """A company by its (spoken or typed) name."""
    key = name_key(name)
    if not key:
        return None
    return session.scalars(select(Company).where(Company.name_key == key)).first()


def add_company(session: Session, name: str, contract_hours: int | None, now: datetime) -> Company:
    """Add a client company, optionally with a contract response time in business hours."""
    name = name.strip()
    if not name_key(name):
        raise DirectoryError("company name is empty")
    require_fits(name, Company.name, "company name")
    require_fits(name_key(name), Company.name_key, "company name")
    if contract_hours is not None and not 0 < contract_hours <= 720:
        raise DirectoryError("contract hours must be between 1 and 720")
    if find_company(session, name):
        raise DirectoryError(f"company {name!r} already exists")
    company = Company(name=name, name_key=name_key(name), contract_hours=contract_hours,
                      created_at=now)
    session.add(company)
    session.flush()
    return company


def add_contact(
    session: Session, company: str, name: str, phone: str, position: str | None,
    email: str | None, now: datetime,
) -> Contact:
    """Add a person of a company whose calls the line will recognise."""
    found = find_company(session, company)
    if found is None:
        raise DirectoryError(f"no company named {company!r}")
    if not name.strip():
        raise DirectoryError("contact name is empty")
    number = require_phone(phone)
    if session.scalar(select(Contact.id).where(Contact.phone == number)):
        raise DirectoryError(f"phone {phone!r} already belongs to a contact")
    if email and "@" not in email:
        raise DirectoryError(f"{email!r} is not an e-mail address")
    require_fits(name.strip(), Contact.name, "contact name")
    require_fits(position, Contact.position, "position")
    require_fits(email, Contact.email, "e-mail address")
    contact = Contact(company_id=found.id, name=name.strip(), position=position or None,
                      phone=number, email=email or None, created_at=now)
    session.add(contact)
    session.flush()
    return contact


def hash_pin(pin: str) -> str:
    """Hash an analyst's phone PIN (PBKDF2, salted)."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), 100_000).hex()
    return f"pbkdf2-sha256$100000${salt}${digest}"


def check_pin(stored: str | None, pin: str) -> bool:
    """Whether a keyed PIN matches the stored hash."""
    if not stored or not pin:
        return False
    try:
        _scheme, rounds, salt, digest = stored.split("$")
        computed = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), int(rounds)).hex()
    except ValueError:
        return False
    return hmac.compare_digest(computed, digest)


def add_analyst(session: Session, name: str, phone: str, pin: str | None, now: datetime) -> Analyst:
    """Add an analyst, unavailable until they say otherwise."""
    if not name.strip():
        raise DirectoryError("analyst name is empty")
    require_fits(name.strip(), Analyst.name, "analyst name")
    number = require_phone(phone)
    if session.scalar(select(Analyst.id).where(Analyst.phone == number)):
        raise DirectoryError(f"phone {phone!r} already belongs to an analyst")
    if pin is not None and not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise DirectoryError("PIN must be 4 to 8 digits")
    analyst = Analyst(
        name=name.strip(), phone=number, pin_hash=hash_pin(pin) if pin else None,
        status="unavailable", idle_since=now, missed_in_row=0, away_notice=False, created_at=now,
    )
    session.add(analyst)
    session.flush()
    return analyst


def find_analyst(session: Session, ref: str) -> Analyst:
    """An analyst by id or phone number."""
    analyst = None
    if ref.isdigit() and len(ref) < 10:
        analyst = session.get(Analyst, int(ref))
    if analyst is None:
        phone = parse_phone(ref)
        if phone:
            analyst = session.scalars(select(Analyst).where(Analyst.phone == phone)).first()
    if analyst is None:
        raise DirectoryError(f"no analyst {ref!r}")
    return analyst


def set_analyst_status(session: Session, analyst: Analyst, status: str, now: datetime) -> None:
    """Make an analyst available, unavailable or away."""
    if status not in ANALYST_STATUSES:
        raise DirectoryError(f"status must be one of {', '.join(ANALYST_STATUSES)}")
    if status == "available" and analyst.status != "available":
        analyst.idle_since = now
        analyst.missed_in_row = 0
    analyst.status = status
    if status != "away":
        analyst.away_notice = False


def add_emergency(
    session: Session, name: str, phone: str, position: int | None, now: datetime
) -> EmergencyContact:
    """Add an emergency phone at a place in the ringing order (last by default)."""
    if not name.strip():
        raise DirectoryError("emergency contact name is empty")
    require_fits(name.strip(), EmergencyContact.name, "emergency contact name")
    number = require_phone(phone)
    if session.scalar(select(EmergencyContact.id).where(EmergencyContact.phone == number)):
        raise DirectoryError(f"phone {phone!r} is already an emergency contact")
    last = session.scalar(select(func.max(EmergencyContact.position))) or 0
    if position is None:
        position = last + 1
    if position < 1:
        raise DirectoryError("position must be 1 or more")
    position = min(position, last + 1)  # past the end means last: the order has no gaps
    taken = session.scalars(
        select(EmergencyContact).where(EmergencyContact.position >= position)
        .order_by(EmergencyContact.position.desc())
    ).all()
    for other in taken:  # make room, from the end so the unique order never clashes
        other.position += 1
        session.flush()
    contact = EmergencyContact(name=name.strip(), phone=number, position=position, active=True,
                               created_at=now)
    session.add(contact)
    session.flush()
    return contact


_EMERGENCY_PHONES_IN_ORDER = Q(
    "SELECT * FROM emergency_contacts WHERE active = TRUE ORDER BY position")


_EMERGENCY_CONTACT = Q("SELECT * FROM emergency_contacts WHERE id = :id")


def emergency_contact(tx: Tx, contact_id: int) -> Rec | None:
    """An emergency phone by id."""
    return tx.row(_EMERGENCY_CONTACT, id=contact_id)


def emergency_phones_in_order(tx: Tx) -> list[Rec]:
    """The active emergency phones in ringing order."""
    return tx.rows(_EMERGENCY_PHONES_IN_ORDER)


def emergency_contacts(session: Session) -> list[EmergencyContact]:
    """The active emergency phones in ringing order."""
    return list(session.scalars(
        select(EmergencyContact).where(EmergencyContact.active.is_(True))
        .order_by(EmergencyContact.position)
    ))


def _hhmm(text: str | None, what: str) -> str | None:
    """Check a 'HH:MM' time."""
    if text is None:
        return None
    try:
        return time.fromisoformat(text).strftime("%H:%M")
    except ValueError:
        raise DirectoryError(f"{what} {text!r} is not a time like 14:00") from None


def add_closure(
    session: Session, day: str, starts: str | None, ends: str | None, reason: str, now: datetime
) -> Closure:
    """Close the centre for a whole day or between two times of a day."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise DirectoryError(f"date {day!r} is not a date like 2026-12-07") from None
    start, end = _hhmm(starts, "start"), _hhmm(ends, "end")
    if (start is None) != (end is None):
        raise DirectoryError("give both --from and --to, or neither for the whole day")
    if start is not None and start >= end:
        raise DirectoryError("the closure must end after it starts")
    if not reason.strip():
        raise DirectoryError("a closure needs a reason (callers hear it)")
    require_fits(reason.strip(), Closure.reason, "reason")
    closure = Closure(day=parsed, starts=start, ends=end, reason=reason.strip(), created_at=now)
    session.add(closure)
    session.flush()
    return closure


# --- analysts, as the phone menu and routing see them ----------------------------------------
_ANALYST = Q("SELECT * FROM analysts WHERE id = :id")
_ANALYST_BY_PHONE = Q("SELECT * FROM analysts WHERE phone = :phone")


def get_analyst(tx: Tx, analyst_id: int | None) -> Rec | None:
    """An analyst by id."""
    return None if analyst_id is None else tx.row(_ANALYST, id=analyst_id)


def analyst_by_phone(tx: Tx, phone: str | None) -> Rec | None:
    """The analyst whose registered phone this is."""
    return tx.row(_ANALYST_BY_PHONE, phone=phone) if phone else None


def away_notice_heard(tx: Tx, analyst_id: int) -> None:
    """The analyst has heard that the line set them away."""
    tx.update("analysts", analyst_id, away_notice=False)


def status_change(analyst, status: str, now: datetime) -> dict:
    """The columns that make an analyst available, unavailable or away."""
    if status not in ANALYST_STATUSES:
        raise DirectoryError(f"status must be one of {', '.join(ANALYST_STATUSES)}")
    changes: dict = {"status": status}
    if status == "available" and analyst.status != "available":
        changes.update(idle_since=now, missed_in_row=0)
    if status != "away":
        changes["away_notice"] = False
    return changes


def change_analyst_status(tx: Tx, analyst: Rec, status: str, now: datetime) -> Rec:
    """Make an analyst available, unavailable or away; the analyst as they are now."""
    changes = status_change(analyst, status, now)
    tx.update("analysts", analyst.id, **changes)
    return analyst.replace(**changes)
