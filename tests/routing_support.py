"""Shared helpers for the routing, hunting and callback tests (plain functions, no fixtures)."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta

from sqlalchemy import select

from ivr.domain.business_hours import CARACAS, to_naive_utc
from ivr.domain.clock import utcnow
from ivr.services.directory import add_analyst, add_company, set_analyst_status
from ivr.store.models import Analyst
from ivr.store.tx import Q, Rec, Tx

PIN = "432187"


def analyst_phone(i: int) -> str:
    """The E.164 phone of test analyst i (Venezuelan mobiles, 0412 555 01xx)."""
    return f"+58412555{i:04d}"


def add_analysts(tx: Tx, count: int, *, pin: str | None = None, status: str = "available",
                 start: int = 1) -> list[int]:
    """Add `count` analysts with a status, idle longest first in id order; their ids. Commits."""
    ids = []
    base = utcnow()
    for i in range(start, start + count):
        analyst = add_analyst(tx, f"Analista {i}", analyst_phone(i), pin, base)
        set_analyst_status(tx, analyst, status, base)
        tx.update("analysts", analyst.id,
                  idle_since=base.replace(microsecond=0) - timedelta(minutes=start + count - i))
        ids.append(analyst.id)
    tx.commit()
    return ids


def configure(app, **changes) -> None:
    """Change the application's settings for one test (hunt caps, timeouts…)."""
    state = app.extensions["ivr"]
    state.settings = dataclasses.replace(state.settings, **changes)
    state.speaker = None


def caracas_utc(text: str) -> datetime:
    """A Caracas wall-clock time ('2026-12-04 17:00') as the naive UTC the database stores."""
    return to_naive_utc(datetime.fromisoformat(text).replace(tzinfo=CARACAS))


# A case as the callback queue sees it, written by the test itself (no call flow opens it).
_SEEDED_CASE = Q(
    "INSERT INTO cases (number, status, severity, company_id, company_name, caller_number,"
    " origin_call_sid, origin_seq, out_of_hours, urgent, callback_state, due_at, created_at,"
    " updated_at) VALUES (:number, 'received', :severity, :company_id, :company_name,"
    " '+584125550999', :sid, 1, FALSE, :urgent, :state, :due_at, :created, :created)"
    " RETURNING *")


def make_case(tx: Tx, number: str, *, created: str, severity: int | None = None,
              company: str | None = None, contract_hours: int | None = None,
              urgent: bool = False, due: str | None = None, state: str = "pending") -> Rec:
    """Insert a case directly (no call flow) with the fields the callback queue reads."""
    company_row = None
    if company is not None:
        company_row = add_company(tx, company, contract_hours, caracas_utc(created))
    return tx.row(_SEEDED_CASE, number=number, severity=severity,
                  company_id=company_row.id if company_row else None,
                  company_name=company, sid=f"CAseed{number}", urgent=urgent, state=state,
                  due_at=caracas_utc(due) if due else None, created=caracas_utc(created))


def analyst_rows(session) -> dict[int, Analyst]:
    """Every analyst, freshly read, by id."""
    session.expire_all()
    return {a.id: a for a in session.scalars(select(Analyst))}


def digits_only(text: str) -> str:
    """The digits of a text, in order (to look for phone numbers however they are spoken)."""
    return re.sub(r"\D", "", text)
