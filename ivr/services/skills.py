"""Analysts' skills (redes, impresoras, servidores, software administrativo…): the vocabulary
and who has which. The console's analyst page and `flask skills` call these alike; every change
is in the audit trail (a skill's own row, and the analyst's 'skills' field)."""

from __future__ import annotations

from datetime import datetime

from ivr.domain.statuses import FAULT_AREAS, FaultArea
from ivr.domain.text import check_text
from ivr.services import audit_trail
from ivr.services.directory import DirectoryError
from ivr.store import skills as store
from ivr.store.tables import skills as SKILLS
from ivr.store.tx import Rec, Tx

# The usual skills, each with the fault area it serves (a caller's words give the area).
DEFAULT_SKILLS = {"redes": FaultArea.NETWORK, "impresoras": FaultArea.PRINTER,
                  "servidores": FaultArea.EQUIPMENT, "software administrativo": FaultArea.SOFTWARE,
                  "correo": FaultArea.EMAIL}


def skill_name(text: str) -> str:
    """A skill's name as stored: trimmed, single spaces, lower case."""
    name = " ".join(check_text(text or "", "skill").split()).lower()
    if not name:
        raise DirectoryError("a skill needs a name")
    limit = SKILLS.c.name.type.length
    if len(name) > limit:
        raise DirectoryError(f"skill is too long ({len(name)} characters, at most {limit})")
    return name


def skill_area(text: str | None) -> FaultArea | None:
    """A fault area as typed (equipment, printer, network, email, software; any case); None
    for no text."""
    word = (text or "").strip().lower()
    if not word:
        return None
    if word not in FAULT_AREAS:
        raise DirectoryError(f"unknown area {text.strip()!r}: one of "
                             f"{', '.join(FAULT_AREAS)}, or none")
    return FaultArea(word)


def list_skills(tx: Tx) -> list[Rec]:
    """Every skill by name, with how many analysts have it (analysts)."""
    return store.all_skills(tx)


def seed_skills(tx: Tx, now: datetime) -> None:
    """Store the usual skills when there are none."""
    if store.all_skills(tx):
        return
    for name, area in DEFAULT_SKILLS.items():
        store.insert_skill(tx, name, now, area)


def add_skill(tx: Tx, name: str, now: datetime, by: int | None = None,
              area: str | None = None) -> Rec:
    """A new skill analysts may have, serving a fault area (or none): a caller whose fault
    is in that area is offered first to an analyst with the skill."""
    name = skill_name(name)
    area = skill_area(area)
    if store.skill_by_name(tx, name) is not None:
        raise DirectoryError(f"there is a skill {name!r} already")
    row = store.insert_skill(tx, name, now, area)
    audit_trail.record_created(tx, by, "skills", row.id, name, now)
    if area is not None:
        audit_trail.record(tx, by, "skills", row.id, "area", None, area, now)
    return row


def set_skill_area(tx: Tx, skill: Rec, area: str | None, now: datetime,
                   by: int | None = None) -> Rec:
    """The fault area a skill serves (None: none); the skill as stored."""
    area = skill_area(area)
    if area != skill.area:
        store.set_area(tx, skill.id, area)
        audit_trail.record(tx, by, "skills", skill.id, "area", skill.area, area, now)
    return skill.replace(area=area)


def skill_by_id(tx: Tx, skill_id: int) -> Rec | None:
    """A skill by id."""
    return store.skill_by_id(tx, skill_id)


def find_skill(tx: Tx, name: str) -> Rec:
    """A skill by name."""
    name = skill_name(name)
    row = store.skill_by_name(tx, name)
    if row is None:
        known = ", ".join(s.name for s in store.all_skills(tx)) or "none yet"
        raise DirectoryError(f"no skill {name!r} (known: {known})")
    return row


def remove_skill(tx: Tx, skill: Rec, by: int | None = None) -> None:
    """Remove a skill no analyst has."""
    holders = next((s.analysts for s in store.all_skills(tx) if s.id == skill.id), 0)
    if holders:
        raise DirectoryError(f"{holders} analyst(s) have {skill.name!r}: take it from them "
                             "first")
    store.delete_skill(tx, skill.id)
    audit_trail.record_removed(tx, by, "skills", skill.id, skill.name)


def skills_of(tx: Tx, analyst: Rec) -> list[str]:
    """An analyst's skills, by name."""
    return [row.name for row in store.skills_of(tx, analyst.id)]


def skills_by_analyst(tx: Tx) -> dict[int, list[str]]:
    """Every analyst's skills (analysts without any are missing)."""
    found: dict[int, list[str]] = {}
    for row in store.all_grants(tx):
        found.setdefault(row.analyst_id, []).append(row.name)
    return found


def set_analyst_skills(tx: Tx, analyst: Rec, names: list[str], now: datetime,
                       by: int | None = None) -> list[str]:
    """Give an analyst exactly these skills (known ones); the skills as stored."""
    wanted = {find_skill(tx, name).name: find_skill(tx, name) for name in names}
    have = {row.name: row for row in store.skills_of(tx, analyst.id)}
    for name, row in wanted.items():
        if name not in have:
            store.grant(tx, analyst.id, row.id, now)
    for name, row in have.items():
        if name not in wanted:
            store.revoke(tx, analyst.id, row.id)
    before, after = ", ".join(sorted(have)), ", ".join(sorted(wanted))
    if before != after:
        audit_trail.record(tx, by, "analysts", analyst.id, "skills", before or None,
                           after or None, now)
    return sorted(wanted)


def grant_skill(tx: Tx, analyst: Rec, name: str, now: datetime, by: int | None = None) -> list[str]:
    """Add one skill to an analyst's; their skills as stored."""
    return set_analyst_skills(tx, analyst, [*skills_of(tx, analyst), name], now, by)


def revoke_skill(tx: Tx, analyst: Rec, name: str, now: datetime,
                 by: int | None = None) -> list[str]:
    """Take one skill from an analyst; their skills as stored."""
    name = find_skill(tx, name).name
    have = skills_of(tx, analyst)
    if name not in have:
        raise DirectoryError(f"{analyst.name} does not have {name!r}")
    return set_analyst_skills(tx, analyst, [n for n in have if n != name], now, by)
