"""Console users, their sessions and failed logins: every statement about `users`,
`console_sessions` and `login_failures`."""

from __future__ import annotations

from datetime import datetime

from ivr.store.tx import Q, Rec, Tx

_NEW_USER = Q(
    "INSERT INTO users (email, name, role, analyst_id, password_hash, created_at)"
    " VALUES (:email, :name, :role, :analyst_id, :password_hash, :now)"
    " ON CONFLICT DO NOTHING RETURNING *")
_USER = Q("SELECT * FROM users WHERE id = :id")
_USER_BY_EMAIL = Q("SELECT * FROM users WHERE email = :email")
_USERS = Q("SELECT * FROM users ORDER BY id")
_DISABLE = Q("UPDATE users SET disabled_at = :now WHERE id = :id AND disabled_at IS NULL")
_SET_PASSWORD = Q("UPDATE users SET password_hash = :password_hash WHERE id = :id")

_NEW_SESSION = Q(
    "INSERT INTO console_sessions (token_hash, user_id, created_at, last_seen, client_address)"
    " VALUES (:token_hash, :user_id, :now, :now, :address) RETURNING *")
# The session with its user, in one read per request.
_SESSION = Q(
    "SELECT s.id AS session_id, s.created_at, s.last_seen,"
    " u.id, u.email, u.name, u.role, u.analyst_id, u.disabled_at"
    " FROM console_sessions s JOIN users u ON u.id = s.user_id"
    " WHERE s.token_hash = :token_hash")
_TOUCH_SESSION = Q("UPDATE console_sessions SET last_seen = :now WHERE id = :id")
_DELETE_SESSION = Q("DELETE FROM console_sessions WHERE token_hash = :token_hash")
_DELETE_SESSION_BY_ID = Q("DELETE FROM console_sessions WHERE id = :id")
_DELETE_SESSIONS_OF_USER = Q("DELETE FROM console_sessions WHERE user_id = :user_id")
_DELETE_IDLE_SESSIONS = Q("DELETE FROM console_sessions WHERE last_seen < :before")

_NEW_FAILURE = Q(
    "INSERT INTO login_failures (email, client_address, created_at)"
    " VALUES (:email, :address, :now)")
_FAILURES_OF_EMAIL = Q(
    "SELECT COUNT(*) FROM login_failures WHERE email = :email AND created_at >= :since")
_FAILURES_OF_ADDRESS = Q(
    "SELECT COUNT(*) FROM login_failures WHERE client_address = :address"
    " AND created_at >= :since")
_FORGET_FAILURES = Q("DELETE FROM login_failures WHERE created_at < :before")


def insert_user(tx: Tx, *, email: str, name: str, role: str, analyst_id: int | None,
                password_hash: str, now: datetime) -> Rec | None:
    """A new user; None when the e-mail is taken."""
    return tx.row(_NEW_USER, email=email, name=name, role=role, analyst_id=analyst_id,
                  password_hash=password_hash, now=now)


def user(tx: Tx, user_id: int) -> Rec | None:
    """A user by id."""
    return tx.row(_USER, id=user_id)


def user_by_email(tx: Tx, email: str) -> Rec | None:
    """A user by (lower-case) e-mail."""
    return tx.row(_USER_BY_EMAIL, email=email)


def all_users(tx: Tx) -> list[Rec]:
    """Every user, by id."""
    return tx.rows(_USERS)


def disable_user(tx: Tx, user_id: int, now: datetime) -> bool:
    """Disable a user; False if already disabled (or no such user)."""
    return tx.run(_DISABLE, id=user_id, now=now) == 1


def set_password_hash(tx: Tx, user_id: int, password_hash: str) -> None:
    """Store a user's new password hash (a rehash with newer parameters)."""
    tx.run(_SET_PASSWORD, id=user_id, password_hash=password_hash)


def insert_session(tx: Tx, *, token_hash: str, user_id: int, address: str | None,
                   now: datetime) -> Rec:
    """A new session row."""
    return tx.row(_NEW_SESSION, token_hash=token_hash, user_id=user_id, address=address, now=now)


def session_with_user(tx: Tx, token_hash: str) -> Rec | None:
    """The session of a token hash joined with its user (session_id, its created_at and
    last_seen, the user's columns but created_at), or None."""
    return tx.row(_SESSION, token_hash=token_hash)


def touch_session(tx: Tx, session_id: int, now: datetime) -> None:
    """The session was used now."""
    tx.run(_TOUCH_SESSION, id=session_id, now=now)


def delete_session(tx: Tx, token_hash: str) -> bool:
    """Forget a session by its token hash; False if there was none."""
    return tx.run(_DELETE_SESSION, token_hash=token_hash) == 1


def delete_session_by_id(tx: Tx, session_id: int) -> None:
    """Forget a session by id."""
    tx.run(_DELETE_SESSION_BY_ID, id=session_id)


def delete_sessions_of_user(tx: Tx, user_id: int) -> int:
    """Forget every session of a user; how many there were."""
    return tx.run(_DELETE_SESSIONS_OF_USER, user_id=user_id)


def delete_idle_sessions(tx: Tx, before: datetime) -> int:
    """Forget sessions last seen before a moment; how many."""
    return tx.run(_DELETE_IDLE_SESSIONS, before=before)


def record_login_failure(tx: Tx, email: str, address: str | None, now: datetime) -> None:
    """Count one failed login."""
    tx.run(_NEW_FAILURE, email=email, address=address, now=now)


def login_failures_of_email(tx: Tx, email: str, since: datetime) -> int:
    """Failed logins for an e-mail since a moment."""
    return tx.value(_FAILURES_OF_EMAIL, email=email, since=since) or 0


def login_failures_of_address(tx: Tx, address: str, since: datetime) -> int:
    """Failed logins from a client address since a moment."""
    return tx.value(_FAILURES_OF_ADDRESS, address=address, since=since) or 0


def forget_login_failures(tx: Tx, before: datetime) -> int:
    """Drop failures older than a moment (they no longer count)."""
    return tx.run(_FORGET_FAILURES, before=before)


def update_user(tx: Tx, user_id: int, **values) -> None:
    """Write some columns of a user (role, name, disabled_at, analyst_id)."""
    tx.update("users", user_id, **values)
