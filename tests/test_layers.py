"""The layers the tree shows, and each thing written once.

A domain free of Flask and SQL, views that import no other view, statements only in the store,
each statement and each status word defined once. Imports are read from the source (ast).
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from ivr.domain import statuses
from ivr.store.tx import Q

IVR = Path(__file__).resolve().parent.parent / "ivr"
VIEWS = {"analyst", "connect", "hold", "lookup", "menu", "offline", "report"}


def imported_modules(path: Path) -> list[tuple[str, bool]]:
    """(module, inside a function) for every import of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.append((child.module, inner))
                found.extend((f"{child.module}.{alias.name}", inner) for alias in child.names)
            visit(child, inner)

    visit(tree, False)
    return found


def modules(folder: str) -> list[Path]:
    """The Python files of a package of ivr/."""
    return sorted((IVR / folder).glob("*.py"))


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: p.name)
def test_domain_imports_neither_flask_nor_sqlalchemy(path):
    """A domain module is plain Python: no web framework, no database, no other layer."""
    for name, _nested in imported_modules(path):
        root = name.split(".")[0]
        assert root not in {"flask", "werkzeug", "sqlalchemy", "psycopg", "alembic"}, name
        assert not name.startswith(("ivr.store", "ivr.services", "ivr.voice", "ivr.cli")), name


@pytest.mark.parametrize("path", modules("store") + modules("services"), ids=lambda p: p.name)
def test_services_and_store_import_no_surface(path):
    """Services and storage know nothing of Flask requests, the voice surface or the CLI."""
    for name, _nested in imported_modules(path):
        assert not name.startswith(("ivr.voice", "ivr.cli", "flask")), name
    if path.parent.name == "store":
        assert not any(name.startswith("ivr.services") for name, _ in imported_modules(path))


@pytest.mark.parametrize("path", modules("voice"), ids=lambda p: p.name)
def test_no_view_imports_another_view(path):
    """Views share steps through ivr.voice.common, never by importing each other."""
    if path.stem not in VIEWS:
        return
    for name, _nested in imported_modules(path):
        parts = name.split(".")
        if parts[:2] == ["ivr", "voice"] and len(parts) > 2:
            assert parts[2] not in VIEWS - {path.stem}, name


@pytest.mark.parametrize("path", sorted(IVR.rglob("*.py")), ids=lambda p: str(p.relative_to(IVR)))
def test_no_import_inside_a_function(path):
    """Imports sit at the top of a module: none hides a cycle inside a function."""
    if "migrations" in path.parts:
        return  # alembic loads revision files on its own
    nested = [name for name, inner in imported_modules(path) if inner and name.startswith("ivr")]
    assert not nested, nested


def test_the_views_hold_no_sql():
    """Statements live in ivr/store: no view or service defines one."""
    for folder in ("voice", "services", "cli", "console", "public"):
        for path in modules(folder):
            source = path.read_text(encoding="utf-8")
            assert "Q(" not in source.replace("CallParams(", ""), path


def store_statements() -> list[tuple[str, str]]:
    """(module, SQL) of every statement the store defines, read from the modules."""
    found = []
    for path in modules("store"):
        module = importlib.import_module(f"ivr.store.{path.stem}")
        found.extend((path.stem, value.sql) for value in vars(module).values()
                     if isinstance(value, Q))
    return found


def test_every_statement_is_defined_once():
    """No two statements of the store are the same SQL (one place to change each)."""
    statements = store_statements()
    assert len(statements) > 40
    seen: dict[str, str] = {}
    for module, sql in statements:
        assert sql not in seen, (module, seen.get(sql), sql)
        seen[sql] = module


_SQL = re.compile(r"\b(SELECT|UPDATE|INSERT|DELETE|WHERE)\b")
# The status sets the database checks; their words appear as literals only in
# ivr/domain/statuses.py (the simulator speaks Twilio's protocol and is left out).
STATUS_SETS = (statuses.CASE_STATUSES, statuses.CALLBACK_STATES, statuses.ANALYST_STATUSES,
               statuses.RECORDING_STATUSES, statuses.CALL_STATUSES, statuses.CALL_OUTCOMES,
               statuses.DIAL_OUTCOMES, statuses.VISIT_STATUSES, statuses.CALLBACK_OUTCOMES)
# (GuessKind's and UserRole's words, "case", "pin", "analyst", are everyday words of messages.)


@pytest.mark.parametrize("folder", ["services", "store", "voice", "cli", "console", "public"])
def test_status_words_are_written_once(folder):
    """Services, storage and surfaces name status words through ivr.domain.statuses, never as
    string literals (in Python or inside SQL)."""
    words = {str(word) for values in STATUS_SETS for word in values}
    quoted = {f"'{word}'" for word in words}
    for path in modules(folder):
        if path.name == "tables.py":
            continue  # column names, and the CHECKs built from the statuses
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Names of click commands and options ("callbacks done") are words, not statuses.
        names = {id(arg) for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Attribute)
                 and node.func.attr in ("command", "group", "option", "argument")
                 for arg in node.args}
        for node in ast.walk(tree):
            if id(node) in names:
                continue
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                # The commands' screens print plain words ("none", "done"): only their SQL is
                # held to it there.
                if folder != "cli":
                    assert node.value not in words, (path.name, node.lineno, node.value)
                if "-src " in node.value:
                    continue  # a Content-Security-Policy: its 'none' is CSP's, not a state
                if _SQL.search(node.value):
                    assert not any(q in node.value for q in quoted), (path.name, node.lineno)
