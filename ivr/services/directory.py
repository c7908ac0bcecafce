"""People and places the line knows: companies (and their aliases), contacts, analysts,
emergency phones, closures and opening hours. Checks what operators type, finds what they name
(an id, a phone or a name: an ambiguous name is refused with the candidates), and makes every
change an explicit store call; the statements are in ivr/store/directory.py and
ivr/store/analysts.py. The command line and the console call these functions alike."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from ivr.domain.business_hours import DEFAULT_WINDOWS, Schedule
from ivr.domain.clock import utcnow
from ivr.domain.errors import InputError
from ivr.domain.operator_input import (
    check_email,
    check_new_pin,
    parse_day,
    parse_hhmm,
    parse_row_id,
)
from ivr.domain.phones import parse_phone
from ivr.domain.statuses import ANALYST_STATUSES, AnalystStatus
from ivr.domain.text import check_text
from ivr.services import audit_trail
from ivr.services.company_match import forget_company_names
from ivr.services.offer_signal import analyst_freed
from ivr.store import analysts
from ivr.store import directory as store
from ivr.store import skills as skill_rows
from ivr.store.tx import Rec, Tx

MAX_CONTRACT_HOURS = 720
# The fields of a contact whose changes the audit trail keeps.
CONTACT_FIELDS = ("name", "phone", "position", "email", "company_id")
# How long one emergency phone may ring (Twilio's <Dial timeout> takes 5 to 600 s).
MIN_RING_SECONDS = 5
MAX_RING_SECONDS = 120
# How many candidates an "ambiguous name" message lists.
SHOWN_CANDIDATES = 5


class DirectoryError(InputError):
    """Input that cannot be stored, with a message for the person who typed it."""


@dataclass(frozen=True)
class KnownContact:
    """A caller recognised by caller ID: a contact, or only their company when the phone is a
    switchboard several of its contacts share (contact_id and name None, shared)."""

    contact_id: int | None
    name: str | None
    position: str | None
    email: str | None
    company_id: int
    company_name: str
    contract_hours: int | None = None  # the company's service contract, business hours
    shared: bool = False


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


def require_text(value: str, column, what: str) -> str:
    """Text for a required column: stripped, not empty, no character XML forbids (it may be
    spoken in TwiML), not longer than the column."""
    text = check_text(value, what).strip()
    if not text:
        raise DirectoryError(f"{what} is empty")
    require_fits(text, column, what)
    return text


def optional_text(value: str | None, column, what: str) -> str | None:
    """Text for an optional column: None or blank means none."""
    if value is None:
        return None
    text = check_text(value, what).strip()
    require_fits(text, column, what)
    return text or None


def require_phone(text: str, what: str = "phone") -> str:
    """Parse a phone or raise a DirectoryError naming what was wrong."""
    number = parse_phone(check_text(text, what))
    if number is None:
        raise DirectoryError(f"{what} {text!r} is not a valid phone number")
    return number


def optional_email(text: str | None) -> str | None:
    """An e-mail address checked strictly, or None (blank clears it)."""
    if text is None or not text.strip():
        return None
    email = check_email(check_text(text, "e-mail address"))
    require_fits(email, store.CONTACTS.c.email, "e-mail address")
    return email


# --- naming things: an id, a phone or a name ---------------------------------------------------


def _pick(what: str, ref: str, rows: Iterable[Rec], label: Callable[[Rec], str],
          by_number: Callable[[int], Rec | None] | None = None,
          by_phone: Callable[[str], Rec | None] | None = None) -> Rec:
    """The one row `ref` names: by number (an id, or a place), by phone, by its whole name
    (case and accents aside), or by a part of its name that only one row has."""
    ref = check_text(ref, what).strip()
    if not ref:
        raise DirectoryError(f"give the {what}'s id or name")
    number = parse_row_id(ref)
    if number is not None and by_number is not None:
        row = by_number(number)
        if row is not None:
            return row
    if by_phone is not None and any(c.isdigit() for c in ref):
        phone = parse_phone(ref)
        row = by_phone(phone) if phone else None
        if row is not None:
            return row
    key = name_key(ref)
    if key:
        rows = list(rows)
        for matches in ([r for r in rows if name_key(label(r)) == key],
                        [r for r in rows if key in name_key(label(r))]):
            if len(matches) == 1:
                return matches[0]
            if matches:
                shown = "; ".join(f"{_ref_of(r)} {label(r)}" for r in matches[:SHOWN_CANDIDATES])
                more = f" and {len(matches) - SHOWN_CANDIDATES} more" \
                    if len(matches) > SHOWN_CANDIDATES else ""
                raise DirectoryError(f"{ref!r} could be any of {len(matches)} {what}s "
                                     f"({shown}{more}): give the id or the whole name")
    raise DirectoryError(f"no {what} {ref!r}")


def _ref_of(row: Rec) -> str:
    """How a listing names a row: its id (emergency phones: their place)."""
    position = getattr(row, "position", None)
    if isinstance(position, int) and not hasattr(row, "company_id"):
        return f"#{position}"
    return f"id {row.id}"


def phone_owner(tx: Tx, phone: str) -> str | None:
    """Who has this phone among analysts and contacts, in words; None when nobody."""
    analyst = analysts.analyst_by_phone(tx, phone)
    if analyst is not None:
        return f"analyst {analyst.id} ({analyst.name})"
    contact = store.contact_row_by_phone(tx, phone)
    if contact is not None:
        return f"contact {contact.id} ({contact.name}, {contact.company_name})"
    return None


def _require_free_phone(tx: Tx, phone: str, typed: str, mine: Rec | None = None,
                       company_id: int | None = None) -> None:
    """Refuse a phone that another analyst or contact has: the line recognises callers by it,
    so one phone cannot be both (an analyst whose phone is a contact's never reaches the
    analysts' menu). A contact may share a phone with contacts of their own company
    (`company_id`: a switchboard), never with another company's."""
    owner_analyst = analysts.analyst_by_phone(tx, phone)
    others = [c for c in store.contact_rows_by_phone(tx, phone)
              if not (mine is not None and c.id == mine.id and _kind_of(mine) == "contact")]
    if company_id is not None and others and owner_analyst is None:
        foreign = [c for c in others if c.company_id != company_id]
        if not foreign:
            return
        raise DirectoryError(
            f"phone {typed!r} already belongs to company {foreign[0].company_name} (contact "
            f"{foreign[0].id}, {foreign[0].name}): a phone may be shared only by contacts of "
            "one company")
    owner_contact = others[0] if others else None
    for owner, kind in ((owner_analyst, "analyst"), (owner_contact, "contact")):
        if owner is None or (mine is not None and owner.id == mine.id
                             and kind == _kind_of(mine)):
            continue
        who = f"analyst {owner.id} ({owner.name})" if kind == "analyst" else \
            f"contact {owner.id} ({owner.name}, {owner.company_name})"
        raise DirectoryError(f"phone {typed!r} already belongs to {who}: a phone can be an "
                             "analyst's or a contact's, not both")


def _kind_of(row: Rec) -> str:
    return "contact" if hasattr(row, "company_id") else "analyst"


# --- who is calling (the webhooks' lookups) ----------------------------------------------------


def _contact(row: Rec) -> KnownContact:
    return KnownContact(row.contact_id, row.name, row.position, row.email, row.company_id,
                        row.company_name, row.contract_hours)


def find_contact(tx: Tx, phone: str | None) -> KnownContact | None:
    """The contact whose phone is this caller ID, with their company."""
    if not phone:
        return None
    rows = store.contacts_by_phone(tx, phone)
    if len(rows) > 1:  # a switchboard: the company is known, not the person
        first = rows[0]
        return KnownContact(None, None, None, None, first.company_id, first.company_name,
                            first.contract_hours, shared=True)
    return _contact(rows[0]) if rows else None


def find_contact_by_email(tx: Tx, email: str | None) -> tuple[KnownContact, str] | None:
    """The contact with this e-mail address, and their phone."""
    if not email:
        return None
    row = store.contact_by_email(tx, email)
    return (_contact(row), row.phone) if row else None




# --- companies and their aliases ---------------------------------------------------------------


def find_company(tx: Tx, name: str) -> Rec | None:
    """A company by its (spoken or typed) name or one of its aliases, exactly (case, accents
    and punctuation aside)."""
    key = name_key(name)
    if not key:
        return None
    company = store.company_by_key(tx, key)
    if company is None:
        alias = store.alias_by_key(tx, key)
        if alias is not None:
            company = store.company_by_id(tx, alias.company_id)
    return company


def resolve_company(tx: Tx, ref: str) -> Rec:
    """The company an operator names: id, name or alias (whole, or a part only one has)."""
    ref = check_text(ref, "company").strip()
    number = parse_row_id(ref)
    if number is not None:
        company = store.company_by_id(tx, number)
        if company is not None:
            return company
    company = find_company(tx, ref)
    if company is not None:
        return company
    key = name_key(ref)
    companies = {c.id: c for c in store.all_companies(tx)}
    said = [(c, c.name) for c in companies.values()]
    said += [(companies[a.company_id], a.alias) for a in store.all_aliases(tx)
             if a.company_id in companies]
    matches = list({c.id: c for c, name in said if key and key in name_key(name)}.values())
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = "; ".join(f"id {c.id} {c.name}" for c in matches[:SHOWN_CANDIDATES])
        raise DirectoryError(f"{ref!r} could be any of {len(matches)} companies ({shown}): "
                             "give the id or the whole name")
    raise DirectoryError(f"no company {ref!r} (`companies list` shows them)")


def _require_company_name_free(tx: Tx, key: str, name: str, mine: int | None = None) -> None:
    """Refuse a name (or alias) whose key another company's name or alias has."""
    company = store.company_by_key(tx, key)
    if company is not None and company.id != mine:
        raise DirectoryError(f"company {name!r} already exists (id {company.id}, "
                             f"{company.name})")
    alias = store.alias_by_key(tx, key)
    if alias is not None and alias.company_id != mine:
        owner = store.company_by_id(tx, alias.company_id)
        raise DirectoryError(f"{name!r} is already an alias of company {alias.company_id} "
                             f"({owner.name if owner else '?'})")


def _contract(hours: int | None) -> int | None:
    if hours is not None and not 0 < hours <= MAX_CONTRACT_HOURS:
        raise DirectoryError(f"contract hours must be between 1 and {MAX_CONTRACT_HOURS}")
    return hours


def add_company(tx: Tx, name: str, contract_hours: int | None, now: datetime,
                by: int | None = None) -> Rec:
    """Add a client company, optionally with a contract response time in business hours."""
    forget_company_names(tx.engine)  # the line hears the change at once
    name = require_text(name, store.COMPANIES.c.name, "company name")
    key = name_key(name)
    if not key:
        raise DirectoryError("company name is empty")
    require_fits(key, store.COMPANIES.c.name_key, "company name")
    _contract(contract_hours)
    _require_company_name_free(tx, key, name)
    row = store.insert_company(tx, name, key, contract_hours, now)
    audit_trail.record_created(tx, by, "companies", row.id, row.name, now)
    if contract_hours is not None:
        audit_trail.record(tx, by, "companies", row.id, "contract_hours", None, contract_hours,
                           now)
    return row


def list_companies(tx: Tx) -> list[Rec]:
    """Every company by name, with how many contacts and cases each has."""
    return store.all_companies(tx)


def company_aliases(tx: Tx, company: Rec) -> list[Rec]:
    """A company's aliases."""
    return store.aliases_of(tx, company.id)


def company_contacts(tx: Tx, company: Rec) -> list[Rec]:
    """A company's contacts."""
    return store.contacts_of(tx, company.id)


def company_case_count(tx: Tx, company: Rec) -> int:
    """How many cases are linked to a company."""
    return store.company_case_count(tx, company.id)


def edit_company(tx: Tx, company: Rec, *, name: str | None = None,
                 contract_hours: int | None = None, no_contract: bool = False,
                 by: int | None = None) -> Rec:
    """Rename a company, or set or end its contract; the company as written."""
    forget_company_names(tx.engine)  # the line hears the change at once
    changes: dict = {}
    if name is not None:
        name = require_text(name, store.COMPANIES.c.name, "company name")
        key = name_key(name)
        if not key:
            raise DirectoryError("company name is empty")
        require_fits(key, store.COMPANIES.c.name_key, "company name")
        _require_company_name_free(tx, key, name, mine=company.id)
        changes.update(name=name, name_key=key)
    if contract_hours is not None and no_contract:
        raise DirectoryError("give --contract-hours or --no-contract, not both")
    if contract_hours is not None:
        changes["contract_hours"] = _contract(contract_hours)
    if no_contract:
        changes["contract_hours"] = None
    if not changes:
        raise DirectoryError("nothing to change: give --name, --contract-hours or "
                             "--no-contract")
    store.update_company(tx, company.id, **changes)
    after = company.replace(**changes)
    audit_trail.record_changes(tx, by, "companies", company, after, ("name", "contract_hours"))
    return after


def merge_companies(tx: Tx, duplicate: Rec, into: Rec, by: int | None = None) -> Rec:
    """Merge a duplicate company into another: its contacts, cases and aliases follow, its
    name becomes an alias of the other, the shorter contract response time is kept, and the
    duplicate is removed. The company kept, as written."""
    forget_company_names(tx.engine)  # the line hears the change at once
    if duplicate.id == into.id:
        raise DirectoryError("a company cannot be merged into itself")
    cases = store.case_ids_of_company(tx, duplicate.id)
    store.move_company_rows(tx, duplicate.id, into.id)
    store.delete_company(tx, duplicate.id)
    now = utcnow()
    if store.alias_by_key(tx, duplicate.name_key) is None:
        store.insert_alias(tx, into.id, duplicate.name, duplicate.name_key, now)
    hours = [h for h in (duplicate.contract_hours, into.contract_hours) if h is not None]
    after = into
    if hours and min(hours) != into.contract_hours:
        store.update_company(tx, into.id, contract_hours=min(hours))
        after = into.replace(contract_hours=min(hours))
    audit_trail.record(tx, by, "companies", duplicate.id, "merged_into", duplicate.name,
                       f"{into.name} (id {into.id})", now)
    audit_trail.record(tx, by, "companies", into.id, "merged", None,
                       f"{duplicate.name} (id {duplicate.id}, {len(cases)} case(s))", now)
    audit_trail.record_changes(tx, by, "companies", into, after, ("contract_hours",), now)
    for case_id in cases:
        audit_trail.record(tx, by, "cases", case_id, "company_id", duplicate.id, into.id, now)
    return after


def remove_company(tx: Tx, company: Rec, by: int | None = None) -> None:
    """Remove a company no contact or case refers to (its aliases go with it)."""
    forget_company_names(tx.engine)  # the line hears the change at once
    contacts = store.contacts_of(tx, company.id)
    cases = store.company_case_count(tx, company.id)
    if contacts or cases:
        raise DirectoryError(
            f"company {company.id} ({company.name}) has {len(contacts)} contact(s) and "
            f"{cases} case(s): remove or move its contacts first; a company with cases stays "
            "(rename it with `companies edit` if its name was wrong)")
    store.delete_company(tx, company.id)
    audit_trail.record_removed(tx, by, "companies", company.id, company.name)


def add_alias(tx: Tx, company: Rec, alias: str, now: datetime, by: int | None = None) -> Rec:
    """Another name callers use for a company (matched like its name)."""
    forget_company_names(tx.engine)  # the line hears the change at once
    alias = require_text(alias, store.COMPANY_ALIASES.c.alias, "alias")
    key = name_key(alias)
    if not key:
        raise DirectoryError("alias is empty")
    require_fits(key, store.COMPANY_ALIASES.c.alias_key, "alias")
    if key == company.name_key:
        raise DirectoryError(f"{alias!r} is the company's own name")
    existing = store.alias_by_key(tx, key)
    if existing is not None and existing.company_id == company.id:
        raise DirectoryError(f"{alias!r} is already an alias of {company.name}")
    _require_company_name_free(tx, key, alias)
    row = store.insert_alias(tx, company.id, alias, key, now)
    audit_trail.record(tx, by, "companies", company.id, "alias", None, alias, now)
    return row


def remove_alias(tx: Tx, company: Rec, alias: str, by: int | None = None) -> Rec:
    """Remove one of a company's aliases; the alias removed."""
    forget_company_names(tx.engine)  # the line hears the change at once
    key = name_key(check_text(alias, "alias"))
    for row in store.aliases_of(tx, company.id):
        if row.alias_key == key:
            store.delete_alias(tx, row.id)
            audit_trail.record(tx, by, "companies", company.id, "alias", row.alias, None)
            return row
    raise DirectoryError(f"{company.name} has no alias {alias!r}")


# --- contacts ----------------------------------------------------------------------------------


def add_contact(
    tx: Tx, company: str, name: str, phone: str, position: str | None,
    email: str | None, now: datetime, by: int | None = None,
) -> Rec:
    """Add a person of a company whose calls the line will recognise."""
    found = resolve_company(tx, company)
    name = require_text(name, store.CONTACTS.c.name, "contact name")
    number = require_phone(phone)
    _require_free_phone(tx, number, phone, company_id=found.id)
    position = optional_text(position, store.CONTACTS.c.position, "position")
    email = optional_email(email)
    row = store.insert_contact(tx, found.id, name, position, number, email, now)
    audit_trail.record_created(tx, by, "contacts", row.id, f"{name} ({found.name})", now)
    return row


def resolve_contact(tx: Tx, ref: str) -> Rec:
    """The contact an operator names: id, phone or name (with company_name)."""
    return _pick("contact", ref, store.all_contacts(tx), lambda c: c.name,
                 by_number=lambda i: store.contact_by_id(tx, i),
                 by_phone=lambda p: store.contact_row_by_phone(tx, p))


def list_contacts(tx: Tx, company: Rec | None = None) -> list[Rec]:
    """Contacts (with company_name), of one company or of all."""
    return store.contacts_of(tx, company.id) if company else store.all_contacts(tx)


def edit_contact(tx: Tx, contact: Rec, *, name: str | None = None, phone: str | None = None,
                 position: str | None = None, email: str | None = None,
                 company: str | None = None, by: int | None = None) -> Rec:
    """Change a contact's name, phone, cargo, e-mail (blank clears the last two) or company;
    the contact as written."""
    changes: dict = {}
    if company is not None:
        changes["company_id"] = resolve_company(tx, company).id
    if name is not None:
        changes["name"] = require_text(name, store.CONTACTS.c.name, "contact name")
    if phone is not None or "company_id" in changes:
        typed = phone if phone is not None else contact.phone
        number = require_phone(typed)
        _require_free_phone(tx, number, typed, mine=contact,
                            company_id=changes.get("company_id", contact.company_id))
        if phone is not None:
            changes["phone"] = number
    if position is not None:
        changes["position"] = optional_text(position, store.CONTACTS.c.position, "position")
    if email is not None:
        changes["email"] = optional_email(email)
    if not changes:
        raise DirectoryError("nothing to change: give --name, --phone, --position, --email "
                             "or --company")
    store.update_contact(tx, contact.id, **changes)
    after = store.contact_by_id(tx, contact.id)
    audit_trail.record_changes(tx, by, "contacts", contact, after, CONTACT_FIELDS)
    return after


def remove_contact(tx: Tx, contact: Rec, by: int | None = None) -> int:
    """Remove a contact: the line stops recognising their phone; their cases keep the name and
    company said. How many cases and calls lose the link."""
    company = store.company_by_id(tx, contact.company_id)
    audit_trail.record_removed(tx, by, "contacts", contact.id,
                               f"{contact.name} ({company.name if company else '?'})")
    return store.delete_contact(tx, contact.id)


# --- analysts ----------------------------------------------------------------------------------


def hash_pin(pin: str) -> str:
    """Hash an analyst's phone PIN (PBKDF2, salted)."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), 100_000).hex()
    return f"pbkdf2-sha256$100000${salt}${digest}"


# Checked when the caller ID is no analyst's, so that both answers take as long.
_NOBODY_S_PIN = hash_pin("000000")


def pin_matches(analyst, pin: str) -> bool:
    """Whether a keyed PIN is this analyst's (None: nobody's; a deactivated analyst's PIN
    opens nothing); one hash computed either way, so the time taken never tells whether a
    phone number is an analyst's."""
    usable = analyst is not None and analyst.pin_hash is not None \
        and getattr(analyst, "deactivated_at", None) is None
    matches = check_pin(analyst.pin_hash if usable else _NOBODY_S_PIN, pin)
    return matches and usable


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


def check_new_analyst(tx: Tx, name: str, phone: str) -> tuple[str, str]:
    """The name and E.164 phone of a new analyst, checked (before asking for a PIN)."""
    name = require_text(name, store.ANALYSTS.c.name, "analyst name")
    number = require_phone(phone)
    _require_free_phone(tx, number, phone)
    return name, number


def add_analyst(tx: Tx, name: str, phone: str, pin: str | None, now: datetime,
                by: int | None = None) -> Rec:
    """Add an analyst, unavailable until they say otherwise; a PIN (6+ digits) opens their
    phone menu."""
    name, number = check_new_analyst(tx, name, phone)
    if pin is not None:
        check_new_pin(pin)
    row = analysts.insert_analyst(tx, name, number, hash_pin(pin) if pin else None, now)
    audit_trail.record_created(tx, by, "analysts", row.id, row.name, now)
    if pin is not None:
        audit_trail.record(tx, by, "analysts", row.id, "pin", None, audit_trail.HIDDEN, now)
    return row


def resolve_analyst(tx: Tx, ref: str) -> Rec:
    """The analyst an operator names: id, phone or name."""
    return _pick("analyst", ref, analysts.all_analysts(tx), lambda a: a.name,
                 by_number=lambda i: analysts.analyst_by_id(tx, i),
                 by_phone=lambda p: analysts.analyst_by_phone(tx, p))


find_analyst = resolve_analyst  # the earlier name


def list_analysts(tx: Tx) -> list[Rec]:
    """Every analyst, by id (deactivated ones too)."""
    return analysts.all_analysts(tx)


def analyst_history(tx: Tx, analyst: Rec) -> int:
    """How many cases, calls, legs and guesses refer to an analyst."""
    return analysts.history_count(tx, analyst.id)


def require_active(analyst: Rec) -> Rec:
    """Refuse to change the status of a deactivated analyst (activate them first)."""
    if analyst.deactivated_at is not None:
        raise DirectoryError(f"analyst {analyst.id} ({analyst.name}) is deactivated: "
                             f"`analysts activate {analyst.id}` first")
    return analyst


def edit_analyst(tx: Tx, analyst: Rec, *, name: str | None = None,
                 phone: str | None = None, by: int | None = None) -> Rec:
    """Rename an analyst or change their phone; the analyst as written."""
    changes: dict = {}
    if name is not None:
        changes["name"] = require_text(name, store.ANALYSTS.c.name, "analyst name")
    if phone is not None:
        number = require_phone(phone)
        _require_free_phone(tx, number, phone, mine=analyst)
        changes["phone"] = number
    if not changes:
        raise DirectoryError("nothing to change: give --name or --phone")
    analysts.update_analyst(tx, analyst.id, **changes)
    after = analyst.replace(**changes)
    audit_trail.record_changes(tx, by, "analysts", analyst, after, ("name", "phone"))
    return after


def set_pin(tx: Tx, analyst: Rec, pin: str | None, by: int | None = None) -> Rec:
    """Set (6+ digits) or remove (None) an analyst's phone-menu PIN."""
    if pin is not None:
        check_new_pin(pin)
    pin_hash = hash_pin(pin) if pin is not None else None
    analysts.update_analyst(tx, analyst.id, pin_hash=pin_hash)
    hidden = audit_trail.HIDDEN
    audit_trail.record(tx, by, "analysts", analyst.id, "pin",
                       hidden if analyst.pin_hash else None, hidden if pin_hash else None)
    return analyst.replace(pin_hash=pin_hash)


def deactivate_analyst(tx: Tx, analyst: Rec, now: datetime, by: int | None = None) -> Rec:
    """Stop ringing an analyst and close their phone menu; their cases and calls keep them."""
    if analyst.deactivated_at is not None:
        raise DirectoryError(f"analyst {analyst.id} ({analyst.name}) is already deactivated")
    changes = {"deactivated_at": now, "status": AnalystStatus.UNAVAILABLE}
    analysts.update_analyst(tx, analyst.id, **changes)
    after = analyst.replace(**changes)
    audit_trail.record_changes(tx, by, "analysts", analyst, after, ("deactivated_at", "status"),
                               now)
    return after


def activate_analyst(tx: Tx, analyst: Rec, by: int | None = None) -> Rec:
    """Take a deactivated analyst back (unavailable until they say otherwise)."""
    if analyst.deactivated_at is None:
        raise DirectoryError(f"analyst {analyst.id} ({analyst.name}) is active already")
    analysts.update_analyst(tx, analyst.id, deactivated_at=None)
    after = analyst.replace(deactivated_at=None)
    audit_trail.record_changes(tx, by, "analysts", analyst, after, ("deactivated_at",))
    return after


def remove_analyst(tx: Tx, analyst: Rec, by: int | None = None) -> None:
    """Remove an analyst added by mistake; one with history is deactivated instead."""
    history = analysts.history_count(tx, analyst.id)
    if history:
        raise DirectoryError(
            f"analyst {analyst.id} ({analyst.name}) appears in {history} case(s), call(s) or "
            f"PIN attempt(s): `analysts deactivate {analyst.id}` instead (history stays)")
    skill_rows.revoke_all(tx, analyst.id)
    analysts.delete_analyst(tx, analyst.id)
    audit_trail.record_removed(tx, by, "analysts", analyst.id, analyst.name)


def set_analyst_status(tx: Tx, analyst, status: str, now: datetime,
                       by: int | None = None) -> Rec:
    """Make an analyst available, unavailable or away; the analyst's row as written."""
    if status not in ANALYST_STATUSES:
        raise DirectoryError(f"status must be one of {', '.join(ANALYST_STATUSES)}")
    row = analysts.update_analyst_status(tx, analyst.id, status, now)
    if row is None:
        raise DirectoryError(f"no analyst {analyst.id}")
    if getattr(analyst, "status", status) != status:
        audit_trail.record(tx, by, "analysts", analyst.id, "status", analyst.status, status, now)
        if status == AnalystStatus.AVAILABLE:
            analyst_freed(tx, now)  # a caller on hold may be offered to them
    return row


# --- emergency phones --------------------------------------------------------------------------


def add_emergency(tx: Tx, name: str, phone: str, position: int | None, now: datetime,
                  by: int | None = None, ring_seconds: int | None = None) -> Rec:
    """Add an emergency phone at a place in the ringing order (last by default)."""
    name = require_text(name, store.EMERGENCY_CONTACTS.c.name, "emergency contact name")
    number = require_phone(phone)
    existing = store.emergency_contact_by_phone(tx, number)
    if existing:
        raise DirectoryError(f"phone {phone!r} is already an emergency contact "
                             f"(#{existing.position}, {existing.name})")
    last = store.last_emergency_position(tx)
    if position is None:
        position = last + 1
    if position < 1:
        raise DirectoryError("position must be 1 or more")
    position = min(position, last + 1)  # past the end means last: the order has no gaps
    ring_seconds = _ring_seconds(ring_seconds)
    before = store.emergency_contacts(tx)
    store.make_room_in_emergency_order(tx, position)
    row = store.insert_emergency_contact(tx, name, number, position, now)
    if ring_seconds is not None:
        store.update_emergency_contact(tx, row.id, ring_seconds=ring_seconds)
        row = row.replace(ring_seconds=ring_seconds)
    audit_trail.record_created(tx, by, "emergency_contacts", row.id, f"{name} (#{position})",
                               now)
    _record_order(tx, by, before, store.emergency_contacts(tx))
    return row


def emergency_contacts(tx: Tx) -> list[Rec]:
    """The active emergency phones in ringing order."""
    return store.active_emergency_contacts(tx)


def list_emergency(tx: Tx) -> list[Rec]:
    """Every emergency phone, active or not, in ringing order."""
    return store.emergency_contacts(tx)


def resolve_emergency(tx: Tx, ref: str) -> Rec:
    """The emergency phone an operator names: its place in the order (as `emergency list`
    shows it), its phone or its name."""
    rows = store.emergency_contacts(tx)
    by_place = {row.position: row for row in rows}
    return _pick("emergency phone", ref, rows, lambda c: c.name,
                 by_number=by_place.get,
                 by_phone=lambda p: store.emergency_contact_by_phone(tx, p))


def edit_emergency(tx: Tx, contact: Rec, *, name: str | None = None,
                   phone: str | None = None, ring_seconds: int | None = None,
                   default_ring: bool = False, by: int | None = None) -> Rec:
    """Rename an emergency phone or change its number; the row as written."""
    changes: dict = {}
    if name is not None:
        changes["name"] = require_text(name, store.EMERGENCY_CONTACTS.c.name,
                                       "emergency contact name")
    if phone is not None:
        number = require_phone(phone)
        other = store.emergency_contact_by_phone(tx, number)
        if other is not None and other.id != contact.id:
            raise DirectoryError(f"phone {phone!r} is already emergency phone "
                                 f"#{other.position} ({other.name})")
        changes["phone"] = number
    if ring_seconds is not None and default_ring:
        raise DirectoryError("give --ring-seconds or --default-ring, not both")
    if ring_seconds is not None:
        changes["ring_seconds"] = _ring_seconds(ring_seconds)
    if default_ring:
        changes["ring_seconds"] = None
    if not changes:
        raise DirectoryError("nothing to change: give --name, --phone, --ring-seconds or "
                             "--default-ring")
    store.update_emergency_contact(tx, contact.id, **changes)
    after = contact.replace(**changes)
    audit_trail.record_changes(tx, by, "emergency_contacts", contact, after,
                               ("name", "phone", "ring_seconds"))
    return after


def move_emergency(tx: Tx, contact: Rec, to: int, by: int | None = None) -> list[Rec]:
    """Put an emergency phone at place `to` of the ringing order, the others keeping their
    order around it; the new order."""
    rows = store.emergency_contacts(tx)
    if not 1 <= to <= len(rows):
        raise DirectoryError(f"--to must be a place from 1 to {len(rows)}")
    ids = [row.id for row in rows if row.id != contact.id]
    ids.insert(to - 1, contact.id)
    store.set_emergency_order(tx, ids)
    after = store.emergency_contacts(tx)
    _record_order(tx, by, rows, after)
    return after


def reorder_emergency(tx: Tx, refs: list[str], by: int | None = None) -> list[Rec]:
    """A new ringing order: the phones named first, in that order, then the others as they
    were; the new order."""
    if not refs:
        raise DirectoryError("name the emergency phones in their new order")
    named = [resolve_emergency(tx, ref) for ref in refs]
    seen: set[int] = set()
    for row, ref in zip(named, refs, strict=True):
        if row.id in seen:
            raise DirectoryError(f"{ref!r} names {row.name}, given twice")
        seen.add(row.id)
    before = store.emergency_contacts(tx)
    ids = [row.id for row in named]
    ids += [row.id for row in before if row.id not in seen]
    store.set_emergency_order(tx, ids)
    after = store.emergency_contacts(tx)
    _record_order(tx, by, before, after)
    return after


def set_emergency_active(tx: Tx, contact: Rec, active: bool, by: int | None = None) -> Rec:
    """Ring an emergency phone again, or skip it for now (keeping its place)."""
    if bool(contact.active) == active:
        state = "active" if active else "inactive"
        raise DirectoryError(f"emergency phone #{contact.position} ({contact.name}) is "
                             f"{state} already")
    store.update_emergency_contact(tx, contact.id, active=active)
    after = contact.replace(active=active)
    audit_trail.record_changes(tx, by, "emergency_contacts", contact, after, ("active",))
    return after


def remove_emergency(tx: Tx, contact: Rec, by: int | None = None) -> None:
    """Remove an emergency phone never rung (one rung in a call is deactivated instead); the
    places after it move up."""
    rung = store.emergency_history_count(tx, contact.id)
    if rung:
        raise DirectoryError(
            f"emergency phone #{contact.position} ({contact.name}) was rung in {rung} call(s): "
            f"`emergency deactivate {contact.position}` instead (history stays)")
    before = [row for row in store.emergency_contacts(tx) if row.id != contact.id]
    store.delete_emergency_contact(tx, contact.id)
    store.set_emergency_order(tx, [row.id for row in before])
    audit_trail.record_removed(tx, by, "emergency_contacts", contact.id,
                               f"{contact.name} (#{contact.position})")
    _record_order(tx, by, before, store.emergency_contacts(tx))


def _ring_seconds(seconds: int | None) -> int | None:
    """A ring time for one emergency phone (None: the line's DIAL_TIMEOUT)."""
    if seconds is not None and not MIN_RING_SECONDS <= seconds <= MAX_RING_SECONDS:
        raise DirectoryError(f"ring time must be {MIN_RING_SECONDS} to {MAX_RING_SECONDS} "
                             "seconds")
    return seconds


def _record_order(tx: Tx, by: int | None, before: list[Rec], after: list[Rec]) -> None:
    """Record each emergency phone whose place in the order changed."""
    places = {row.id: row.position for row in before}
    for row in after:
        if row.id in places and places[row.id] != row.position:
            audit_trail.record(tx, by, "emergency_contacts", row.id, "position",
                               places[row.id], row.position)


def step_emergency(tx: Tx, contact: Rec, step: int, by: int | None = None) -> list[Rec]:
    """Move an emergency phone one place up (step -1) or down (+1), swapping it with its
    neighbour; the order is locked and read again first, so two coordinators moving phones
    at once each move the order as the other left it. The new order."""
    rows = store.lock_emergency_order(tx)
    ids = [row.id for row in rows]
    if contact.id not in ids:
        raise DirectoryError(f"no emergency phone {contact.id}")
    here = ids.index(contact.id)
    there = here + step
    if not 0 <= there < len(ids):
        return rows  # already first (or last): nothing to move
    ids[here], ids[there] = ids[there], ids[here]
    store.set_emergency_order(tx, ids)
    after = store.emergency_contacts(tx)
    _record_order(tx, by, rows, after)
    return after


# --- closures and opening hours ----------------------------------------------------------------


def _hhmm(text: str | None, what: str) -> str | None:
    """Check a 'HH:MM' time."""
    if text is None:
        return None
    return parse_hhmm(check_text(text, what), what).strftime("%H:%M")


def _span(starts: str | None, ends: str | None) -> tuple[str | None, str | None]:
    start, end = _hhmm(starts, "--from"), _hhmm(ends, "--to")
    if (start is None) != (end is None):
        raise DirectoryError("give both --from and --to, or neither for the whole day")
    if start is not None and start >= end:
        raise DirectoryError("the closure must end after it starts")
    return start, end


def _overlaps(a: tuple[str | None, str | None], b: tuple[str | None, str | None]) -> bool:
    """Whether two spans of one day overlap (None, None: the whole day)."""
    if a[0] is None or b[0] is None:
        return True
    return a[0] < b[1] and b[0] < a[1]


def describe_span(closure: Rec) -> str:
    """'all day' or 'HH:MM-HH:MM'."""
    return f"{closure.starts}-{closure.ends}" if closure.starts else "all day"


def _require_no_clash(tx: Tx, day: date, span: tuple[str | None, str | None],
                      mine: int | None = None) -> None:
    """Refuse a closure that overlaps another of the same day (the same closure twice)."""
    for other in store.closures_on(tx, day):
        if other.id != mine and _overlaps(span, (other.starts, other.ends)):
            raise DirectoryError(
                f"the centre is already closed then: closure {other.id} on {day.isoformat()} "
                f"{describe_span(other)} ({other.reason}); edit or remove that one")


def add_closure(
    tx: Tx, day: str, starts: str | None, ends: str | None, reason: str, now: datetime,
    by: int | None = None,
) -> Rec:
    """Close the centre for a whole day or between two times of a day (not twice)."""
    parsed = parse_day(check_text(day, "date"), "date")
    span = _span(starts, ends)
    reason = _reason(reason)
    _require_no_clash(tx, parsed, span)
    row = store.insert_closure(tx, parsed, span[0], span[1], reason, now)
    audit_trail.record_created(tx, by, "closures", row.id,
                               f"{parsed.isoformat()} {describe_span(row)}: {reason}", now)
    return row


def _reason(reason: str) -> str:
    text = check_text(reason, "--reason").strip()
    if not text:
        raise DirectoryError("a closure needs a reason (callers hear it)")
    require_fits(text, store.CLOSURES.c.reason, "reason")
    return text


def closure_warnings(schedule: Schedule, day: date) -> list[str]:
    """What an operator closing `day` should know: it is a public holiday, or the centre does
    not open that weekday anyway (the closure is kept: a warning, not a refusal)."""
    holiday = schedule.holiday_name(day)
    if holiday:
        return [f"{day.isoformat()} is already a public holiday ({holiday}): the line is "
                "closed that day anyway, and callers hear the holiday"]
    if not any(window.weekday == day.weekday() for window in schedule.windows):
        return [f"{day.isoformat()} is a {_WEEKDAYS[day.weekday()]}: the centre does not "
                "open that day anyway"]
    return []


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def list_closures(tx: Tx) -> list[Rec]:
    """Every closure by date."""
    return store.closures(tx)


def resolve_closure(tx: Tx, ref: str) -> Rec:
    """The closure an operator names: its id, or its day (when only one closure has it)."""
    ref = check_text(ref, "closure").strip()
    number = parse_row_id(ref)
    if number is not None:
        closure = store.closure_by_id(tx, number)
        if closure is not None:
            return closure
        raise DirectoryError(f"no closure {ref!r} (`closures list` shows the ids)")
    try:
        day = parse_day(ref, "closure")
    except InputError:
        raise DirectoryError(f"no closure {ref!r}: give its id or its day "
                             "(`closures list`)") from None
    found = store.closures_on(tx, day)
    if len(found) == 1:
        return found[0]
    if not found:
        raise DirectoryError(f"no closure on {day.isoformat()}")
    ids = ", ".join(f"{c.id} ({describe_span(c)})" for c in found)
    raise DirectoryError(f"{day.isoformat()} has {len(found)} closures ({ids}): give the id")


def edit_closure(tx: Tx, closure: Rec, *, day: str | None = None, starts: str | None = None,
                 ends: str | None = None, all_day: bool = False,
                 reason: str | None = None, by: int | None = None) -> Rec:
    """Change a closure's day, hours (or make it the whole day) or reason; the row written."""
    if day is None and starts is None and ends is None and not all_day and reason is None:
        raise DirectoryError("nothing to change: give --day, --from/--to, --all-day or "
                             "--reason")
    if all_day and (starts is not None or ends is not None):
        raise DirectoryError("give --all-day or --from/--to, not both")
    new_day = parse_day(check_text(day, "date"), "date") if day is not None else closure.day
    span = (closure.starts, closure.ends)
    if all_day:
        span = (None, None)
    elif starts is not None or ends is not None:
        span = _span(starts if starts is not None else closure.starts,
                     ends if ends is not None else closure.ends)
    changes: dict = {"day": new_day, "starts": span[0], "ends": span[1]}
    if reason is not None:
        changes["reason"] = _reason(reason)
    _require_no_clash(tx, new_day, span, mine=closure.id)
    store.update_closure(tx, closure.id, **changes)
    after = closure.replace(**changes)
    audit_trail.record_changes(tx, by, "closures", closure.replace(day=_iso_day(closure.day)),
                               after.replace(day=_iso_day(new_day)),
                               ("day", "starts", "ends", "reason"))
    return after


def remove_closure(tx: Tx, closure: Rec, by: int | None = None) -> None:
    """Remove a closure."""
    if not store.delete_closure(tx, closure.id):
        raise DirectoryError(f"no closure {closure.id}")
    audit_trail.record_removed(tx, by, "closures", closure.id,
                               f"{_iso_day(closure.day)} {describe_span(closure)}: "
                               f"{closure.reason}")


def _iso_day(day) -> str:
    """A closure's day as text (SQLite keeps ISO text, PostgreSQL a date)."""
    return day if isinstance(day, str) else day.isoformat()


def describe_windows(windows: Iterable[tuple[str, str]]) -> str:
    """'08:30-12:00, 14:00-17:30', or 'cerrado' for a day without windows."""
    text = ", ".join(f"{opens}-{closes}" for opens, closes in windows)
    return text or "cerrado"


def weekday_hours(tx: Tx) -> dict[int, list[tuple[str, str]]]:
    """The opening windows of each weekday (0 = Monday … 6 = Sunday), in order."""
    days: dict[int, list[tuple[str, str]]] = {day: [] for day in range(7)}
    for row in store.business_hours(tx):
        days[row.weekday].append((row.opens, row.closes))
    return days


def set_weekday_hours(tx: Tx, weekday: int, windows: list[tuple[str, str]],
                      by: int | None = None) -> list[tuple[str, str]]:
    """Replace the opening windows of one weekday ([] : closed that day); each 'HH:MM'
    to 'HH:MM', in order, not overlapping (a lunch break is the gap between two). The
    windows as stored."""
    if not 0 <= weekday <= 6:
        raise DirectoryError("weekday must be 0 (Monday) to 6 (Sunday)")
    checked = []
    for opens, closes in windows:
        start, end = _hhmm(opens, "opens"), _hhmm(closes, "closes")
        if start >= end:
            raise DirectoryError(f"a window must close after it opens ({start}-{end})")
        checked.append((start, end))
    checked.sort()
    for (_, first_end), (second_start, _) in zip(checked, checked[1:], strict=False):
        if second_start < first_end:
            raise DirectoryError(f"windows overlap ({first_end} > {second_start})")
    days = weekday_hours(tx)
    before = days[weekday]
    if before == checked:
        return checked
    if not checked and not any(days[day] for day in days if day != weekday):
        raise DirectoryError("the centre must open on some weekday (closures and holidays "
                             "close single days)")
    store.delete_business_hours_of(tx, weekday)
    for opens, closes in checked:
        store.insert_business_hours(tx, weekday, opens, closes)
    audit_trail.record(tx, by, "business_hours", weekday, "hours", describe_windows(before),
                       describe_windows(checked))
    return checked


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
    """The active analyst whose registered phone this is (a deactivated analyst is nobody's:
    their phone opens no menu)."""
    analyst = analysts.analyst_by_phone(tx, phone) if phone else None
    if analyst is None or analyst.deactivated_at is not None:
        return None
    return analyst


def away_notice_heard(tx: Tx, analyst_id: int) -> None:
    """The analyst has heard that the line set them away."""
    analysts.update_analyst(tx, analyst_id, away_notice=False)
