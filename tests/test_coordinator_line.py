"""What the coordinator's screens change on the phone line: a deactivated analyst is never
rung and their menu is closed (signed calls), an emergency phone rings for its own time, two
coordinators reordering the emergency phones at once, and the hours preview saying exactly
what a caller hears at the same moment (property test over moments, closures, holidays)."""

from __future__ import annotations

import html
import os
import re
import threading
from datetime import date, datetime, time, timedelta

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.domain.clock import utcnow
from ivr.domain.statuses import UserRole
from ivr.services import directory
from ivr.services.audit_trail import trail
from ivr.services.users import all_users
from ivr.store.tx import transaction
from tests.conftest import call_params, twiml
from tests.console_support import Console, engine, make_user
from tests.routing_support import add_analysts, analyst_phone

OPEN = "2026-12-07 09:00"  # a Monday, in hours
NIGHT = "2026-12-07 21:00"
COORDINATOR = "coord@example.com"


def coordinator_console(app) -> Console:
    """A coordinator logged in through the form (at the current, maybe moved, clock)."""
    with transaction(engine(app)) as tx:
        known = [u.email for u in all_users(tx)]
    if COORDINATOR not in known:
        make_user(app, email=COORDINATOR, role=UserRole.COORDINATOR, name="Coordinadora")
    console = Console(app)
    assert console.login(email=COORDINATOR).status_code == 302
    return console


def dialled(root) -> list[str]:
    """The numbers a TwiML document dials."""
    return [n.text for n in root.iter("Number")]


def test_deactivated_analyst_is_never_rung_and_their_menu_is_closed(app, db, twilio, clock):
    """Deactivated from the console, the longest-idle available analyst is skipped: the call
    rings the other one, and after that one declines nobody else; their own phone gets the
    clients' menu, not the PIN question."""
    clock(OPEN)
    first, _second = add_analysts(db, 2, pin="482916")
    db.commit()
    coordinator = coordinator_console(app)
    assert coordinator.post(f"/console/manage/analysts/{first}/deactivate").status_code == 303
    sid = twilio.new_sid()
    root = twiml(twilio.post("/voice/connect?r=1", call_params(sid)))
    assert dialled(root) == [analyst_phone(2)]
    dial = root.find("Dial")
    after = twiml(twilio.post(dial.get("action"), call_params(
        sid, DialCallStatus="no-answer", DialCallSid="CA" + "d" * 32)))
    assert analyst_phone(1) not in dialled(after)
    menu = twiml(twilio.post("/voice/incoming", call_params(twilio.new_sid(),
                                                           analyst_phone(1))))
    said = " ".join(s.text or "" for s in menu.iter("Say"))
    assert "PIN" not in said and "marque 2" in said


def test_emergency_phone_rings_for_its_own_time(app, db, twilio, clock):
    """Out of hours, an emergency phone with a ring time of 25 s is dialled with timeout 25;
    one without, with the line's DIAL_TIMEOUT."""
    clock(NIGHT)
    directory.add_emergency(db, "Uno", "+584140143913", None, utcnow(), ring_seconds=25)
    directory.add_emergency(db, "Dos", "+584140320151", None, utcnow())
    db.commit()
    sid = twilio.new_sid()
    root = twiml(twilio.post("/voice/emergency", call_params(sid)))
    dial = root.find("Dial")
    assert dialled(root) == ["+584140143913"] and dial.get("timeout") == "25"
    nxt = twiml(twilio.post(dial.get("action"), call_params(
        sid, DialCallStatus="no-answer", DialCallSid="CA" + "e" * 32)))
    assert dialled(nxt) == ["+584140320151"]
    assert nxt.find("Dial").get("timeout") == str(app.extensions["ivr"].settings.dial_timeout)


def test_two_coordinators_reorder_at_once(app, database_url):
    """Two coordinators press 'up' on different phones at the same moment, many times: the
    order stays a permutation of 1..n (unique positions, swapped in two steps) and every move
    is applied to the order the other left (nothing lost, no deadlock). On SQLite the
    writers take turns; on PostgreSQL the order is locked first."""
    with transaction(engine(app)) as tx:
        for i in range(4):
            directory.add_emergency(tx, f"Tel {i}", f"+58414555{i:04d}", None, utcnow())
        ids = [r.id for r in directory.list_emergency(tx)]
    rounds = 15
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def press(contact_id: int) -> None:
        try:
            for _ in range(rounds):
                barrier.wait(timeout=10)
                with transaction(engine(app)) as tx:
                    row = directory.emergency_contact(tx, contact_id)
                    directory.step_emergency(tx, row, -1, by=None)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=press, args=(ids[2],)),
               threading.Thread(target=press, args=(ids[3],))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with transaction(engine(app)) as tx:
        rows = directory.list_emergency(tx)
        moves = [e for e in trail(tx, table="emergency_contacts", limit=1000)
                 if e.field == "position"]
    assert sorted(r.position for r in rows) == [1, 2, 3, 4]
    # A press moves its phone unless it is first already; each move is two position changes
    # (the phone and its neighbour). Once both phones are at the top, in every round one of
    # them is second when its press is applied, so at least one press a round moves.
    presses_moved = len(moves) // 2
    assert rounds <= presses_moved <= 2 * rounds
    assert {r.id for r in rows} == set(ids)


# --- the preview says what the line says -------------------------------------------------------

SENTENCE = re.compile(r"<p>«(.*?)»</p>", re.S)
YEARS = (2026, 2027, 2028)
HOLIDAYS = sorted(day for year in YEARS
                  for day in holidays.country_holidays("VE", years=year))
SPANS = (None, ("08:00", "10:00"), ("11:30", "15:00"), ("16:00", "18:00"))


def heard_by_caller(twilio, app, local: datetime) -> list[str]:
    """What an unknown caller hears on answering at a Caracas moment (the clock moved there)."""
    root = twiml(twilio.post("/voice/incoming", call_params(twilio.new_sid())))
    return [" ".join((s.text or "").split()) for s in root.iter("Say")]


@settings(max_examples=int(os.environ.get("PREVIEW_EXAMPLES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(
    day=st.one_of(st.sampled_from(HOLIDAYS),
                  st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
    closures=st.lists(st.tuples(st.integers(min_value=-2, max_value=3),
                                st.sampled_from(SPANS)), max_size=2,
                      unique_by=lambda c: c[0]),
)
def test_preview_says_what_the_line_says(app, twilio, clock, day, minute, closures):
    """At any moment (holidays, closures of the day, around it, whole or part day), the
    console's preview is word for word what the webhook says to a caller at that moment."""
    local = datetime.combine(day, time(minute // 60, minute % 60))
    with transaction(engine(app)) as tx:
        for old in directory.list_closures(tx):
            directory.remove_closure(tx, old)
        for offset, span in closures:
            starts, ends = span or (None, None)
            directory.add_closure(tx, (day + timedelta(days=offset)).isoformat(), starts, ends,
                                  f"cierre {offset}", utcnow())
    app.extensions["ivr"].schedules.invalidate()
    coordinator = coordinator_console(app)
    page = coordinator.get(f"/console/manage/hours?day={day.isoformat()}"
                           f"&time={local:%H:%M}").get_data(as_text=True)
    preview = [" ".join(html.unescape(s).split()) for s in SENTENCE.findall(page)]
    clock(local.strftime("%Y-%m-%d %H:%M"))
    assert preview and preview == heard_by_caller(twilio, app, local)


def test_a_switchboard_shared_by_contacts_of_one_company(app, db, twilio):
    """Two contacts of one company may share its switchboard: the line then greets the
    company (not a person) and asks who is calling; another company's contact cannot have
    that phone, and the refusal names the company that has it."""
    directory.add_company(db, "Comercial Ejemplo", None, utcnow())
    directory.add_company(db, "Farmacia Ávila", None, utcnow())
    directory.add_contact(db, "Comercial Ejemplo", "Eva Ensayo", "0212 555 0142", None, None,
                          utcnow())
    directory.add_contact(db, "Comercial Ejemplo", "Raúl Rojas", "+582125550142", None, None,
                          utcnow())
    with pytest.raises(directory.DirectoryError, match="company Comercial Ejemplo"):
        directory.add_contact(db, "Farmacia Ávila", "Otro", "0212-555-0142", None, None,
                              utcnow())
    db.commit()
    greeting = twiml(twilio.post("/voice/incoming", call_params(twilio.new_sid(),
                                                               "+582125550142")))
    said = [s.text for s in greeting.iter("Say")]
    assert said[0] == "Gracias por llamar a CCO Apoyo Empresarial, Comercial Ejemplo."
    sid = twilio.new_sid()
    report = twiml(twilio.post("/voice/report", call_params(sid, "+582125550142")))
    asked = " ".join(s.text or "" for s in report.iter("Say"))
    assert "Diga el nombre de su empresa" in asked or "Diga su nombre" in asked
    with transaction(engine(app)) as tx:
        known = directory.find_contact(tx, "+582125550142")
    assert known.shared and known.contact_id is None and known.company_name == \
        "Comercial Ejemplo"
