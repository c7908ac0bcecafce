"""Statements about the people and places the line knows: companies, contacts, analysts (as
people: not their leases, which are routing's), emergency phones, closures, opening hours.

Every surface (webhooks, command line, tests) reads and writes these tables through the
functions here, on a `Tx`. A row of one table comes back as that table's `Rec` (`SELECT *`), a
join's row as a read-only `Rec`. Writes are explicit statements; an INSERT or UPDATE returns
the row as written.
"""

from __future__ import annotations

from datetime import date, datetime

from ivr.store.models import Analyst, BusinessHours, Closure, Company, Contact, EmergencyContact
from ivr.store.tables import company_aliases
from ivr.store.tx import Q, Rec, Tx

# The tables, for their column lengths (services refuse text longer than its column).
COMPANIES = Company.__table__
CONTACTS = Contact.__table__
ANALYSTS = Analyst.__table__
EMERGENCY_CONTACTS = EmergencyContact.__table__
CLOSURES = Closure.__table__
BUSINESS_HOURS = BusinessHours.__table__
COMPANY_ALIASES = company_aliases


# --- companies ---------------------------------------------------------------------------------

_CONTRACT_HOURS = Q("SELECT contract_hours FROM companies WHERE id = :id")
_COMPANY_BY_KEY = Q("SELECT * FROM companies WHERE name_key = :key")
_NEW_COMPANY = Q(
    "INSERT INTO companies (name, name_key, contract_hours, created_at)"
    " VALUES (:name, :key, :contract_hours, :now) RETURNING *")


def contract_hours(tx: Tx, company_id: int) -> int | None:
    """A company's contract response time in business hours (None: no contract)."""
    return tx.value(_CONTRACT_HOURS, id=company_id)


def company_by_key(tx: Tx, key: str) -> Rec | None:
    """The company whose matching key (see services.directory.name_key) this is."""
    return tx.row(_COMPANY_BY_KEY, key=key)


def insert_company(tx: Tx, name: str, key: str, contract_hours: int | None,
                   now: datetime) -> Rec:
    """Store a company; the row as stored."""
    return tx.row(_NEW_COMPANY, name=name, key=key, contract_hours=contract_hours,
                  now=now)


# --- contacts ----------------------------------------------------------------------------------

_CONTACT = ("c.id AS contact_id, c.name AS name, c.position AS position, c.email AS email,"
            " co.id AS company_id, co.name AS company_name,"
            " co.contract_hours AS contract_hours")
_CONTACT_BY_PHONE = Q(
    f"SELECT {_CONTACT} FROM contacts c"  # noqa: S608 - constants
    " JOIN companies co ON co.id = c.company_id WHERE c.phone = :phone ORDER BY c.id")
# A mail's sender: the same contact fields, and the phone to call back (oldest contact first).
_CONTACT_BY_EMAIL = Q(
    f"SELECT {_CONTACT}, c.phone AS phone FROM contacts c"  # noqa: S608 - constants
    " JOIN companies co ON co.id = c.company_id WHERE LOWER(c.email) = :email"
    " ORDER BY c.id LIMIT 1")
_NEW_CONTACT = Q(
    "INSERT INTO contacts (company_id, name, position, phone, email, created_at)"
    " VALUES (:company_id, :name, :position, :phone, :email, :now) RETURNING *")


def contact_by_phone(tx: Tx, phone: str) -> Rec | None:
    """A contact with this phone and their company: contact_id, name, position, email,
    company_id, company_name, contract_hours."""
    return tx.row(_CONTACT_BY_PHONE, phone=phone)


def contact_by_email(tx: Tx, email: str) -> Rec | None:
    """The contact with this e-mail address (any case), with their company and phone."""
    return tx.row(_CONTACT_BY_EMAIL, email=email.lower())


def contacts_by_phone(tx: Tx, phone: str) -> list[Rec]:
    """Every contact with this phone (several: a company's switchboard), as contact_by_phone
    gives one."""
    return tx.rows(_CONTACT_BY_PHONE, phone=phone)




def insert_contact(tx: Tx, company_id: int, name: str, position: str | None, phone: str,
                   email: str | None, now: datetime) -> Rec:
    """Store a contact of a company; the row as stored."""
    return tx.row(_NEW_CONTACT, company_id=company_id, name=name, position=position,
                  phone=phone, email=email, now=now)


# --- emergency phones --------------------------------------------------------------------------

_EMERGENCY_BY_ID = Q("SELECT * FROM emergency_contacts WHERE id = :id")
_EMERGENCY_BY_PHONE = Q("SELECT * FROM emergency_contacts WHERE phone = :phone")
_EMERGENCY_CONTACTS = Q("SELECT * FROM emergency_contacts ORDER BY position")
_ACTIVE_EMERGENCY_CONTACTS = Q(
    "SELECT * FROM emergency_contacts WHERE active = TRUE ORDER BY position")
_LAST_EMERGENCY_POSITION = Q("SELECT MAX(position) FROM emergency_contacts")
_EMERGENCY_FROM = Q("SELECT id FROM emergency_contacts WHERE position >= :position"
                    " ORDER BY position DESC")
_EMERGENCY_DOWN_ONE = Q("UPDATE emergency_contacts SET position = position + 1 WHERE id = :id")
_NEW_EMERGENCY = Q(
    "INSERT INTO emergency_contacts (name, phone, position, active, created_at)"
    " VALUES (:name, :phone, :position, TRUE, :now) RETURNING *")


def emergency_contact_by_id(tx: Tx, contact_id: int) -> Rec | None:
    """An emergency phone by id."""
    return tx.row(_EMERGENCY_BY_ID, id=contact_id)


def emergency_contact_by_phone(tx: Tx, phone: str) -> Rec | None:
    """The emergency contact with this phone."""
    return tx.row(_EMERGENCY_BY_PHONE, phone=phone)


def emergency_contacts(tx: Tx) -> list[Rec]:
    """Every emergency contact, active or not, in ringing order."""
    return tx.rows(_EMERGENCY_CONTACTS)


def active_emergency_contacts(tx: Tx) -> list[Rec]:
    """The active emergency phones in ringing order."""
    return tx.rows(_ACTIVE_EMERGENCY_CONTACTS)


def last_emergency_position(tx: Tx) -> int:
    """The last place taken in the ringing order (0: nobody)."""
    return tx.value(_LAST_EMERGENCY_POSITION) or 0


def make_room_in_emergency_order(tx: Tx, position: int) -> None:
    """Move every emergency contact at `position` or later one place down, from the end, so
    that the order's unique positions never clash on the way."""
    for contact_id in tx.column(_EMERGENCY_FROM, position=position):
        tx.run(_EMERGENCY_DOWN_ONE, id=contact_id)


def insert_emergency_contact(tx: Tx, name: str, phone: str, position: int,
                             now: datetime) -> Rec:
    """Store an active emergency phone at a free place of the order; the row as stored."""
    return tx.row(_NEW_EMERGENCY, name=name, phone=phone,
                  position=position, now=now)


# --- closures and opening hours ----------------------------------------------------------------

_CLOSURES = Q("SELECT * FROM closures ORDER BY day, starts")
_NEW_CLOSURE = Q(
    "INSERT INTO closures (day, starts, ends, reason, created_at)"
    " VALUES (:day, :starts, :ends, :reason, :now) RETURNING *")
_DELETE_CLOSURE = Q("DELETE FROM closures WHERE id = :id")
_BUSINESS_HOURS = Q("SELECT * FROM business_hours ORDER BY weekday, opens")
_NEW_BUSINESS_HOURS = Q(
    "INSERT INTO business_hours (weekday, opens, closes) VALUES (:weekday, :opens, :closes)")


def closures(tx: Tx) -> list[Rec]:
    """Every closure by day and start (day: ISO text on SQLite, a date on PostgreSQL)."""
    return tx.rows(_CLOSURES)


def insert_closure(tx: Tx, day: date, starts: str | None, ends: str | None, reason: str,
                   now: datetime) -> Rec:
    """Store a closure (starts and ends 'HH:MM', both None for the whole day); the row."""
    return tx.row(_NEW_CLOSURE, day=day, starts=starts, ends=ends, reason=reason,
                  now=now)


def delete_closure(tx: Tx, closure_id: int) -> bool:
    """Remove a closure; whether there was one."""
    return tx.run(_DELETE_CLOSURE, id=closure_id) == 1


def business_hours(tx: Tx) -> list[Rec]:
    """The opening windows (weekday 0 = Monday, opens and closes 'HH:MM', Caracas time)."""
    return tx.rows(_BUSINESS_HOURS)


def insert_business_hours(tx: Tx, weekday: int, opens: str, closes: str) -> None:
    """Store one opening window."""
    tx.run(_NEW_BUSINESS_HOURS, weekday=weekday, opens=opens, closes=closes)


_DELETE_BUSINESS_HOURS_OF = Q("DELETE FROM business_hours WHERE weekday = :weekday")


def delete_business_hours_of(tx: Tx, weekday: int) -> None:
    """Remove every opening window of one weekday."""
    tx.run(_DELETE_BUSINESS_HOURS_OF, weekday=weekday)


# --- the operator's changes: companies and their aliases ---------------------------------------

_COMPANIES = Q(
    "SELECT co.*, (SELECT COUNT(*) FROM contacts c WHERE c.company_id = co.id) AS contacts,"
    " (SELECT COUNT(*) FROM cases k WHERE k.company_id = co.id) AS cases"
    " FROM companies co ORDER BY co.name, co.id")
_COMPANY_BY_ID = Q("SELECT * FROM companies WHERE id = :id")
_COMPANY_CASES = Q("SELECT COUNT(*) FROM cases WHERE company_id = :id")
_DELETE_COMPANY = Q("DELETE FROM companies WHERE id = :id")
_ALIASES = Q("SELECT * FROM company_aliases ORDER BY alias, id")
_ALIASES_OF = Q("SELECT * FROM company_aliases WHERE company_id = :company_id ORDER BY alias, id")
_ALIAS_BY_KEY = Q("SELECT * FROM company_aliases WHERE alias_key = :key")
_NEW_ALIAS = Q(
    "INSERT INTO company_aliases (company_id, alias, alias_key, created_at)"
    " VALUES (:company_id, :alias, :key, :now) RETURNING *")
_DELETE_ALIAS = Q("DELETE FROM company_aliases WHERE id = :id")
_DELETE_ALIASES_OF = Q("DELETE FROM company_aliases WHERE company_id = :company_id")


def all_companies(tx: Tx) -> list[Rec]:
    """Every company by name, each with how many contacts and cases it has."""
    return tx.rows(_COMPANIES)


def company_by_id(tx: Tx, company_id: int) -> Rec | None:
    """A company by id."""
    return tx.row(_COMPANY_BY_ID, id=company_id)


def company_case_count(tx: Tx, company_id: int) -> int:
    """How many cases are linked to a company."""
    return tx.value(_COMPANY_CASES, id=company_id) or 0


def update_company(tx: Tx, company_id: int, **values) -> None:
    """Write some columns of a company."""
    tx.update("companies", company_id, **values)


def delete_company(tx: Tx, company_id: int) -> None:
    """Remove a company and its aliases (one that no contact or case refers to)."""
    tx.run(_DELETE_ALIASES_OF, company_id=company_id)
    tx.run(_DELETE_COMPANY, id=company_id)


_MOVE_CONTACTS = Q("UPDATE contacts SET company_id = :into WHERE company_id = :company_id")
_MOVE_CASES = Q("UPDATE cases SET company_id = :into WHERE company_id = :company_id")
_MOVE_ALIASES = Q("UPDATE company_aliases SET company_id = :into WHERE company_id = :company_id")
_CASE_IDS_OF_COMPANY = Q("SELECT id FROM cases WHERE company_id = :id ORDER BY id")


def case_ids_of_company(tx: Tx, company_id: int) -> list[int]:
    """The ids of a company's cases."""
    return tx.column(_CASE_IDS_OF_COMPANY, id=company_id)


def move_company_rows(tx: Tx, company_id: int, into: int) -> None:
    """Give a company's contacts, cases and aliases to another company."""
    for statement in (_MOVE_CONTACTS, _MOVE_CASES, _MOVE_ALIASES):
        tx.run(statement, company_id=company_id, into=into)


def all_aliases(tx: Tx) -> list[Rec]:
    """Every company alias."""
    return tx.rows(_ALIASES)


def aliases_of(tx: Tx, company_id: int) -> list[Rec]:
    """A company's aliases, by alias."""
    return tx.rows(_ALIASES_OF, company_id=company_id)


def alias_by_key(tx: Tx, key: str) -> Rec | None:
    """The alias whose matching key this is."""
    return tx.row(_ALIAS_BY_KEY, key=key)


def insert_alias(tx: Tx, company_id: int, alias: str, key: str, now: datetime) -> Rec:
    """Store another name of a company; the row as stored."""
    return tx.row(_NEW_ALIAS, company_id=company_id, alias=alias, key=key, now=now)


def delete_alias(tx: Tx, alias_id: int) -> None:
    """Remove one alias."""
    tx.run(_DELETE_ALIAS, id=alias_id)


# --- the operator's changes: contacts ---------------------------------------------------------

_CONTACT_ROWS = ("SELECT c.*, co.name AS company_name FROM contacts c"
                 " JOIN companies co ON co.id = c.company_id")
_CONTACTS = Q(f"{_CONTACT_ROWS} ORDER BY co.name, c.name, c.id")  # noqa: S608 - constants
_CONTACTS_OF = Q(f"{_CONTACT_ROWS} WHERE c.company_id = :company_id"  # noqa: S608
                 " ORDER BY c.name, c.id")
_CONTACT_BY_ID = Q(f"{_CONTACT_ROWS} WHERE c.id = :id")  # noqa: S608 - constants
_CONTACT_ROW_BY_PHONE = Q(f"{_CONTACT_ROWS} WHERE c.phone = :phone ORDER BY c.id")  # noqa: S608
_CONTACT_HISTORY = Q(
    "SELECT (SELECT COUNT(*) FROM cases WHERE contact_id = :id)"
    " + (SELECT COUNT(*) FROM calls WHERE contact_id = :id)")
_UNLINK_CONTACT_CASES = Q("UPDATE cases SET contact_id = NULL WHERE contact_id = :id")
_UNLINK_CONTACT_CALLS = Q("UPDATE calls SET contact_id = NULL WHERE contact_id = :id")
_DELETE_CONTACT = Q("DELETE FROM contacts WHERE id = :id")


def all_contacts(tx: Tx) -> list[Rec]:
    """Every contact with their company's name, by company and name."""
    return tx.rows(_CONTACTS)


def contacts_of(tx: Tx, company_id: int) -> list[Rec]:
    """A company's contacts (with company_name), by name."""
    return tx.rows(_CONTACTS_OF, company_id=company_id)


def contact_by_id(tx: Tx, contact_id: int) -> Rec | None:
    """A contact (with company_name) by id."""
    return tx.row(_CONTACT_BY_ID, id=contact_id)


def contact_row_by_phone(tx: Tx, phone: str) -> Rec | None:
    """A contact (with company_name) by phone, as the contacts table holds it."""
    return tx.row(_CONTACT_ROW_BY_PHONE, phone=phone)


def contact_rows_by_phone(tx: Tx, phone: str) -> list[Rec]:
    """Every contact (with company_name) with this phone."""
    return tx.rows(_CONTACT_ROW_BY_PHONE, phone=phone)


def update_contact(tx: Tx, contact_id: int, **values) -> None:
    """Write some columns of a contact."""
    tx.update("contacts", contact_id, **values)


def delete_contact(tx: Tx, contact_id: int) -> int:
    """Remove a contact; cases and calls that referred to them keep what they said (name,
    company) and lose only the link. How many cases and calls were unlinked."""
    unlinked = tx.value(_CONTACT_HISTORY, id=contact_id) or 0
    tx.run(_UNLINK_CONTACT_CASES, id=contact_id)
    tx.run(_UNLINK_CONTACT_CALLS, id=contact_id)
    tx.run(_DELETE_CONTACT, id=contact_id)
    return unlinked


# --- the operator's changes: emergency phones -------------------------------------------------

_EMERGENCY_HISTORY = Q("SELECT COUNT(*) FROM dial_attempts WHERE emergency_contact_id = :id")
_DELETE_EMERGENCY = Q("DELETE FROM emergency_contacts WHERE id = :id")
_EMERGENCY_POSITION = Q("UPDATE emergency_contacts SET position = :position WHERE id = :id")


def update_emergency_contact(tx: Tx, contact_id: int, **values) -> None:
    """Write some columns of an emergency phone (not its position: see set_emergency_order)."""
    tx.update("emergency_contacts", contact_id, **values)


def emergency_history_count(tx: Tx, contact_id: int) -> int:
    """How many legs of calls rang this emergency phone."""
    return tx.value(_EMERGENCY_HISTORY, id=contact_id) or 0


def delete_emergency_contact(tx: Tx, contact_id: int) -> None:
    """Remove an emergency phone (the order is then renumbered by set_emergency_order)."""
    tx.run(_DELETE_EMERGENCY, id=contact_id)


_LOCK_EMERGENCY = Q("SELECT * FROM emergency_contacts ORDER BY id FOR UPDATE")


def lock_emergency_order(tx: Tx) -> list[Rec]:
    """Every emergency phone in ringing order, locked for this transaction on PostgreSQL
    (rows as committed once the lock is granted; SQLite's writers take turns anyway)."""
    rows = tx.rows(_LOCK_EMERGENCY) if tx.pg else tx.rows(_EMERGENCY_CONTACTS)
    return sorted(rows, key=lambda row: row.position)


def set_emergency_order(tx: Tx, ids: list[int]) -> None:
    """Give the emergency phones `ids` the positions 1, 2, 3… in that order. Positions are
    unique and checked row by row, so in two steps: first every row to a negative place (no
    clash with any positive one, nor with each other), then to its place."""
    for place, contact_id in enumerate(ids, start=1):
        tx.run(_EMERGENCY_POSITION, id=contact_id, position=-place)
    for place, contact_id in enumerate(ids, start=1):
        tx.run(_EMERGENCY_POSITION, id=contact_id, position=place)


# --- the operator's changes: closures ---------------------------------------------------------

_CLOSURE_BY_ID = Q("SELECT * FROM closures WHERE id = :id")
_CLOSURES_ON = Q("SELECT * FROM closures WHERE day = :day ORDER BY starts, id")


def closure_by_id(tx: Tx, closure_id: int) -> Rec | None:
    """A closure by id."""
    return tx.row(_CLOSURE_BY_ID, id=closure_id)


def closures_on(tx: Tx, day: date) -> list[Rec]:
    """The closures of one day."""
    return tx.rows(_CLOSURES_ON, day=day)


def update_closure(tx: Tx, closure_id: int, **values) -> None:
    """Write some columns of a closure."""
    tx.update("closures", closure_id, **values)


# --- names callers say ---------------------------------------------------------------------------

_NAMES_AND_ALIASES = Q(
    "SELECT c.id AS company_id, c.name AS name, a.alias AS alias FROM companies c"
    " LEFT JOIN company_aliases a ON a.company_id = c.id ORDER BY c.id, a.id")


def company_names_and_aliases(tx: Tx) -> list[Rec]:
    """Every company's name with each of its aliases (alias NULL: none), by company."""
    return tx.rows(_NAMES_AND_ALIASES)
