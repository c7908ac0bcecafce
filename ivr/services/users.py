"""Console users and their sessions (OWASP ASVS level 2, chapters 2 and 3).

- Passwords hashed with argon2id (argon2-cffi), checked against ivr/domain/passwords.py.
- Sessions are rows: the browser holds a random token (32 bytes, URL-safe), the database only
  its SHA-256, so a copy of the table opens no session. A session ends at logout (its row is
  deleted), after IDLE_TIMEOUT without a request, or after MAX_SESSION_AGE whatever happens.
- Logins are throttled by counting failures in the database (so every server process sees
  them): after FAILURES_PER_ACCOUNT failures for one e-mail, or FAILURES_PER_ADDRESS from one
  client address, within THROTTLE_WINDOW, logins are refused without checking the password,
  until the window has passed. An unknown e-mail and a wrong password get the same answer and
  cost the same argon2 check.

Flask-free: the console and the command line call these with a `Tx` and `now`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from ivr.domain.passwords import password_problem
from ivr.domain.statuses import USER_ROLES, UserRole
from ivr.services import audit_trail
from ivr.services.directory import DirectoryError, find_analyst
from ivr.store import users
from ivr.store.tx import Rec, Tx

TOKEN_BYTES = 32
IDLE_TIMEOUT = timedelta(minutes=30)
MAX_SESSION_AGE = timedelta(hours=12)
TOUCH_EVERY = timedelta(seconds=30)  # last_seen is written at most this often
THROTTLE_WINDOW = timedelta(minutes=15)
FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 20
MAX_EMAIL = 200
MAX_NAME = 120


class UserError(DirectoryError):
    """Operator input about a user that cannot be stored."""


def make_hasher(cheapest: bool = False) -> PasswordHasher:
    """argon2id with RFC 9106's low-memory profile; argon2's cheapest one for tests."""
    return PasswordHasher.from_parameters(profiles.CHEAPEST if cheapest
                                          else profiles.RFC_9106_LOW_MEMORY)


def normalise_email(email: str) -> str:
    """An e-mail as stored and looked up: trimmed, lower case."""
    return (email or "").strip().lower()


def check_new_password(password: str, email: str = "") -> None:
    """Refuse a password the policy does not accept (UserError with the reason)."""
    problem = password_problem(password, email)
    if problem:
        raise UserError(problem)


def add_user(tx: Tx, hasher: PasswordHasher, *, name: str, email: str, role: str,
             password: str, analyst_ref: str | None, now: datetime,
             by: int | None = None) -> Rec:
    """Add a console user; an analyst user is linked to an analyst row (id or phone)."""
    email = normalise_email(email)
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise UserError(f"the name must have 1 to {MAX_NAME} characters")
    if ("@" not in email or email.startswith("@") or email.endswith("@")
            or any(c.isspace() for c in email) or len(email) > MAX_EMAIL):
        raise UserError(f"{email!r} is not an e-mail address")
    if role not in USER_ROLES:
        raise UserError(f"role must be one of {', '.join(USER_ROLES)}, not {role!r}")
    analyst_id = None
    if analyst_ref:
        analyst_id = find_analyst(tx, analyst_ref).id
    elif role == UserRole.ANALYST:
        raise UserError("an analyst user needs --analyst (the analyst's id or phone)")
    check_new_password(password, email)
    row = users.insert_user(tx, email=email, name=name, role=role, analyst_id=analyst_id,
                            password_hash=hasher.hash(password), now=now)
    if row is None:
        raise UserError(f"there is a user with e-mail {email} already")
    audit_trail.record_created(tx, by, "users", row.id, f"{name} <{email}> ({role})", now)
    return row


def all_users(tx: Tx) -> list[Rec]:
    """Every user, by id."""
    return users.all_users(tx)


def find_user(tx: Tx, ref: str) -> Rec:
    """A user by id or e-mail; UserError when there is none."""
    ref = (ref or "").strip()
    found = users.user(tx, int(ref)) if ref.isdigit() else users.user_by_email(
        tx, normalise_email(ref))
    if found is None:
        raise UserError(f"no user {ref!r}")
    return found


def disable_user(tx: Tx, user: Rec, now: datetime, by: int | None = None) -> bool:
    """Disable a user and end their sessions; False if they were disabled already."""
    if by is not None and by == user.id:
        raise UserError("you cannot disable your own user")
    users.delete_sessions_of_user(tx, user.id)
    done = users.disable_user(tx, user.id, now)
    if done:
        audit_trail.record(tx, by, "users", user.id, "disabled_at", None, now, now)
    return done


def enable_user(tx: Tx, user: Rec, now: datetime, by: int | None = None) -> bool:
    """Let a disabled user log in again; False if they were not disabled."""
    if user.disabled_at is None:
        return False
    users.update_user(tx, user.id, disabled_at=None)
    audit_trail.record(tx, by, "users", user.id, "disabled_at", user.disabled_at, None, now)
    return True


def reset_password(tx: Tx, hasher: PasswordHasher, user: Rec, password: str, now: datetime,
                   by: int | None = None) -> None:
    """Give a user a new password (the policy checked); their sessions end."""
    check_new_password(password, user.email)
    users.set_password_hash(tx, user.id, hasher.hash(password))
    users.delete_sessions_of_user(tx, user.id)
    audit_trail.record(tx, by, "users", user.id, "password", audit_trail.HIDDEN,
                       audit_trail.HIDDEN, now)


def set_role(tx: Tx, user: Rec, role: str, analyst_ref: str | None, now: datetime,
             by: int | None = None) -> Rec:
    """Change a user's role (an analyst user stays linked to an analyst: the one given, or
    theirs); the user as written. Their sessions end, so the new role applies at once."""
    if role not in USER_ROLES:
        raise UserError(f"role must be one of {', '.join(USER_ROLES)}, not {role!r}")
    if by is not None and by == user.id and role != user.role:
        raise UserError("you cannot change your own role")
    analyst_id = find_analyst(tx, analyst_ref).id if analyst_ref else user.analyst_id
    if role == UserRole.ANALYST and analyst_id is None:
        raise UserError("an analyst user needs --analyst (the analyst's id or phone)")
    changes = {"role": role, "analyst_id": analyst_id}
    after = user.replace(**changes)
    if after.role == user.role and after.analyst_id == user.analyst_id:
        return user
    users.update_user(tx, user.id, **changes)
    users.delete_sessions_of_user(tx, user.id)
    audit_trail.record_changes(tx, by, "users", user, after, ("role", "analyst_id"), now)
    return after


@dataclass(frozen=True)
class Login:
    """What a login attempt gave: a user (and their session's token), or why not."""

    user: Rec | None = None
    token: str | None = None
    throttled: bool = False


_DUMMY_HASHES: dict[tuple, str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash to check unknown e-mails against, so they cost what a wrong password costs."""
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[key]


def log_in(tx: Tx, hasher: PasswordHasher, email: str, password: str, address: str | None,
           now: datetime) -> Login:
    """Check an e-mail and password; a new session when they match. Throttled logins are
    refused before any check; failures are counted in `tx` (commit it whatever the result)."""
    email = normalise_email(email)[:MAX_EMAIL]
    since = now - THROTTLE_WINDOW
    if users.login_failures_of_email(tx, email, since) >= FAILURES_PER_ACCOUNT or (
            address and users.login_failures_of_address(tx, address, since)
            >= FAILURES_PER_ADDRESS):
        return Login(throttled=True)
    user = users.user_by_email(tx, email) if email else None
    stored = user.password_hash if user is not None else _dummy_hash(hasher)
    try:
        matched = hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        matched = False
    if not matched or user is None or user.disabled_at is not None:
        users.record_login_failure(tx, email, address, now)
        return Login()
    if hasher.check_needs_rehash(user.password_hash):
        users.set_password_hash(tx, user.id, hasher.hash(password))
    users.forget_login_failures(tx, since)
    users.delete_idle_sessions(tx, now - IDLE_TIMEOUT)
    return Login(user=user, token=start_session(tx, user, address, now))


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start_session(tx: Tx, user: Rec, address: str | None, now: datetime) -> str:
    """A new session for a user; its token (for the cookie, never stored)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    users.insert_session(tx, token_hash=token_hash(token), user_id=user.id,
                         address=(address or "")[:45] or None, now=now)
    return token


def session_user(tx: Tx, token: str | None, now: datetime) -> Rec | None:
    """The user of a live session (with session_id), its last_seen moved to now; None for no
    token, an unknown one, or a session that timed out or whose user is disabled (then the
    row is deleted)."""
    if not token or len(token) > 200:
        return None
    found = users.session_with_user(tx, token_hash(token))
    if found is None:
        return None
    if (found.disabled_at is not None or now - found.last_seen > IDLE_TIMEOUT
            or now - found.created_at > MAX_SESSION_AGE):
        users.delete_session_by_id(tx, found.session_id)
        return None
    if now - found.last_seen >= TOUCH_EVERY:
        users.touch_session(tx, found.session_id, now)
    return found


def end_session(tx: Tx, token: str | None) -> None:
    """Log out: the session's row is deleted (its cookie opens nothing afterwards)."""
    if token:
        users.delete_session(tx, token_hash(token))
