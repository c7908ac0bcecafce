"""An analyst freed while callers wait on hold: the outbox row that has the worker make an
offer round at that moment (ivr/services/hold.py makes the offers)."""

from __future__ import annotations

from datetime import datetime

from ivr.services import outbox
from ivr.store import holds
from ivr.store.tx import Tx

OFFER_KIND = "hold_offer"


def analyst_freed(tx: Tx, now: datetime, free_at: datetime | None = None) -> None:
    """An analyst is free now (or will be, at `free_at`, after their wrap-up): with callers on
    hold, an offer round is written to the outbox for that moment, in this transaction."""
    if holds.anyone_waiting(tx):
        due = free_at or now
        outbox.enqueue(tx, OFFER_KIND, {"free_at": due.isoformat()}, now, due)
