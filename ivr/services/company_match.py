"""Callers matched to their company (rule 8): a spoken name against the registered companies
and their aliases, and the names as speech-recognition hints.

The names are read at most every 30 seconds per process (a company added by an operator is
heard within that time), so a webhook pays for the list only when it is stale.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from ivr.domain.company_names import Match, match_company, speech_hints
from ivr.store.directory import company_names_and_aliases
from ivr.store.tx import Tx

NAMES_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class CompanyNames:
    """The registered companies as (id, name, aliases), and the hints they make."""

    candidates: tuple[tuple[int, str, tuple[str, ...]], ...]
    hints: str


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def company_names(tx: Tx) -> CompanyNames:
    """The companies callers may name (cached for NAMES_TTL_SECONDS per database)."""
    engine: Engine = tx.engine
    cached = _CACHE.get(engine)
    if cached is not None and time.monotonic() - cached[0] < NAMES_TTL_SECONDS:
        return cached[1]
    by_company: dict[int, tuple[str, list[str]]] = {}
    for row in company_names_and_aliases(tx):
        name, aliases = by_company.setdefault(row.company_id, (row.name, []))
        if row.alias:
            aliases.append(row.alias)
    candidates = tuple((cid, name, tuple(aliases)) for cid, (name, aliases) in
                       by_company.items())
    names = CompanyNames(candidates, speech_hints(
        [name for _cid, name, aliases in candidates for name in (name, *aliases)]))
    with _LOCK:
        _CACHE[engine] = (time.monotonic(), names)
    return names


def forget_company_names(engine: Engine) -> None:
    """Read the names again at the next match (after companies or aliases change here)."""
    with _LOCK:
        _CACHE.pop(engine, None)


def spoken_company(tx: Tx, spoken: str) -> Match:
    """The registered company a caller's words name, guesses for an analyst, or none."""
    return match_company(spoken, company_names(tx).candidates)
