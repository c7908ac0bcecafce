"""Demo data: the procedure's emergency contacts and clearly fake analysts and clients."""

from __future__ import annotations

import secrets
from datetime import datetime

from argon2 import PasswordHasher

from ivr.domain.statuses import AnalystStatus, UserRole
from ivr.services import directory
from ivr.services import users as user_service
from ivr.store import analysts
from ivr.store import directory as store
from ivr.store import users as user_rows
from ivr.store.tx import Tx

PRODUCTION = "production"


class DemoRefused(directory.DirectoryError):
    """Demo data asked for where real callers would meet it."""

# Rule 1.2 of the procedure: the published emergency cells, in order.
EMERGENCY = (("Filippo Maniscalco", "(0414) 014.39.13"), ("Birmania Muñoz", "(0414) 032.01.51"))
# Fake people on numbers that no one owns (Twilio's and the ITU's test ranges). Their PINs
# follow the rule for every PIN (6 digits at least), and are public: demo data never runs in
# production.
ANALYSTS = (
    ("Analista Demo Uno", "+15005550101", "130572"),
    ("Analista Demo Dos", "+15005550102", "240683"),
    ("Analista Demo Tres", "+15005550103", "350794"),
)
COMPANIES = (("Empresa Demo", 4), ("Comercial Ejemplo", None))
CONTACTS = (
    ("Empresa Demo", "Ana Prueba", "+15005550201", "Gerente de Sistemas", "ana@example.com"),
    ("Comercial Ejemplo", "Luis Ensayo", "+15005550202", "Contador", None),
)


def load_demo_data(tx: Tx, now: datetime, env: str) -> int:
    """Add whatever demo rows are missing; return how many were added. Refused in production,
    where the demo analysts' public PINs would open the phone menu."""
    if env == PRODUCTION:
        raise DemoRefused("demo-data is for trying the line: it adds analysts with public "
                          "PINs and fake clients, so it never runs with IVR_ENV=production; "
                          "add the real ones with `analysts add` and `emergency add`")
    added = 0
    for name, phone in EMERGENCY:
        if store.emergency_contact_by_phone(tx, directory.require_phone(phone)) is None:
            directory.add_emergency(tx, name, phone, None, now)
            added += 1
    for name, phone, pin in ANALYSTS:
        if analysts.analyst_by_phone(tx, phone) is None:
            analyst = directory.add_analyst(tx, name, phone, pin, now)
            directory.set_analyst_status(tx, analyst, AnalystStatus.AVAILABLE, now)
            added += 1
    for name, hours in COMPANIES:
        if directory.find_company(tx, name) is None:
            directory.add_company(tx, name, hours, now)
            added += 1
    for company, name, phone, position, email in CONTACTS:
        if store.contact_by_phone(tx, phone) is None:
            directory.add_contact(tx, company, name, phone, position, email, now)
            added += 1
    return added


def demo_rows(tx: Tx) -> list[str]:
    """The demo analysts, companies and contacts present, in words (none: an empty list). The
    procedure's emergency phones are real, so they are not demo data."""
    found = []
    for _name, phone, _pin in ANALYSTS:
        analyst = analysts.analyst_by_phone(tx, phone)
        if analyst is not None and analyst.deactivated_at is None:
            found.append(f"analyst {analyst.id} ({analyst.name})")
    for name, _hours in COMPANIES:
        company = store.company_by_key(tx, directory.name_key(name))
        if company is not None:
            found.append(f"company {company.id} ({company.name})")
    for _company, _name, phone, _position, _email in CONTACTS:
        contact = store.contact_row_by_phone(tx, phone)
        if contact is not None:
            found.append(f"contact {contact.id} ({contact.name})")
    return found


# The console's demo analyst (development only): works as the first demo analyst.
DEMO_USER = ("Analista Demo Uno", "analista.demo@example.com")


def demo_console_login(tx: Tx, hasher: PasswordHasher, now: datetime) -> tuple[str, str]:
    """The demo analyst's console login, (e-mail, password): the user is added if missing,
    and given a new random password each time (printed, never stored in clear)."""
    name, email = DEMO_USER
    password = secrets.token_urlsafe(12)
    user = user_rows.user_by_email(tx, email)
    if user is None:
        user_service.add_user(tx, hasher, name=name, email=email, role=UserRole.ANALYST,
                              password=password, analyst_ref=ANALYSTS[0][1], now=now)
    else:
        user_rows.set_password_hash(tx, user.id, hasher.hash(password))
    return email, password
