"""Operators' commands for the people and days the line knows: `analysts`, `emergency`,
`companies` (and their aliases), `contacts`, `closures`. Each can list, show, add, edit and
undo: remove what has no history, deactivate what has (analysts, emergency phones). Where an id
is asked, a name (whole, or a part only one has) or a phone works too."""

from __future__ import annotations

import math
import sys

import click
from flask.cli import AppGroup

from ivr.cli.common import command_transaction, fail, state, warn
from ivr.domain.business_hours import to_caracas
from ivr.domain.clock import utcnow
from ivr.domain.statuses import ANALYST_STATUSES, FAULT_AREAS, AnalystStatus
from ivr.services import directory, routing
from ivr.services import skills as skill_service
from ivr.store.tx import Rec

PIN_HELP = "6 to 12 digits, asked twice without echo"


def shown(value) -> str:
    """A stored value as operators read it: nothing as '-'."""
    return "-" if value is None or value == "" else str(value)


def when(moment) -> str:
    """A stored time in Caracas, to the minute."""
    return "-" if moment is None else to_caracas(moment).strftime("%Y-%m-%d %H:%M")


def ask_pin(from_stdin: bool) -> str:
    """A new PIN: typed twice without echo, or one line of standard input (for scripts);
    never a command-line argument (shell history, `ps`)."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError("--pin-stdin: standard input is empty")
        return line.strip()
    return click.prompt(f"PIN for the analyst's phone menu ({PIN_HELP})", hide_input=True,
                        confirmation_prompt="Repeat the PIN")


# --- analysts ----------------------------------------------------------------------------------

analysts = AppGroup("analysts", help="Analysts who take forwarded calls.")


def analyst_line(a: Rec) -> str:
    """One listing line: id, name, phone, PIN set or not, status (and flags)."""
    now = utcnow()
    flags = ""
    if a.deactivated_at is not None:
        flags += f"  [deactivated {when(a.deactivated_at)}]"
    elif (wrap_up := routing.wrap_up_until(a, now)) is not None:
        flags += f" (closing a call, free in {math.ceil((wrap_up - now).total_seconds())} s)"
    elif a.lease_until and a.lease_until > now:
        flags += " (on a call)"
    pin = "pin" if a.pin_hash else "no-pin"
    return f"{a.id:>4}  {a.name:<30} {a.phone:<16} {pin:<6} {a.status}{flags}"


@analysts.command("add")
@click.argument("name")
@click.argument("phone")
@click.option("--no-pin", is_flag=True, help="No phone-menu PIN for now (`set-pin` later).")
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from standard input (scripts).")
@click.option("--available", is_flag=True, help="Start available.")
def analysts_add(name, phone, no_pin, pin_stdin, available):
    """Add an analyst; the phone-menu PIN is asked without echo (never an argument)."""
    if no_pin and pin_stdin:
        raise click.UsageError("--no-pin and --pin-stdin exclude each other")
    with command_transaction() as tx:  # refuse a bad name or phone before asking the PIN
        directory.check_new_analyst(tx, name, phone)
    pin = None if no_pin else ask_pin(pin_stdin)
    with command_transaction() as tx:
        analyst = directory.add_analyst(tx, name, phone, pin, utcnow())
        if available:
            analyst = directory.set_analyst_status(tx, analyst, AnalystStatus.AVAILABLE,
                                                   utcnow())
    click.echo(f"analyst {analyst.id} added: {analyst.name} {analyst.phone} {analyst.status}")


@analysts.command("list")
def analysts_list():
    """List analysts with their status (deactivated ones marked)."""
    with command_transaction() as tx:
        for a in directory.list_analysts(tx):
            click.echo(analyst_line(a))


@analysts.command("show")
@click.argument("analyst")
def analysts_show(analyst):
    """Every detail of an analyst (id, phone or name)."""
    with command_transaction() as tx:
        a = directory.resolve_analyst(tx, analyst)
        history = directory.analyst_history(tx, a)
    for key, value in (("id", a.id), ("name", a.name), ("phone", a.phone),
                       ("pin", "set" if a.pin_hash else "none"), ("status", a.status),
                       ("idle since", when(a.idle_since)),
                       ("on a call until", when(a.lease_until)),
                       ("missed in a row", a.missed_in_row), ("added", when(a.created_at)),
                       ("deactivated", when(a.deactivated_at)),
                       ("history", f"{history} case(s), call(s), leg(s), PIN attempt(s)")):
        click.echo(f"{key + ':':<17} {shown(value)}")


@analysts.command("set-status")
@click.argument("analyst")
@click.argument("status", type=click.Choice([str(s) for s in ANALYST_STATUSES]))
def analysts_set_status(analyst, status):
    """Set an analyst (id, phone or name) available, unavailable or away."""
    with command_transaction() as tx:
        found = directory.require_active(directory.resolve_analyst(tx, analyst))
        directory.set_analyst_status(tx, found, status, utcnow())
    click.echo(f"analyst {found.id} is {status}")


@analysts.command("edit")
@click.argument("analyst")
@click.option("--name", help="New name.")
@click.option("--phone", help="New phone.")
def analysts_edit(analyst, name, phone):
    """Rename an analyst or change their phone."""
    with command_transaction() as tx:
        a = directory.edit_analyst(tx, directory.resolve_analyst(tx, analyst), name=name,
                                   phone=phone)
    click.echo(f"analyst {a.id}: {a.name} {a.phone}")


@analysts.command("set-pin")
@click.argument("analyst")
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from standard input (scripts).")
@click.option("--remove", is_flag=True, help="Remove the PIN: the phone menu stays closed.")
def analysts_set_pin(analyst, pin_stdin, remove):
    """Set or change an analyst's phone-menu PIN, asked without echo."""
    with command_transaction() as tx:
        a = directory.resolve_analyst(tx, analyst)
    pin = None if remove else ask_pin(pin_stdin)
    with command_transaction() as tx:
        directory.set_pin(tx, directory.resolve_analyst(tx, str(a.id)), pin)
    click.echo(f"analyst {a.id} ({a.name}): PIN {'removed' if remove else 'set'}")


@analysts.command("deactivate")
@click.argument("analyst")
def analysts_deactivate(analyst):
    """Never ring an analyst again, nor open their phone menu; their history stays."""
    with command_transaction() as tx:
        a = directory.deactivate_analyst(tx, directory.resolve_analyst(tx, analyst), utcnow())
    click.echo(f"analyst {a.id} ({a.name}) deactivated")


@analysts.command("activate")
@click.argument("analyst")
def analysts_activate(analyst):
    """Take a deactivated analyst back (unavailable until set available)."""
    with command_transaction() as tx:
        a = directory.activate_analyst(tx, directory.resolve_analyst(tx, analyst))
    click.echo(f"analyst {a.id} ({a.name}) active again, {a.status}")


@analysts.command("remove")
@click.argument("analyst")
def analysts_remove(analyst):
    """Remove an analyst added by mistake (one with history: deactivate instead)."""
    with command_transaction() as tx:
        a = directory.resolve_analyst(tx, analyst)
        directory.remove_analyst(tx, a)
    click.echo(f"analyst {a.id} ({a.name}) removed")


# --- emergency phones --------------------------------------------------------------------------

emergency = AppGroup(
    "emergency", help="Phones that take emergencies out of hours, rung in order. PHONE_REF is "
    "a place in the order (as `emergency list` shows), a name or a phone number.")


def emergency_line(c: Rec) -> str:
    """One listing line: place, name, phone (and inactive)."""
    flag = "" if c.active else "  (inactive)"
    return f"{c.position:>3}  {c.name:<30} {c.phone}{flag}"


@emergency.command("add")
@click.argument("name")
@click.argument("phone")
@click.option("--position", type=int, help="Place in the ringing order (1 first).")
def emergency_add(name, phone, position):
    """Add an emergency phone (last in the order, or at --position)."""
    with command_transaction() as tx:
        contact = directory.add_emergency(tx, name, phone, position, utcnow())
    click.echo(f"emergency contact {contact.position}: {contact.name} {contact.phone}")


@emergency.command("list")
def emergency_list():
    """List emergency phones in ringing order."""
    with command_transaction() as tx:
        for c in directory.list_emergency(tx):
            click.echo(emergency_line(c))


@emergency.command("show")
@click.argument("phone_ref")
def emergency_show(phone_ref):
    """Every detail of an emergency phone."""
    with command_transaction() as tx:
        c = directory.resolve_emergency(tx, phone_ref)
    for key, value in (("place", c.position), ("name", c.name), ("phone", c.phone),
                       ("active", "yes" if c.active else "no"), ("added", when(c.created_at))):
        click.echo(f"{key + ':':<8} {shown(value)}")


@emergency.command("edit")
@click.argument("phone_ref")
@click.option("--name", help="New name.")
@click.option("--phone", help="New phone.")
@click.option("--ring-seconds", type=int, help="How long this phone rings (5-120 s).")
@click.option("--default-ring", is_flag=True, help="Ring for the line's DIAL_TIMEOUT again.")
def emergency_edit(phone_ref, name, phone, ring_seconds, default_ring):
    """Rename an emergency phone, change its number or how long it rings."""
    with command_transaction() as tx:
        c = directory.edit_emergency(tx, directory.resolve_emergency(tx, phone_ref),
                                     name=name, phone=phone, ring_seconds=ring_seconds,
                                     default_ring=default_ring)
    ring = f", rings {c.ring_seconds} s" if c.ring_seconds else ""
    click.echo(f"emergency contact {c.position}: {c.name} {c.phone}{ring}")


def _print_order(rows: list[Rec]) -> None:
    for c in rows:
        click.echo(emergency_line(c))


@emergency.command("move")
@click.argument("phone_ref")
@click.option("--to", "to", type=int, required=True, help="Its new place (1 rings first).")
def emergency_move(phone_ref, to):
    """Move an emergency phone to another place of the ringing order."""
    with command_transaction() as tx:
        order = directory.move_emergency(tx, directory.resolve_emergency(tx, phone_ref), to)
    _print_order(order)


@emergency.command("reorder")
@click.argument("phone_refs", nargs=-1, required=True)
def emergency_reorder(phone_refs):
    """Ring these phones first, in this order (the others follow as they were)."""
    with command_transaction() as tx:
        order = directory.reorder_emergency(tx, list(phone_refs))
    _print_order(order)


@emergency.command("deactivate")
@click.argument("phone_ref")
def emergency_deactivate(phone_ref):
    """Skip an emergency phone (it keeps its place, to be activated again)."""
    with command_transaction() as tx:
        c = directory.set_emergency_active(tx, directory.resolve_emergency(tx, phone_ref), False)
        left = len(directory.emergency_contacts(tx))
    click.echo(f"emergency contact {c.position} ({c.name}) deactivated")
    if not left:
        warn("no active emergency phone is left: out of hours, emergencies reach nobody")


@emergency.command("activate")
@click.argument("phone_ref")
def emergency_activate(phone_ref):
    """Ring a deactivated emergency phone again, at its place."""
    with command_transaction() as tx:
        c = directory.set_emergency_active(tx, directory.resolve_emergency(tx, phone_ref), True)
    click.echo(f"emergency contact {c.position} ({c.name}) active")


@emergency.command("remove")
@click.argument("phone_ref")
def emergency_remove(phone_ref):
    """Remove an emergency phone never rung (one rung: deactivate); the rest move up."""
    with command_transaction() as tx:
        c = directory.resolve_emergency(tx, phone_ref)
        directory.remove_emergency(tx, c)
        left = len(directory.emergency_contacts(tx))
    click.echo(f"emergency contact {c.name} {c.phone} removed")
    if not left:
        warn("no active emergency phone is left: out of hours, emergencies reach nobody")


# --- companies and their aliases ---------------------------------------------------------------

companies = AppGroup("companies", help="Client companies, their contracts and aliases.")


@companies.command("add")
@click.argument("name")
@click.option("--contract-hours", type=int, help="Contract response time, in business hours.")
def companies_add(name, contract_hours):
    """Add a client company."""
    with command_transaction() as tx:
        company = directory.add_company(tx, name, contract_hours, utcnow())
    click.echo(f"company {company.id} added: {company.name}")


@companies.command("list")
def companies_list():
    """List companies: id, contract, contacts and cases."""
    with command_transaction() as tx:
        for c in directory.list_companies(tx):
            contract = f"{c.contract_hours}h" if c.contract_hours else "-"
            click.echo(f"{c.id:>4}  {c.name:<40} contract {contract:<5} "
                       f"{c.contacts} contact(s) {c.cases} case(s)")


@companies.command("show")
@click.argument("company")
def companies_show(company):
    """A company with its aliases and contacts."""
    with command_transaction() as tx:
        c = directory.resolve_company(tx, company)
        aliases = directory.company_aliases(tx, c)
        people = directory.company_contacts(tx, c)
        cases = directory.company_case_count(tx, c)
    click.echo(f"id:        {c.id}")
    click.echo(f"name:      {c.name}")
    click.echo(f"contract:  {f'{c.contract_hours} business hours' if c.contract_hours else '-'}")
    click.echo(f"aliases:   {', '.join(a.alias for a in aliases) or '-'}")
    click.echo(f"cases:     {cases}")
    click.echo(f"contacts:  {len(people)}")
    for p in people:
        click.echo(f"  {p.id:>4}  {p.name:<30} {p.phone:<16} {shown(p.position)}  "
                   f"{shown(p.email)}")


@companies.command("edit")
@click.argument("company")
@click.option("--name", help="New name.")
@click.option("--contract-hours", type=int, help="New contract response time (business hours).")
@click.option("--no-contract", is_flag=True, help="The company has no contract any more.")
def companies_edit(company, name, contract_hours, no_contract):
    """Rename a company or change its contract."""
    with command_transaction() as tx:
        c = directory.edit_company(tx, directory.resolve_company(tx, company), name=name,
                                   contract_hours=contract_hours, no_contract=no_contract)
    contract = f"contract {c.contract_hours}h" if c.contract_hours else "no contract"
    click.echo(f"company {c.id}: {c.name}, {contract}")


@companies.command("merge")
@click.argument("duplicate")
@click.argument("into")
def companies_merge(duplicate, into):
    """Merge a duplicate company into another: its contacts, cases and aliases follow, its
    name becomes an alias."""
    with command_transaction() as tx:
        gone = directory.resolve_company(tx, duplicate)
        kept = directory.merge_companies(tx, gone, directory.resolve_company(tx, into))
    click.echo(f"company {gone.id} ({gone.name}) merged into {kept.id} ({kept.name})")


@companies.command("remove")
@click.argument("company")
def companies_remove(company):
    """Remove a company with no contacts and no cases."""
    with command_transaction() as tx:
        c = directory.resolve_company(tx, company)
        directory.remove_company(tx, c)
    click.echo(f"company {c.id} ({c.name}) removed")


alias = AppGroup("alias", help="Other names callers use for a company.")
companies.add_command(alias)


@alias.command("add")
@click.argument("company")
@click.argument("alias_name", metavar="ALIAS")
def alias_add(company, alias_name):
    """Add another name of a company (matched like its name)."""
    with command_transaction() as tx:
        c = directory.resolve_company(tx, company)
        row = directory.add_alias(tx, c, alias_name, utcnow())
    click.echo(f"company {c.id} ({c.name}) is also {row.alias!r}")


@alias.command("remove")
@click.argument("company")
@click.argument("alias_name", metavar="ALIAS")
def alias_remove(company, alias_name):
    """Remove one of a company's aliases."""
    with command_transaction() as tx:
        c = directory.resolve_company(tx, company)
        row = directory.remove_alias(tx, c, alias_name)
    click.echo(f"company {c.id} ({c.name}) is no longer {row.alias!r}")


# --- contacts ----------------------------------------------------------------------------------

contacts = AppGroup("contacts", help="People of client companies, recognised by caller ID.")


def contact_line(c: Rec) -> str:
    """One listing line of a contact."""
    return (f"{c.id:>4}  {c.name:<30} {c.phone:<16} {c.company_name[:30]:<30} "
            f"{shown(c.position)}  {shown(c.email)}")


@contacts.command("add")
@click.argument("company")
@click.argument("name")
@click.argument("phone")
@click.option("--position", help="Cargo.")
@click.option("--email")
def contacts_add(company, name, phone, position, email):
    """Add a contact the line recognises by caller ID."""
    with command_transaction() as tx:
        contact = directory.add_contact(tx, company, name, phone, position, email, utcnow())
    click.echo(f"contact {contact.id} added: {contact.name} {contact.phone}")


@contacts.command("list")
@click.option("--company", help="Only this company's contacts.")
def contacts_list(company):
    """List contacts, by company."""
    with command_transaction() as tx:
        found = directory.resolve_company(tx, company) if company is not None else None
        for c in directory.list_contacts(tx, found):
            click.echo(contact_line(c))


@contacts.command("show")
@click.argument("contact")
def contacts_show(contact):
    """Every detail of a contact (id, phone or name)."""
    with command_transaction() as tx:
        c = directory.resolve_contact(tx, contact)
    for key, value in (("id", c.id), ("name", c.name), ("company", c.company_name),
                       ("phone", c.phone), ("position", c.position), ("email", c.email),
                       ("added", when(c.created_at))):
        click.echo(f"{key + ':':<10} {shown(value)}")


@contacts.command("edit")
@click.argument("contact")
@click.option("--name", help="New name.")
@click.option("--phone", help="New phone.")
@click.option("--position", help="New cargo (\"\" clears it).")
@click.option("--email", help="New e-mail address (\"\" clears it).")
@click.option("--company", help="Move to another company.")
def contacts_edit(contact, name, phone, position, email, company):
    """Change a contact's name, phone, cargo, e-mail or company."""
    with command_transaction() as tx:
        c = directory.edit_contact(tx, directory.resolve_contact(tx, contact), name=name,
                                   phone=phone, position=position, email=email, company=company)
    click.echo(contact_line(c).strip())


@contacts.command("remove")
@click.argument("contact")
def contacts_remove(contact):
    """Remove a contact: their phone is no longer recognised; their cases keep the name."""
    with command_transaction() as tx:
        c = directory.resolve_contact(tx, contact)
        unlinked = directory.remove_contact(tx, c)
    kept = f" ({unlinked} case(s) and call(s) keep the name said)" if unlinked else ""
    click.echo(f"contact {c.id} ({c.name}) removed{kept}")


# --- closures ----------------------------------------------------------------------------------

closures = AppGroup("closures", help="Days or hours the centre is closed by decision. CLOSURE "
                    "is its id (`closures list`) or its day when it is the day's only one.")


def closure_line(c: Rec) -> str:
    """One listing line of a closure."""
    return f"{c.id:>4}  {c.day}  {directory.describe_span(c):<12} {c.reason}"


def _closure_warnings(tx, day) -> None:
    for message in directory.closure_warnings(state().schedules.get(tx), day):
        warn(message)


@closures.command("add")
@click.argument("day")
@click.option("--from", "starts", help="Start time (HH:MM) of a part-day closure.")
@click.option("--to", "ends", help="End time (HH:MM) of a part-day closure.")
@click.option("--reason", required=True, help="Said to callers, in Spanish.")
def closures_add(day, starts, ends, reason):
    """Close the centre on DAY (YYYY-MM-DD), all day or --from/--to."""
    with command_transaction() as tx:
        closure = directory.add_closure(tx, day, starts, ends, reason, utcnow())
        _closure_warnings(tx, closure.day)
    span = directory.describe_span(closure)
    click.echo(f"closure {closure.id}: {closure.day} {span} ({closure.reason})")


@closures.command("list")
def closures_list():
    """List closures by date."""
    with command_transaction() as tx:
        for c in directory.list_closures(tx):
            click.echo(closure_line(c))


@closures.command("show")
@click.argument("closure")
def closures_show(closure):
    """Every detail of a closure."""
    with command_transaction() as tx:
        c = directory.resolve_closure(tx, closure)
    for key, value in (("id", c.id), ("day", c.day), ("hours", directory.describe_span(c)),
                       ("reason", c.reason), ("added", when(c.created_at))):
        click.echo(f"{key + ':':<7} {shown(value)}")


@closures.command("edit")
@click.argument("closure")
@click.option("--day", help="New day (YYYY-MM-DD).")
@click.option("--from", "starts", help="New start time (HH:MM).")
@click.option("--to", "ends", help="New end time (HH:MM).")
@click.option("--all-day", is_flag=True, help="Closed the whole day.")
@click.option("--reason", help="New reason (said to callers).")
def closures_edit(closure, day, starts, ends, all_day, reason):
    """Change a closure's day, hours or reason."""
    with command_transaction() as tx:
        c = directory.edit_closure(tx, directory.resolve_closure(tx, closure), day=day,
                                   starts=starts, ends=ends, all_day=all_day, reason=reason)
        if day is not None:
            _closure_warnings(tx, c.day)
    click.echo(f"closure {c.id}: {c.day} {directory.describe_span(c)} ({c.reason})")


@closures.command("remove")
@click.argument("closure")
def closures_remove(closure):
    """Remove a closure (by id, or by its day)."""
    with command_transaction() as tx:
        c = directory.resolve_closure(tx, closure)
        directory.remove_closure(tx, c)
    click.echo(f"closure {c.id} removed")


hours = AppGroup("hours", help="The weekly opening hours (Caracas time). WEEKDAY is 0 "
                 "(Monday) to 6 (Sunday); a lunch break is the gap between two windows.")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@hours.command("list")
def hours_list():
    """The opening windows of each weekday."""
    with command_transaction() as tx:
        days = directory.weekday_hours(tx)
    for weekday, windows in days.items():
        click.echo(f"{weekday}  {WEEKDAY_NAMES[weekday]:<10} {directory.describe_windows(windows)}")


@hours.command("set")
@click.argument("weekday", type=click.IntRange(0, 6))
@click.argument("windows", nargs=-1)
def hours_set(weekday, windows):
    """Set a weekday's windows, e.g. `hours set 0 08:30-12:00 14:00-17:30` (none: closed)."""
    spans = []
    for window in windows:
        opens, dash, closes = window.partition("-")
        if not dash:
            fail(f"{window!r} is not a window: write HH:MM-HH:MM")
        spans.append((opens, closes))
    with command_transaction() as tx:
        stored = directory.set_weekday_hours(tx, weekday, spans)
    click.echo(f"{WEEKDAY_NAMES[weekday]}: {directory.describe_windows(stored)}")


skills = AppGroup("skills", help="What analysts know (redes, impresoras…), and the fault "
                  "area each serves.")
AREAS = ", ".join(FAULT_AREAS)
NO_AREA = "none"  # what `skills area` takes to clear a skill's area


def area_given(text: str | None) -> str | None:
    """An area as the commands take it ('none', or no option: none); an empty one is
    refused."""
    if text is None or text.strip().lower() == NO_AREA:
        return None
    if not text.strip():
        fail(f"an area is needed: one of {AREAS}, or {NO_AREA}")
    return text


@skills.command("list")
def skills_list():
    """Every skill, the fault area it serves ('-': none) and who has it."""
    with command_transaction() as tx:
        rows = skill_service.list_skills(tx)
        people = {a.id: a.name for a in directory.list_analysts(tx)}
        held = skill_service.skills_by_analyst(tx)
    for row in rows:
        names = [people[i] for i, have in held.items() if row.name in have]
        click.echo(f"{row.name:<28} {row.area or '-':<10} {', '.join(names) or '-'}")


@skills.command("add")
@click.argument("name")
@click.option("--area", metavar="AREA",
              help=f"The fault area the skill serves ({AREAS}): callers with such a fault "
                   "are offered first to analysts with the skill.")
def skills_add(name, area):
    """A new skill (serving a fault area, or none)."""
    with command_transaction() as tx:
        row = skill_service.add_skill(tx, name, utcnow(), area=area_given(area))
    click.echo(f"skill {row.name!r} added" + (f", area {row.area}" if row.area else ""))


@skills.command("area")
@click.argument("name")
@click.argument("area", metavar="AREA|none")
def skills_area(name, area):
    """Set the fault area a skill serves (AREA: one of equipment, printer, network, email,
    software), or none."""
    with command_transaction() as tx:
        row = skill_service.set_skill_area(tx, skill_service.find_skill(tx, name),
                                           area_given(area), utcnow())
    click.echo(f"skill {row.name!r}: area {row.area or NO_AREA}")


@skills.command("remove")
@click.argument("name")
def skills_remove(name):
    """Remove a skill no analyst has."""
    with command_transaction() as tx:
        row = skill_service.find_skill(tx, name)
        skill_service.remove_skill(tx, row)
    click.echo(f"skill {row.name!r} removed")


@skills.command("grant")
@click.argument("analyst")
@click.argument("name")
def skills_grant(analyst, name):
    """Give an analyst a skill."""
    with command_transaction() as tx:
        a = directory.resolve_analyst(tx, analyst)
        have = skill_service.grant_skill(tx, a, name, utcnow())
    click.echo(f"analyst {a.id} ({a.name}): {', '.join(have)}")


@skills.command("revoke")
@click.argument("analyst")
@click.argument("name")
def skills_revoke(analyst, name):
    """Take a skill from an analyst."""
    with command_transaction() as tx:
        a = directory.resolve_analyst(tx, analyst)
        have = skill_service.revoke_skill(tx, a, name, utcnow())
    click.echo(f"analyst {a.id} ({a.name}): {', '.join(have) or 'no skills'}")


GROUPS = (analysts, emergency, companies, contacts, closures, hours, skills)
