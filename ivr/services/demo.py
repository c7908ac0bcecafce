"""Demo data: the procedure's emergency contacts and clearly fake analysts and clients."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.services import directory
from ivr.store.models import Analyst, Contact, EmergencyContact

# Rule 1.2 of the procedure: the published emergency cells, in order.
EMERGENCY = (("Filippo Maniscalco", "(0414) 014.39.13"), ("Birmania Muñoz", "(0414) 032.01.51"))
# Fake people on numbers that no one owns (Twilio's and the ITU's test ranges).
ANALYSTS = (
    ("Analista Demo Uno", "+15005550101", "1111"),
    ("Analista Demo Dos", "+15005550102", "2222"),
    ("Analista Demo Tres", "+15005550103", "3333"),
)
COMPANIES = (("Empresa Demo", 4), ("Comercial Ejemplo", None))
CONTACTS = (
    ("Empresa Demo", "Ana Prueba", "+15005550201", "Gerente de Sistemas", "ana@example.com"),
    ("Comercial Ejemplo", "Luis Ensayo", "+15005550202", "Contador", None),
)


def load_demo_data(session: Session, now: datetime) -> int:
    """Add whatever demo rows are missing; return how many were added."""
    added = 0
    for name, phone in EMERGENCY:
        number = directory.require_phone(phone)
        if not session.scalar(select(EmergencyContact.id).where(EmergencyContact.phone == number)):
            directory.add_emergency(session, name, phone, None, now)
            added += 1
    for name, phone, pin in ANALYSTS:
        if not session.scalar(select(Analyst.id).where(Analyst.phone == phone)):
            analyst = directory.add_analyst(session, name, phone, pin, now)
            directory.set_analyst_status(session, analyst, "available", now)
            added += 1
    for name, hours in COMPANIES:
        if directory.find_company(session, name) is None:
            directory.add_company(session, name, hours, now)
            added += 1
    for company, name, phone, position, email in CONTACTS:
        if not session.scalar(select(Contact.id).where(Contact.phone == phone)):
            directory.add_contact(session, company, name, phone, position, email, now)
            added += 1
    return added
