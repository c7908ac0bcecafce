"""What would fail a caller, found before a caller finds it: the database, the people to ring,
the fallback phones, the signatures behind a proxy, the spool, demo data left in production.

`database_problem` is what every operator command checks first (so that a command on a
database never initialised, not reachable, or missing says so in one line instead of a
traceback or a new empty file); `check_line` is `flask --app wsgi check`, whose failures the
application also logs when it starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import exc
from sqlalchemy.engine import Engine

from ivr.config import Settings
from ivr.domain.statuses import AnalystStatus
from ivr.services.demo import demo_rows
from ivr.store import analysts
from ivr.store import directory as store
from ivr.store.engine import (
    connection_problem,
    database_place,
    database_unavailable,
    schema_missing,
    sqlite_file,
)
from ivr.store.schema import head_revision, revision
from ivr.store.tx import Tx, transaction

INIT_DB = "flask --app wsgi init-db"


class DatabaseNotReady(RuntimeError):
    """The database cannot serve commands; the message says why and what to do."""


@dataclass(frozen=True)
class Finding:
    """One check: its name, whether it passed, and what an operator should read."""

    check: str
    ok: bool
    text: str


def database_problem(engine: Engine, url: str) -> str | None:
    """Why the database cannot serve commands (missing, unreachable, never initialised, older
    than the code), or None when it can. Never creates a SQLite file."""
    path = sqlite_file(url)
    if path is not None and not os.path.exists(path):
        return (f"no database at {path}: run `{INIT_DB}` to create it, or point "
                "DATABASE_URL (or IVR_ENV_FILE) at the service's database")
    try:
        with transaction(engine) as tx:
            at = revision(tx)
    except exc.DBAPIError as error:
        return describe_database_error(error, url)
    except exc.SQLAlchemyError as error:  # a pool timeout: no connection to be had
        return f"cannot reach the {database_place(url)}: {type(error).__name__}"
    head = head_revision()
    if at is None:
        return f"the database was never initialised: run `{INIT_DB}`"
    if at != head:
        return (f"the database is at revision {at} and this code needs {head}: run "
                f"`{INIT_DB}` to upgrade it (take a backup first)")
    return None


def describe_database_error(error: BaseException, url: str) -> str:
    """A database error in one line an operator can act on (never the password)."""
    if schema_missing(error):
        return (f"the database has no tables yet, or older ones than this code expects: run "
                f"`{INIT_DB}`")
    if database_unavailable(error):
        return f"cannot reach the {database_place(url)}: {connection_problem(error)}"
    return f"database error ({type(error).__name__}): {connection_problem(error)}"


def require_database(engine: Engine, url: str) -> None:
    """Raise DatabaseNotReady unless the database can serve commands."""
    problem = database_problem(engine, url)
    if problem is not None:
        raise DatabaseNotReady(problem)


def _writable_directory(path: str) -> str | None:
    """Why the spool cannot be written at `path` (None when it can): the directory itself, or
    the nearest existing parent that would have to hold it."""
    probe = os.path.abspath(path)
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe):
        return f"{probe} is not a directory"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{probe} is not writable by this user (uid {os.getuid()})"
    return None


def _configuration(settings: Settings) -> list[Finding]:
    found = []
    if settings.env == "production" and not settings.public_base_url \
            and not settings.proxy_hops:
        found.append(Finding("signatures", False,
                             "PUBLIC_BASE_URL and PROXY_HOPS are unset with IVR_ENV=production: "
                             "behind a proxy the app rebuilds http://127.0.0.1:8000/… and every "
                             "webhook fails its signature check (403); set PUBLIC_BASE_URL to "
                             "the URL Twilio calls"))
    else:
        where = settings.public_base_url or (f"{settings.proxy_hops} proxy hop(s) trusted"
                                             if settings.proxy_hops else "the request's URL")
        found.append(Finding("signatures", True, f"checked against {where}"))
    published = set(settings.published_numbers)
    fallbacks = [n for n in settings.fallback_numbers if n not in published]
    if not fallbacks:
        found.append(Finding("fallback", False,
                             "no FALLBACK_NUMBERS other than the line's own numbers: when the "
                             "application fails, callers reach nobody; set FALLBACK_NUMBERS"))
    else:
        found.append(Finding("fallback", True, f"{len(fallbacks)} phone(s): "
                                               f"{', '.join(fallbacks)}"))
    spool = settings.spool_dir or ""
    problem = _writable_directory(spool) if spool else "SPOOL_DIR is empty"
    if problem:
        found.append(Finding("spool", False,
                             f"spool directory {spool}: {problem}; while the database is down "
                             "what callers say would be lost (set SPOOL_DIR, or chown it to "
                             "the service's user)"))
    else:
        found.append(Finding("spool", True, f"{spool} writable"))
    return found


def _directory(tx: Tx, settings: Settings) -> list[Finding]:
    found = []
    phones = store.active_emergency_contacts(tx)
    if not phones:
        found.append(Finding("emergency", False,
                             "no active emergency phone: out of hours an emergency reaches "
                             "nobody (`emergency add NAME PHONE`)"))
    else:
        found.append(Finding("emergency", True, f"{len(phones)} active: "
                                                f"{', '.join(p.name for p in phones)}"))
    active = analysts.active_count(tx)
    available = analysts.available_count(tx, AnalystStatus.AVAILABLE)
    if not active:
        found.append(Finding("analysts", False,
                             "no analyst: in hours every caller goes to the callback queue "
                             "(`analysts add NAME PHONE`)"))
    else:
        found.append(Finding("analysts", True, f"{active} active, {available} available now"))
    if settings.env == "production":
        demo = demo_rows(tx)
        if demo:
            found.append(Finding("demo data", False,
                                 f"demo data in production: {', '.join(demo)}; remove them "
                                 "(`analysts remove`/`deactivate`, `contacts remove`, "
                                 "`companies remove`)"))
    return found


def check_line(engine: Engine, settings: Settings) -> list[Finding]:
    """Every check, in order: configuration, then the database and what it holds."""
    found = _configuration(settings)
    problem = database_problem(engine, settings.database_url)
    place = database_place(settings.database_url)
    if problem is not None:
        found.append(Finding("database", False, problem))
        return found
    found.append(Finding("database", True, f"{place}, revision {head_revision()}"))
    try:
        with transaction(engine) as tx:
            found.extend(_directory(tx, settings))
    except exc.SQLAlchemyError as error:
        found.append(Finding("database", False,
                             describe_database_error(error, settings.database_url)))
    return found


def failures(findings: list[Finding]) -> list[Finding]:
    """The checks that did not pass."""
    return [f for f in findings if not f.ok]
