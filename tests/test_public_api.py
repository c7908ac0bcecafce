"""The project uses its libraries through their public API only.

Read from the source (ast): no private name imported from a library, no private attribute
read or set on a library's module or class, no private method of a library's class
overridden, and none of the module-wide switches of `logging` set. `_get_current_object` is
the one underscored name Flask documents for use (the object behind a context proxy).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.glob("ivr/**/*.py"), *ROOT.glob("bench/**/*.py"), ROOT / "wsgi.py"])
OURS = ("ivr", "bench", "tests")
DOCUMENTED = {"_get_current_object", "_replace", "_asdict", "_fields", "_make"}
LOGGING_SWITCHES = {"logThreads", "logProcesses", "logMultiprocessing", "raiseExceptions"}
# Not underscored, but the internals of twilio's builder rather than its documented API.
INTERNALS = {"twilio.twiml": {"TwiML", "lower_camel"}}


def private(name: str) -> bool:
    """An underscored name that is not a dunder, nor one documented for use."""
    return name.startswith("_") and not name.startswith("__") and name not in DOCUMENTED


def library_names(tree: ast.Module) -> dict[str, tuple[str, str | None]]:
    """Local name -> (library module, imported attribute or None for the module itself)."""
    names: dict[str, tuple[str, str | None]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] not in OURS:
                    names[alias.asname or alias.name.split(".")[0]] = (alias.name, None)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                node.module.split(".")[0] not in OURS:
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
    return names


def resolve(module: str, attribute: str | None):
    """The library object a local name stands for (None when it cannot be imported)."""
    try:
        target = importlib.import_module(module)
        return getattr(target, attribute) if attribute else target
    except (ImportError, AttributeError):
        return None


def violations(path: Path, source: str | None = None) -> list[str]:
    """Each use of a library's private names in one source file, in line order."""
    if source is None:
        source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    names = library_names(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] not in OURS:
                found += [f"{where} imports {node.module}.{alias.name}" for alias in node.names
                          if private(alias.name)
                          or alias.name in INTERNALS.get(node.module, ())]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in names and private(node.attr):
                found.append(f"{where} uses {node.value.id}.{node.attr}")
            if names.get(node.value.id) == ("logging", None) and node.attr in LOGGING_SWITCHES \
                    and isinstance(node.ctx, ast.Store):
                found.append(f"{where} sets logging.{node.attr}")
        elif isinstance(node, ast.ClassDef):
            bases = [resolve(*names[b.id]) for b in node.bases
                     if isinstance(b, ast.Name) and b.id in names]
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and private(item.name) and any(
                        base is not None and hasattr(base, item.name) for base in bases):
                    found.append(f"{where} overrides {node.name}.{item.name}")
    return sorted(found, key=lambda line: int(line.split(" ")[0].rsplit(":", 1)[1]))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_names_of_libraries(path):
    """No private import, attribute or override of a library in this file."""
    assert violations(path) == []


def test_the_check_finds_them():
    """The check itself catches each kind of use it looks for, and nothing else."""
    sample = ROOT / "ivr" / "_sample_for_test.py"
    source = (
        "import logging\n"
        "from flask import Request\n"
        "from twilio.twiml import TwiML, lower_camel\n"
        "from werkzeug.wsgi import _plain_int\n"
        "logging._srcfile = None\n"
        "logging.logProcesses = False\n"
        "class R(Request):\n"
        "    def _load_form_data(self):\n"
        "        pass\n"
        "    def _our_own_helper(self):\n"
        "        pass\n"
    )
    found = violations(sample, source)
    assert [f.split(" ", 1)[1] for f in found] == [
        "imports twilio.twiml.TwiML", "imports twilio.twiml.lower_camel",
        "imports werkzeug.wsgi._plain_int", "uses logging._srcfile", "sets logging.logProcesses",
        "overrides R._load_form_data"], found
