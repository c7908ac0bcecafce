"""The prompt catalogue (voice_prompts/prompts.toml): every prompt is used by some step of the
line, every prompt a step names exists, and the words are what a caller in Caracas would say."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ivr.domain.statuses import AnalystStatus, CaseStatus, Severity
from ivr.prompts import load_catalogue

IVR = Path(__file__).resolve().parent.parent / "ivr"
CATALOGUE = load_catalogue()
# Prompts named by an f-string with a closed set of words: the family and its members.
FAMILIES = {
    "closed_": ("holiday", "closure", "lunch", "night", "weekend"),  # OpenStatus.reason
    "case_status_": tuple(CaseStatus),
    "analyst_status_": tuple(AnalystStatus),
    "severity_": tuple(str(int(s)) for s in Severity),
}


def literals() -> set[str]:
    """Every string constant in the package's code."""
    found = set()
    for path in IVR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def used_prompt_ids() -> set[str]:
    """The prompt ids the code names: literals, and the members of each f-string family."""
    names = {value for value in literals() if re.fullmatch(r"[a-z][a-z0-9_]*", value)}
    for prefix, members in FAMILIES.items():
        assert prefix in literals() or any(v.startswith(prefix) for v in names), prefix
        names |= {f"{prefix}{member}" for member in members}
    return names


def test_every_prompt_is_used_by_some_step():
    """No prompt lingers unused in the catalogue (one would be translated and recorded for
    nothing, and drift from what the line says)."""
    unused = sorted(set(CATALOGUE.texts) - used_prompt_ids())
    assert unused == []


def test_every_family_member_has_its_prompt():
    """A status or reason said through an f-string has its words in the catalogue."""
    for prefix, members in FAMILIES.items():
        for member in members:
            assert f"{prefix}{member}" in CATALOGUE.texts, f"{prefix}{member}"


def test_every_prompt_a_step_says_exists():
    """Each prompt id passed to say/ask/text in the voice layer is in the catalogue."""
    said = set()
    for path in (IVR / "voice").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        said |= set(re.findall(r"\.(?:say|text)\([a-z]+, \"([a-z_0-9]+)\"", source))
        said |= set(re.findall(r"\.text\(\"([a-z_0-9]+)\"", source))
    assert said and said <= set(CATALOGUE.texts), sorted(said - set(CATALOGUE.texts))


@pytest.mark.parametrize("prompt_id", sorted(CATALOGUE.texts))
def test_words_a_caller_would_say(prompt_id):
    """No clock times as digits ("2:00"), no amounts with decimals ("45.00"), no promise that
    the call is recorded (analyst calls are not), and nothing that blames the caller."""
    text = CATALOGUE.texts[prompt_id]
    assert not re.search(r"\d:\d\d", text)
    assert not re.search(r"\d[.,]\d\d\b", text)
    assert "grabada" not in text
    assert "sin avanzar" not in text


def test_the_full_catalogue_is_not_empty():
    """The walk above is over a real catalogue."""
    assert len(CATALOGUE.texts) > 60 and len(used_prompt_ids()) > 60
