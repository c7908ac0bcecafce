"""Failed guesses (case numbers that are no case, wrong PINs): every statement about `guesses`."""

from __future__ import annotations

from datetime import datetime

from ivr.store.tx import Q, Tx

_RECORD = Q("INSERT INTO guesses (kind, call_sid, caller, analyst_id, created_at)"
            " VALUES (:kind, :sid, :caller, :analyst_id, :now)")
_IN_CALL = Q("SELECT COUNT(*) FROM guesses WHERE call_sid = :sid AND kind = :kind")
_BY_CALLER = Q("SELECT COUNT(*) FROM guesses WHERE kind = :kind AND caller = :caller"
               " AND created_at >= :since")
_BY_WITHHELD = Q("SELECT COUNT(*) FROM guesses WHERE kind = :kind AND caller IS NULL"
                 " AND created_at >= :since")
# Both counts a lookup needs, in one round trip (withheld callers share one count).
_CALL_AND_CALLER = Q(
    "SELECT (SELECT COUNT(*) FROM guesses WHERE call_sid = :sid AND kind = :kind) AS in_call,"
    " (SELECT COUNT(*) FROM guesses WHERE kind = :kind AND created_at >= :since"
    " AND (caller = :caller OR (caller IS NULL AND :withheld))) AS by_caller")
_FOR_ANALYST = Q("SELECT COUNT(*) FROM guesses WHERE kind = :kind AND analyst_id = :analyst_id"
                 " AND created_at >= :since")


def record(tx: Tx, kind: str, call_sid: str, caller: str | None, analyst_id: int | None,
           now: datetime) -> None:
    """Store one failed guess."""
    tx.run(_RECORD, kind=kind, sid=call_sid, caller=caller, analyst_id=analyst_id, now=now)


def in_call(tx: Tx, kind: str, call_sid: str) -> int:
    """Failed guesses of a kind in one call."""
    return tx.value(_IN_CALL, kind=kind, sid=call_sid) or 0


def by_caller_since(tx: Tx, kind: str, caller: str | None, since: datetime) -> int:
    """Failed guesses of a kind from one caller ID (None: every withheld one) since a time."""
    if caller is None:
        return tx.value(_BY_WITHHELD, kind=kind, since=since) or 0
    return tx.value(_BY_CALLER, kind=kind, caller=caller, since=since) or 0


def in_call_and_by_caller(tx: Tx, kind: str, call_sid: str, caller: str | None,
                          since: datetime) -> tuple[int, int]:
    """Failed guesses of a kind in one call, and from its caller ID since a time."""
    row = tx.row(_CALL_AND_CALLER, kind=kind, sid=call_sid, caller=caller, since=since,
                 withheld=caller is None)
    return row.in_call or 0, row.by_caller or 0


def for_analyst_since(tx: Tx, kind: str, analyst_id: int, since: datetime) -> int:
    """Failed guesses of a kind at one analyst's PIN since a time."""
    return tx.value(_FOR_ANALYST, kind=kind, analyst_id=analyst_id, since=since) or 0
