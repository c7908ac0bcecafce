"""ivr.domain.messages: every SMS template in GSM-7 without accents and within 160 characters
with the longest values the line can put in it; which numbers get SMS."""

from __future__ import annotations

import re
import string
from datetime import datetime
from decimal import Decimal

import pytest

from ivr.domain import messages
from ivr.domain.phones import is_venezuelan_mobile

# The longest value of each field: a 200-character company full of accents and symbols, a
# 120-character name, an offline case number (8 digits), the longest E.164, the largest cost.
LONGEST = {
    "number": messages.grouped_number("30525308"),
    "company": "Compañía Anónima Distribuidora Ñandú & Asociados «Señal» — Sucursal Petare " * 3,
    "phone": "+584140143913999",
    "name": "María José Núñez de la Peña y Ürdaneta " * 3,
    "when": messages.sms_when(datetime(2099, 12, 31, 23, 59)),
    "cost": f"Bs. {messages.cost_text(Decimal('9999999999.99'))}",
    "time": "23:59",
}


def fields(kind: str) -> list[str]:
    """The placeholders of a template."""
    return [name for _, name, _, _ in string.Formatter().parse(messages.SMS_TEMPLATES[kind])
            if name]


@pytest.mark.parametrize("kind", sorted(messages.SMS_TEMPLATES))
def test_every_template_fits_one_gsm7_segment(kind):
    """With the longest values: GSM-7 basic characters only, no accents, at most 160."""
    names = fields(kind)
    assert set(names) - {"number"} <= set(LONGEST)
    text = messages.sms(kind, **{name: LONGEST[name] for name in names})
    assert messages.is_gsm7(text), [c for c in text if c not in messages.GSM7]
    assert len(text) <= 160, (len(text), text)
    assert not re.search(r"[áéíóúñÁÉÍÓÚÑü]", text)
    assert LONGEST["number"] in text  # the case number is never cut


@pytest.mark.parametrize("kind", sorted(messages.SMS_TEMPLATES))
def test_templates_themselves_are_plain(kind):
    """The fixed words carry no accent either ("numero", "tecnica")."""
    assert messages.is_gsm7(messages.SMS_TEMPLATES[kind].replace("{", "").replace("}", ""))


def test_plain_drops_accents_and_symbols():
    """Accents folded, symbols outside GSM-7 dropped."""
    assert messages.plain("Ñandú «Señal» — Ávila") == "Nandu Senal  Avila"


def test_a_long_value_is_cut():
    """A company longer than its room is cut to it, the rest of the text intact."""
    text = messages.sms("alert", number="305 2530", company="A" * 100, phone="+584125550123")
    assert ", " + "A" * 30 + ". Cliente" in text and "Ver en la consola." in text


def test_grouped_number_and_cost():
    """Case numbers in two groups; amounts in the Venezuelan way."""
    assert messages.grouped_number("3052530") == "305 2530"
    assert messages.cost_text(Decimal("1234.5")) == "1.234,50"


@pytest.mark.parametrize(("phone", "mobile"), [
    ("+584140143913", True), ("+584125550123", True), ("+584245550123", True),
    ("+582124713239", False),  # a Caracas landline
    ("+15005550006", False), ("+34612345678", False), (None, False), ("", False),
    ("anonymous", False)])
def test_only_venezuelan_mobiles_get_sms(phone, mobile):
    """Never landlines, withheld or foreign numbers."""
    assert is_venezuelan_mobile(phone) is mobile


@pytest.mark.parametrize("kind", sorted(messages.EMAIL_TEMPLATES))
def test_every_notice_has_an_email(kind):
    """Each caller notice exists by e-mail too, in full Spanish, with the case number."""
    assert kind in messages.SMS_TEMPLATES
    subject, body = messages.email(kind, number="305 2530", when="31/12/2099 a las 23:59",
                                   cost="Bs. 1,00")
    assert "305 2530" in subject and "305 2530" in body
