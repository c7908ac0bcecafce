"""People and places the line knows: companies, contacts, analysts, emergency phones, closures
and opening hours. Checks what operators type; the statements are in ivr/store/directory.py."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time

from ivr.domain.business_hours import DEFAULT_WINDOWS
from ivr.domain.phones import parse_phone
from ivr.domain.statuses import ANALYST_STATUSES
from ivr.store import analysts
from ivr.store import directory as store
from ivr.store.tx import Rec, Tx


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


# --- who is calling (the webhooks' lookups) ----------------------------------------------------


def _contact(row: Rec) -> KnownContact:
    return KnownContact(row.contact_id, row.name, row.position, row.email, row.company_id,
                        row.company_name, row.contract_hours)


def find_contact(tx: Tx, phone: str | None) -> KnownContact | None:
    """The contact whose phone is this caller ID, with their company."""
    if not phone:
        return None
    row = store.contact_by_phone(tx, phone)
    return _contact(row) if row else None




def company_id_by_name(tx: Tx, name: str) -> int | None:
    """The known company a spoken or typed name matches."""
    company = find_company(tx, name)
    return company.id if company else None


# --- companies and contacts --------------------------------------------------------------------


def find_company(tx: Tx, name: str) -> Rec | None:
    """A company by its (spoken or typed) name."""
    key = name_key(name)
    return store.company_by_key(tx, key) if key else None


def add_company(tx: Tx, name: str, contract_hours: int | None, now: datetime) -> Rec:
    """Add a client company, optionally with a contract response time in business hours."""
    name = name.strip()
    if not name_key(name):
        raise DirectoryError("company name is empty")
    require_fits(name, store.COMPANIES.c.name, "company name")
    require_fits(name_key(name), store.COMPANIES.c.name_key, "company name")
    if contract_hours is not None and not 0 < contract_hours <= 720:
        raise DirectoryError("contract hours must be between 1 and 720")
    if find_company(tx, name):
        raise DirectoryError(f"company {name!r} already exists")
    return store.insert_company(tx, name, name_key(name), contract_hours, now)


def add_contact(
    tx: Tx, company: str, name: str, phone: str, position: str | None,
    email: str | None, now: datetime,
) -> Rec:
    """Add a person of a company whose calls the line will recognise."""
    found = find_company(tx, company)
    if found is None:
        raise DirectoryError(f"no company named {company!r}")
    if not name.strip():
        raise DirectoryError("contact name is empty")
    number = require_phone(phone)
    if store.contact_by_phone(tx, number):
        raise DirectoryError(f"phone {phone!r} already belongs to a contact")
    if email and "@" not in email:
        raise DirectoryError(f"{email!r} is not an e-mail address")
    require_fits(name.strip(), store.CONTACTS.c.name, "contact name")
    require_fits(position, store.CONTACTS.c.position, "position")
    require_fits(email, store.CONTACTS.c.email, "e-mail address")
    return store.insert_contact(tx, found.id, name.strip(), position or None, number,
                                email or None, now)


# --- analysts ----------------------------------------------------------------------------------


def hash_pin(pin: str) -> str:
    """Hash an analyst's phone PIN (PBKDF2, salted)."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), 100_000).hex()
    return f"pbkdf2-sha256$100000${salt}${digest}"


# Checked when the caller ID is no analyst's, so that both answers take as long.
_NOBODY_S_PIN = hash_pin("000000")


def pin_matches(analyst, pin: str) -> bool:
    """Whether a keyed PIN is this analyst's (None: nobody's); one hash computed either way,
    so the time taken never tells whether a phone number is an analyst's."""
    matches = check_pin(analyst.pin_hash if analyst and analyst.pin_hash else _NOBODY_S_PIN,
                        pin)
    return matches and analyst is not None and analyst.pin_hash is not None


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


def add_analyst(tx: Tx, name: str, phone: str, pin: str | None, now: datetime) -> Rec:
    """Add an analyst, unavailable until they say otherwise."""
    if not name.strip():
        raise DirectoryError("analyst name is empty")
    require_fits(name.strip(), store.ANALYSTS.c.name, "analyst name")
    number = require_phone(phone)
    if analysts.analyst_by_phone(tx, number):
        raise DirectoryError(f"phone {phone!r} already belongs to an analyst")
    if pin is not None and not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise DirectoryError("PIN must be 4 to 8 digits")
    return analysts.insert_analyst(tx, name.strip(), number, hash_pin(pin) if pin else None, now)


def find_analyst(tx: Tx, ref: str) -> Rec:
    """An analyst by id or phone number."""
    analyst = None
    if ref.isdigit() and len(ref) < 10:
        analyst = analysts.analyst_by_id(tx, int(ref))
    if analyst is None:
        phone = parse_phone(ref)
        if phone:
            analyst = analysts.analyst_by_phone(tx, phone)
    if analyst is None:
        raise DirectoryError(f"no analyst {ref!r}")
    return analyst


def set_analyst_status(tx: Tx, analyst, status: str, now: datetime) -> Rec:
    """Make an analyst available, unavailable or away; the analyst's row as written."""
    if status not in ANALYST_STATUSES:
        raise DirectoryError(f"status must be one of {', '.join(ANALYST_STATUSES)}")
    row = analysts.update_analyst_status(tx, analyst.id, status, now)
    if row is None:
        raise DirectoryError(f"no analyst {analyst.id}")
    return row


# --- emergency phones --------------------------------------------------------------------------


def add_emergency(tx: Tx, name: str, phone: str, position: int | None, now: datetime) -> Rec:
    """Add an emergency phone at a place in the ringing order (last by default)."""
    if not name.strip():
        raise DirectoryError("emergency contact name is empty")
    require_fits(name.strip(), store.EMERGENCY_CONTACTS.c.name, "emergency contact name")
    number = require_phone(phone)
    if store.emergency_contact_by_phone(tx, number):
        raise DirectoryError(f"phone {phone!r} is already an emergency contact")
    last = store.last_emergency_position(tx)
    if position is None:
        position = last + 1
    if position < 1:
        raise DirectoryError("position must be 1 or more")
    position = min(position, last + 1)  # past the end means last: the order has no gaps
    store.make_room_in_emergency_order(tx, position)
    return store.insert_emergency_contact(tx, name.strip(), number, position, now)


def emergency_contacts(tx: Tx) -> list[Rec]:
    """The active emergency phones in ringing order."""
    return store.active_emergency_contacts(tx)


# --- closures and opening hours ----------------------------------------------------------------


def _hhmm(text: str | None, what: str) -> str | None:
    """Check a 'HH:MM' time."""
    if text is None:
        return None
    try:
        return time.fromisoformat(text).strftime("%H:%M")
    except ValueError:
        raise DirectoryError(f"{what} {text!r} is not a time like 14:00") from None


def add_closure(
    tx: Tx, day: str, starts: str | None, ends: str | None, reason: str, now: datetime
) -> Rec:
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
    require_fits(reason.strip(), store.CLOSURES.c.reason, "reason")
    return store.insert_closure(tx, parsed, start, end, reason.strip(), now)


def remove_closure(tx: Tx, closure_id: int) -> None:
    """Remove a closure by id."""
    if not store.delete_closure(tx, closure_id):
        raise DirectoryError(f"no closure {closure_id}")


def seed_business_hours(tx: Tx) -> None:
    """Store the procedure's opening hours when the database has none (they are data)."""
    if store.business_hours(tx):
        return
    for window in DEFAULT_WINDOWS:
        store.insert_business_hours(tx, window.weekday, window.opens.strftime("%H:%M"),
                                    window.closes.strftime("%H:%M"))


# --- what the webhooks read and change ---------------------------------------------------------


def company_of_contact_phone(tx: Tx, phone: str) -> int | None:
    """The company of the contact whose phone this is."""
    row = store.contact_by_phone(tx, phone)
    return row.company_id if row else None


def contract_hours(tx: Tx, company_id: int) -> int | None:
    """A company's contract response time in business hours (None: no contract)."""
    return store.contract_hours(tx, company_id)


def emergency_contact(tx: Tx, contact_id: int) -> Rec | None:
    """An emergency phone by id."""
    return store.emergency_contact_by_id(tx, contact_id)


def get_analyst(tx: Tx, analyst_id: int | None) -> Rec | None:
    """An analyst by id."""
    return None if analyst_id is None else analysts.analyst_by_id(tx, analyst_id)


def analyst_by_phone(tx: Tx, phone: str | None) -> Rec | None:
    """The analyst whose registered phone this is."""
    return analysts.analyst_by_phone(tx, phone) if phone else None


def away_notice_heard(tx: Tx, analyst_id: int) -> None:
    """The analyst has heard that the line set them away."""
    analysts.update_analyst(tx, analyst_id, away_notice=False)
