"""Analysts' skills: every statement about `skills` (the vocabulary) and `analyst_skills`
(who has which)."""

from __future__ import annotations

from datetime import datetime

from ivr.store.tx import Q, Rec, Tx

_SKILLS = Q(
    "SELECT s.*, (SELECT COUNT(*) FROM analyst_skills x WHERE x.skill_id = s.id) AS analysts"
    " FROM skills s ORDER BY s.name")
_SKILL_BY_NAME = Q("SELECT * FROM skills WHERE name = :name")
_SKILL_BY_ID = Q("SELECT * FROM skills WHERE id = :id")
_NEW_SKILL = Q(
    "INSERT INTO skills (name, area, created_at) VALUES (:name, :area, :now) RETURNING *")
_SET_AREA = Q("UPDATE skills SET area = :area WHERE id = :id")
_DELETE_SKILL = Q("DELETE FROM skills WHERE id = :id")
_SKILLS_OF = Q(
    "SELECT s.* FROM skills s JOIN analyst_skills x ON x.skill_id = s.id"
    " WHERE x.analyst_id = :analyst_id ORDER BY s.name")
_ALL_GRANTS = Q(
    "SELECT x.analyst_id, s.name FROM analyst_skills x JOIN skills s ON s.id = x.skill_id"
    " ORDER BY x.analyst_id, s.name")
_GRANT = Q(
    "INSERT INTO analyst_skills (analyst_id, skill_id, created_at)"
    " VALUES (:analyst_id, :skill_id, :now)")
_REVOKE = Q("DELETE FROM analyst_skills WHERE analyst_id = :analyst_id AND skill_id = :skill_id")


def all_skills(tx: Tx) -> list[Rec]:
    """Every skill by name, with how many analysts have it (analysts)."""
    return tx.rows(_SKILLS)


def skill_by_name(tx: Tx, name: str) -> Rec | None:
    """A skill by its exact (stored, lower-case) name."""
    return tx.row(_SKILL_BY_NAME, name=name)


def skill_by_id(tx: Tx, skill_id: int) -> Rec | None:
    """A skill by id."""
    return tx.row(_SKILL_BY_ID, id=skill_id)


def insert_skill(tx: Tx, name: str, now: datetime, area: str | None = None) -> Rec:
    """Store a skill (serving a fault area, or none); the row as stored."""
    return tx.row(_NEW_SKILL, name=name, area=area, now=now)


def set_area(tx: Tx, skill_id: int, area: str | None) -> None:
    """The fault area a skill serves (None: none)."""
    tx.run(_SET_AREA, id=skill_id, area=area)


def delete_skill(tx: Tx, skill_id: int) -> None:
    """Remove a skill nobody has."""
    tx.run(_DELETE_SKILL, id=skill_id)


def skills_of(tx: Tx, analyst_id: int) -> list[Rec]:
    """An analyst's skills, by name."""
    return tx.rows(_SKILLS_OF, analyst_id=analyst_id)


def all_grants(tx: Tx) -> list[Rec]:
    """Every (analyst_id, name) pair, by analyst and skill name."""
    return tx.rows(_ALL_GRANTS)


def grant(tx: Tx, analyst_id: int, skill_id: int, now: datetime) -> None:
    """Give an analyst a skill (one they do not have yet)."""
    tx.run(_GRANT, analyst_id=analyst_id, skill_id=skill_id, now=now)


def revoke(tx: Tx, analyst_id: int, skill_id: int) -> bool:
    """Take a skill from an analyst; whether they had it."""
    return tx.run(_REVOKE, analyst_id=analyst_id, skill_id=skill_id) == 1


_REVOKE_ALL = Q("DELETE FROM analyst_skills WHERE analyst_id = :analyst_id")


def revoke_all(tx: Tx, analyst_id: int) -> None:
    """Take every skill from an analyst (before removing them)."""
    tx.run(_REVOKE_ALL, analyst_id=analyst_id)
