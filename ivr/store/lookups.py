"""The public page's failed lookups: every statement about `lookup_failures`."""

from __future__ import annotations

from datetime import datetime

from ivr.store.tx import Q, Tx

_NEW_FAILURE = Q(
    "INSERT INTO lookup_failures (case_number, client_address, created_at)"
    " VALUES (:case_number, :address, :now)")
_FAILURES_OF_CASE = Q(
    "SELECT COUNT(*) FROM lookup_failures WHERE case_number = :case_number"
    " AND created_at >= :since")
_FAILURES_OF_ADDRESS = Q(
    "SELECT COUNT(*) FROM lookup_failures WHERE client_address = :address"
    " AND created_at >= :since")
_FORGET_FAILURES = Q("DELETE FROM lookup_failures WHERE created_at < :before")


def record_failure(tx: Tx, case_number: str, address: str | None, now: datetime) -> None:
    """Count one lookup that matched no case."""
    tx.run(_NEW_FAILURE, case_number=case_number, address=address, now=now)


def failures_of_case(tx: Tx, case_number: str, since: datetime) -> int:
    """Failed lookups of a case number since a moment."""
    return tx.value(_FAILURES_OF_CASE, case_number=case_number, since=since) or 0


def failures_of_address(tx: Tx, address: str, since: datetime) -> int:
    """Failed lookups from a client address since a moment."""
    return tx.value(_FAILURES_OF_ADDRESS, address=address, since=since) or 0


def forget_failures(tx: Tx, before: datetime) -> int:
    """Drop failures older than a moment (they no longer count)."""
    return tx.run(_FORGET_FAILURES, before=before)
