"""Notices: added, listed and ended by the coordinator (CLI now, console later), audited, and
said to every caller before the menu until they end."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.domain.clock import utcnow
from ivr.services import notices
from ivr.store.models import AuditEntry, Notice
from tests.cli_support import ok, refused
from tests.conftest import call_params, spoken, twiml

TEXT = "Tenemos una falla general de CANTV en Chacao; ya la estamos atendiendo."


def greeting(twilio) -> str:
    """What a new caller hears inside the menu's Gather (the whole greeting)."""
    root = twiml(twilio.post("/voice/incoming", call_params(twilio.new_sid())))
    gather = root.find("Gather")
    assert gather is not None and gather.get("action").startswith("/voice/menu?")
    return spoken(gather)


def test_notice_is_said_before_the_menu_until_it_ends(runner, twilio, clock, session):
    """Added from the CLI with an end time: said after the greeting, inside the menu's Gather
    (callers can key through it), and no longer once its end time has passed."""
    clock("2026-12-07 09:00")
    [line] = ok(runner, "notices", "add", TEXT, "--until", "2026-12-07 15:00")
    assert line.split()[1] == "on" and TEXT in line
    words = greeting(twilio)
    assert words.index("Gracias por llamar") < words.index(TEXT) < words.index("marque 1")
    clock("2026-12-07 14:59")
    assert TEXT in greeting(twilio)
    clock("2026-12-07 15:00")
    assert TEXT not in greeting(twilio)
    [listed] = ok(runner, "notices", "list")
    assert listed.split()[1] == "over"


def test_a_notice_from_later_and_one_ended_early(runner, twilio, clock, session):
    """--from delays it; `notices end ID` stops it at once; both changes are audited."""
    clock("2026-12-07 09:00")
    ok(runner, "notices", "add", TEXT, "--from", "2026-12-07 10:00", "--until",
       "2026-12-08 10:00")
    assert TEXT not in greeting(twilio)
    clock("2026-12-07 10:30")
    assert TEXT in greeting(twilio)
    notice = session.scalars(select(Notice)).one()
    [ended] = ok(runner, "notices", "end", str(notice.id))
    assert ended.split()[1] == "ended"
    assert TEXT not in greeting(twilio)
    session.expire_all()
    fields = [(a.field, a.new_value) for a in session.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "notices").order_by(AuditEntry.id))]
    assert fields == [("text", TEXT), ("starts_at", "2026-12-07 10:00"),
                      ("ends_at", "2026-12-08 10:00"), ("ended_at", "2026-12-07 10:30")]
    assert "already" in refused(runner, "notices", "end", str(notice.id))


def test_closed_notice_comes_after_the_notices(runner, twilio, clock):
    """Closed: greeting, the notice, why we are closed, then the keys — one Gather."""
    clock("2026-12-07 20:00")
    ok(runner, "notices", "add", TEXT, "--until", "2026-12-08 12:00")
    words = greeting(twilio)
    assert words.index(TEXT) < words.index("fuera de nuestro horario") < words.index("marque 1")


@pytest.mark.parametrize(("args", "error"), [
    (["add", "   ", "--until", "2026-12-08 10:00"], "no words"),
    (["add", "x" * 301, "--until", "2026-12-08 10:00"], "keep it under 300"),
    (["add", TEXT, "--until", "mañana"], "is not a time like"),
    (["add", TEXT, "--until", "2026-12-07 08:00"], "has passed already"),
    (["add", TEXT, "--from", "2026-12-07 12:00", "--until", "2026-12-07 11:00"],
     "is not after the start"),
    (["add", TEXT, "--until", "2027-03-01 10:00"], "at most 31 days"),
    (["end", "abc"], "is not a notice id"),
    (["end", "999"], "no notice 999"),
])
def test_bad_input_is_refused_and_nothing_is_stored(runner, clock, session, args, error):
    """What the operator typed wrong is said on one error line, exit 1; nothing stored."""
    clock("2026-12-07 09:00")
    assert error in refused(runner, "notices", *args)
    assert session.scalars(select(Notice)).all() == []


def test_the_service_for_the_console(app, db, clock):
    """add, end, list_notices and current(now): what a console screen needs."""
    clock("2026-12-07 09:00")
    first = notices.add(db, "Primero.", "2026-12-07 12:00", utcnow(), user_id=None)
    second = notices.add(db, "Segundo.", "2026-12-07 18:00", utcnow(),
                         starts="2026-12-07 08:00")
    assert notices.current(db, utcnow()) == ["Segundo.", "Primero."]
    notices.end(db, first.id, utcnow())
    assert notices.current(db, utcnow()) == ["Segundo."]
    assert [n.id for n in notices.list_notices(db)] == [first.id, second.id]
    with pytest.raises(notices.NoticeError):
        notices.end(db, first.id, utcnow())
