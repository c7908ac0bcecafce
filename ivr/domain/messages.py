"""The line's written messages: SMS texts in GSM-7 without accents, at most 160 characters
(one segment), whatever the values put in them; e-mail subjects and bodies.

Every value is made plain (accents and symbols outside GSM-7 dropped) and cut to the room its
template leaves (cut short), so a 200-character company name never makes a text two
messages long.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from ivr.domain.business_hours import to_caracas

SMS_LIMIT = 160
# GSM 03.38's basic characters that every phone shows the same (no accents, no extension
# table: ^{}[]~|\ and € count twice and some Venezuelan carriers drop them).
GSM7 = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    " \n.,:;!?()'\"-+/@*#%&=<>_")

# Texts by kind; {placeholders} are filled by `sms`. No accents: "numero", "tecnica".
SMS_TEMPLATES = {
    "case_opened": "CCO Apoyo Empresarial: su numero de caso es {number}. Para consultarlo "
                   "llame al (0212) 471.32.39, marque 1 y diga el numero.",
    "visit_arranged": "CCO Apoyo Empresarial: visita tecnica por el caso {number} el {when}. "
                       "Costo estimado: {cost}.",
    "visit_moved": "CCO Apoyo Empresarial: la visita del caso {number} cambio al {when}. "
                     "Costo estimado: {cost}.",
    "visit_cancelled": "CCO Apoyo Empresarial: la visita del caso {number} fue cancelada. "
                       "Consultas al (0212) 471.32.39.",
    "case_resolved": "CCO Apoyo Empresarial: su caso {number} quedo resuelto. Si la falla "
                     "vuelve, llame al (0212) 471.32.39 y marque 1.",
    "alert": "EMERGENCIA CCO caso {number}, {company}. Cliente: {phone}. Le llamaremos: "
             "marque 1 para tomar el caso. Ver en la consola.",
    "alert_taken": "CCO: el caso {number} ya lo tomo {name}. Gracias, no hace falta que "
                   "atienda la alerta.",
    "overdue_soon": "CCO: la devolucion de llamada del caso {number} ({company}) vence a "
                    "las {time} y nadie la atiende. Ver en la consola.",
}
# The most room each value may take (before the template's own limit is checked).
FIELD_LIMITS = {"number": 9, "company": 30, "phone": 16, "name": 30, "when": 30, "cost": 20,
                "time": 8}


def plain(text: str) -> str:
    """Text in GSM-7 without accents: "Ñandú" -> "Nandu"; other symbols dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c in GSM7)


def is_gsm7(text: str) -> bool:
    """Whether every character is one of GSM-7's basic ones (no accents)."""
    return all(c in GSM7 for c in text)


def grouped_number(number: str) -> str:
    """A case number as written for people: "3052530" -> "305 2530"."""
    return f"{number[:-4]} {number[-4:]}" if len(number) > 4 else number


def sms(kind: str, **values) -> str:
    """The text of a kind, filled with plain values cut to their room."""
    filled = {}
    for name, value in values.items():
        value = plain(str(value if value is not None else "-")).strip() or "-"
        limit = FIELD_LIMITS.get(name, 30)
        filled[name] = value[:limit].rstrip()
    text = SMS_TEMPLATES[kind].format(**filled)
    if len(text) > SMS_LIMIT:  # a template that cannot fit: tests/test_messages.py says so
        raise ValueError(f"SMS {kind!r} is {len(text)} characters")
    return text


def sms_when(when: datetime) -> str:
    """A Caracas date and time for a text: "07/12/2026 a las 14:30"."""
    local = to_caracas(when)
    return local.strftime("%d/%m/%Y a las %H:%M")


def sms_time(when: datetime) -> str:
    """A Caracas clock time for a text: "14:30"."""
    return to_caracas(when).strftime("%H:%M")


# The same notices by e-mail, in full Spanish: (subject, body) by kind.
EMAIL_TEMPLATES = {
    "case_opened": ("Su caso {number} en CCO Apoyo Empresarial",
                    "Registramos su reporte con el número de caso {number}.\n\n"
                    "Para consultarlo, llame al (0212) 471.32.39 o al (0212) 714.39.34, marque 1 "
                    "y diga o marque el número.\n\nCCO Apoyo Empresarial, Centro de Atención "
                    "Integral"),
    "visit_arranged": ("Visita técnica por su caso {number}",
                        "Programamos una visita técnica por su caso {number} el {when} "
                        "(hora de Caracas). Costo estimado: {cost}.\n\nCCO Apoyo Empresarial"),
    "visit_moved": ("Cambio de la visita por su caso {number}",
                      "La visita técnica por su caso {number} cambió al {when} (hora de "
                      "Caracas). Costo estimado: {cost}.\n\nCCO Apoyo Empresarial"),
    "visit_cancelled": ("Visita cancelada: caso {number}",
                        "La visita técnica por su caso {number} fue cancelada. Para "
                        "consultas, llame al (0212) 471.32.39.\n\nCCO Apoyo Empresarial"),
    "case_resolved": ("Su caso {number} quedó resuelto",
                      "Su caso {number} quedó resuelto. Si la falla vuelve, llame al "
                      "(0212) 471.32.39, marque 1 y dé el número del caso.\n\n"
                      "CCO Apoyo Empresarial"),
}


def email(kind: str, **values) -> tuple[str, str]:
    """(subject, body) of a notice by e-mail."""
    subject, body = EMAIL_TEMPLATES[kind]
    filled = {name: str(value if value is not None else "-") for name, value in values.items()}
    return subject.format(**filled), body.format(**filled)


def cost_text(cost) -> str:
    """An amount as written in Venezuela: 1.234,50."""
    whole, _, cents = f"{cost:,.2f}".partition(".")
    return f"{whole.replace(',', '.')},{cents}"
