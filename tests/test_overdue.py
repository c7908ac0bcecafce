"""Overdue warnings (both databases): a callback due within OVERDUE_WARN_MINUTES that nobody
works is texted to the available analysts (or the case's analyst) and marked in the queue;
overdue, the coordinator is told; each once."""

from __future__ import annotations

import json

from sqlalchemy import select

from ivr.domain.clock import utcnow
from ivr.services.directory import add_analyst, set_analyst_status
from ivr.services.overdue import OverdueConfig, sweep
from ivr.store.models import Case, OutboxMessage
from tests.routing_support import make_case

CONFIG = OverdueConfig(warn_minutes=30, coordinator_email="coordinacion@ccoapoyo.com")


def rows(session) -> list[tuple[str, dict]]:
    """(kind, payload) of every outbox row."""
    session.expire_all()
    return [(r.kind, json.loads(r.payload))
            for r in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def engine(app):
    """The application's engine."""
    return app.extensions["ivr"].engine


def test_due_soon_texts_the_available_analysts_then_overdue_tells_the_coordinator(
        app, db, session, clock):
    """09:00 case due 11:00: nothing at 10:29; at 10:31 an SMS to each available analyst (not
    the unavailable one), once; at 11:01 the coordinator's e-mail, once."""
    clock("2026-12-07 09:00")
    ana = add_analyst(db, "Ana", "04125550701", None, utcnow())
    set_analyst_status(db, ana, "available", utcnow())
    add_analyst(db, "Beto", "04125550702", None, utcnow())  # unavailable
    make_case(db, "3052530", created="2026-12-07 09:00", due="2026-12-07 11:00",
              company="Farmacia El Ávila, C.A.")
    db.commit()
    clock("2026-12-07 10:29")
    assert sweep(engine(app), utcnow(), CONFIG) == 0
    clock("2026-12-07 10:31")
    assert sweep(engine(app), utcnow(), CONFIG) == 1
    assert rows(session) == [("sms", {"to": "+584125550701", "body": (
        "CCO: la devolucion de llamada del caso 305 2530 (Farmacia El Avila, C.A.) vence a las "
        "11:00 y nadie la atiende. Ver en la consola.")})]
    assert session.scalars(select(Case)).one().warned_at is not None  # the queue's mark
    clock("2026-12-07 10:45")
    assert sweep(engine(app), utcnow(), CONFIG) == 0
    clock("2026-12-07 11:01")
    assert sweep(engine(app), utcnow(), CONFIG) == 1
    kind, mail = rows(session)[-1]
    assert kind == "email" and mail["to"] == "coordinacion@ccoapoyo.com"
    assert mail["subject"] == "Devolución de llamada vencida: caso 305 2530"
    clock("2026-12-07 12:00")
    assert sweep(engine(app), utcnow(), CONFIG) == 0 and len(rows(session)) == 2


def test_a_case_in_progress_is_left_alone_and_an_assigned_one_goes_to_its_analyst(
        app, db, session, clock):
    """Someone works it (in progress): no warning. Assigned but not started: its analyst
    only."""
    clock("2026-12-07 09:00")
    ana = add_analyst(db, "Ana", "04125550701", None, utcnow())
    set_analyst_status(db, ana, "available", utcnow())
    beto = add_analyst(db, "Beto", "04125550702", None, utcnow())
    worked = make_case(db, "3052530", created="2026-12-07 09:00", due="2026-12-07 11:00")
    db.update("cases", worked.id, status="in_progress")
    mine = make_case(db, "1111118", created="2026-12-07 09:00", due="2026-12-07 11:00")
    db.update("cases", mine.id, assigned_analyst_id=beto.id)
    db.commit()
    clock("2026-12-07 10:40")
    assert sweep(engine(app), utcnow(), CONFIG) == 1
    assert [payload["to"] for _kind, payload in rows(session)] == ["+584125550702"]
