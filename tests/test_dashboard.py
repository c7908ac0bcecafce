"""The dashboard's figures against a seeded day whose counts are known, its pages and CSV; the
wallboard's states against signed calls in progress."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert

from ivr.domain.business_hours import CARACAS, Closure, Schedule, to_naive_utc
from ivr.domain.clock import utcnow
from ivr.domain.statuses import AnalystStatus, CallOutcome, UserRole
from ivr.services import dashboard
from ivr.services.directory import add_analyst, set_analyst_status
from ivr.store import tables
from ivr.store.tx import transaction
from tests.conftest import call_params, twiml
from tests.console_support import Console, engine, make_user
from tests.html_support import texts

DAY = "2027-02-16"  # a Tuesday


def at(clock_time: str, day: str = DAY) -> datetime:
    """A Caracas wall-clock time of the seeded day as stored (naive UTC)."""
    return to_naive_utc(datetime.fromisoformat(f"{day} {clock_time}").replace(tzinfo=CARACAS))


def seed_day(app) -> None:
    """Tuesday 16 February 2027, as the line would have recorded it (times in Caracas; ids
    1, 2, … in the order of insertion, on an emptied database):

    calls   c1 09:05 answered by Ana 30 s after asking   case k1
            c2 09:20 Beto misses, Ana answers after 90 s  case k2
            c3 10:10 Beto misses, sent to callback        case k3 (contract), called back 11:10
            c4 10:40 hung up while put through            case k4 (contract), never called back
            c5 11:00 hung up in the menu                  no case
            c6 12:30 (lunch) a report, no put-through     case k5 (contract), called back 14:30
            c7 07:00 (night) an emergency message
            c8 15:50 still on the line
            c9 10:00 an analyst's own phone menu           (not a client's: never counted)
            c0 the day before, 10:00, answered by Ana after 60 s
    cases   k6 opened 15:00, callback due 17:00 today; k4 due 14:40 (overdue at 16:00);
            k5 called back without speaking: due again tomorrow 09:00.
    """
    with engine(app).begin() as conn:
        conn.execute(insert(tables.analysts), [
            {"name": "Ana", "phone": "+584125550001", "status": "available",
             "idle_since": at("08:00"), "missed_in_row": 0, "away_notice": False,
             "created_at": at("08:00")},
            {"name": "Beto", "phone": "+584125550002", "status": "available",
             "idle_since": at("08:00"), "missed_in_row": 0, "away_notice": False,
             "created_at": at("08:00")}])
        conn.execute(insert(tables.companies), [
            {"name": "Contrato SA", "name_key": "contrato", "contract_hours": 2,
             "created_at": at("08:00")}])
        cases = [
            ("k1", "09:05", None, "done", None, 1),
            ("k2", "09:20", None, "done", None, 1),
            ("k3", "10:10", 1, "done", None, 1),
            ("k4", "10:40", 1, "pending", at("14:40"), None),
            ("k5", "12:30", 1, "pending", at("09:00", "2027-02-17"), 2),
            ("k6", "15:00", None, "pending", at("17:00"), None),
        ]
        for n, (key, created, company, state, due, analyst) in enumerate(cases, start=1):
            conn.execute(insert(tables.cases).values(
                number=f"{n:07d}", status="received", company_id=company,
                company_name="Contrato SA" if company else None, origin_call_sid=f"CA{key}",
                origin_seq=1, out_of_hours=created == "12:30", urgent=False,
                callback_state=state, due_at=due, assigned_analyst_id=analyst,
                created_at=at(created), updated_at=at(created)))
        calls = [
            ("c1", "09:05", "completed", "answered", 1, None, "09:06:00"),
            ("c2", "09:20", "completed", "answered", 2, None, "09:21:00"),
            ("c3", "10:10", "completed", "callback", 3, None, "10:11:00"),
            ("c4", "10:40", "completed", "abandoned", 4, None, "10:41:00"),
            ("c5", "11:00", "completed", None, None, None, None),
            ("c6", "12:30", "completed", None, 5, None, None),
            ("c7", "07:00", "completed", "emergency-message", None, None, None),
            ("c8", "15:50", "in-progress", None, None, None, None),
            ("c9", "10:00", "completed", None, None, 1, None),
        ]
        for sid, started, status, outcome, case, analyst, hunt in calls:
            conn.execute(insert(tables.calls).values(
                call_sid=sid, status=status, outcome=outcome, case_id=case, analyst_id=analyst,
                webhooks=3, attempts=0, ring_seconds=0,
                hunt_started_at=at(hunt) if hunt else None, started_at=at(started),
                updated_at=at(started)))
        conn.execute(insert(tables.calls).values(
            call_sid="c0", status="completed", outcome="answered", webhooks=3, attempts=1,
            ring_seconds=0, hunt_started_at=at("10:00", "2027-02-15"),
            started_at=at("09:59", "2027-02-15"), updated_at=at("10:00", "2027-02-15")))
        legs = [
            ("c1", 1, 1, 1, "accepted", "09:06:05", "09:06:30"),
            ("c2", 1, 2, 2, "no-answer", "09:21:00", None),
            ("c2", 2, 2, 1, "accepted", "09:21:25", "09:22:30"),
            ("c3", 1, 3, 2, "no-answer", "10:11:00", None),
        ]
        for sid, seq, case, analyst, outcome, started, accepted in legs:
            conn.execute(insert(tables.dial_attempts).values(
                call_sid=sid, seq=seq, case_id=case, analyst_id=analyst, outcome=outcome,
                started_at=at(started), accepted_at=at(accepted) if accepted else None,
                ended_at=at(started) + timedelta(minutes=3)))
        conn.execute(insert(tables.dial_attempts).values(
            call_sid="c0", seq=1, analyst_id=1, outcome="accepted",
            started_at=at("10:00:10", "2027-02-15"), accepted_at=at("10:01", "2027-02-15"),
            ended_at=at("10:05", "2027-02-15")))
        conn.execute(insert(tables.callback_attempts), [
            {"case_id": 3, "outcome": "spoke", "created_at": at("11:10")},
            {"case_id": 5, "outcome": "no-answer", "created_at": at("14:30")}])


@pytest.fixture
def seeded(app, clock):
    """The seeded day, seen at 16:00."""
    clock(f"{DAY} 16:00")
    seed_day(app)
    return app


def both(app):
    """Today's and the last 30 days' figures."""
    with transaction(engine(app)) as tx:
        schedule = app.extensions["ivr"].schedules.get(tx)
        return [dashboard.figures(tx, schedule, p, utcnow()) for p in dashboard.periods(utcnow())]


def test_calls_by_hour_and_outcomes_of_the_seeded_day(seeded):
    """Every call counted once, in its Caracas hour and its outcome; the analyst's own menu
    call left out; the lunch and night calls counted as after hours."""
    today, month = both(seeded)
    expected = [0] * 24
    for hour, n in {7: 1, 9: 2, 10: 2, 11: 1, 12: 1, 15: 1}.items():
        expected[hour] = n
    assert today.by_hour == expected
    assert today.total == 8 and today.after_hours == 2
    assert today.outcomes == {CallOutcome.ANSWERED: 2, CallOutcome.CALLBACK: 1,
                              CallOutcome.ABANDONED: 1, dashboard.EMERGENCY: 1,
                              dashboard.IN_MENU: 1, dashboard.NO_PUT_THROUGH: 1,
                              dashboard.LIVE: 1}
    assert month.total == 9 and month.by_hour[9] == 3 and month.after_hours == 2
    assert month.outcomes[CallOutcome.ANSWERED] == 3


def test_times_to_answer_and_to_call_back(seeded):
    """Medians and 90th percentiles (nearest rank) from the moment a person was asked for,
    and from the case's opening to its first call back."""
    today, month = both(seeded)
    assert today.answer == dashboard.Spread(2, 30, 90)
    assert month.answer == dashboard.Spread(3, 60, 90)
    assert today.callback == dashboard.Spread(2, 3600, 7200)


def test_contract_share_and_per_analyst(seeded):
    """Contrato SA (2 business hours): k3 called back in 1 h, k5 (opened at lunch) within its
    time, k4 never answered and past its time at 16:00. Per analyst: taken, missed, calls back
    made on their cases."""
    today, _month = both(seeded)
    assert today.contracts == [dashboard.ContractShare("Contrato SA", 2, 2, 1, 0)]
    assert round(today.contracts[0].share, 2) == 0.67
    assert today.analysts == [dashboard.AnalystFigures(1, "Ana", 2, 0, 1),
                              dashboard.AnalystFigures(2, "Beto", 0, 2, 1)]


def test_callback_queue_now(seeded):
    """k4 overdue, k6 due today, k5 due tomorrow: three waiting."""
    with transaction(engine(seeded)) as tx:
        assert dashboard.callback_queue(tx, utcnow()) == dashboard.Queue(3, 1, 1)


def test_spread_nearest_rank():
    """Nearest rank: values that occurred; none for no durations."""
    assert dashboard.spread([]) == dashboard.Spread(0, None, None)
    assert dashboard.spread([5]) == dashboard.Spread(1, 5, 5)
    assert dashboard.spread(list(range(1, 11))) == dashboard.Spread(10, 5, 9)
    assert dashboard.spread(list(range(1, 101))) == dashboard.Spread(100, 50, 90)


def test_dashboard_page_shows_the_figures_with_chart_and_tables(seeded):
    """Any logged-in user (an analyst too): the chart as SVG beside its table, the tables,
    the CSV links; no inline script or style."""
    make_user(seeded, phone="+15005550199")
    console = Console(seeded)
    console.login()
    response = console.get("/console/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("<svg") == 2 and page.count('class="bar"') == 48
    assert "<script" not in page and "style=" not in page
    assert texts(page, "strong", None)[:3] == ["3", "1", "1"]  # waiting, due today, overdue
    outcomes = texts(page, "table", "outcomes")[0]
    assert "Atendidas por un analista 2" in outcomes and "Colgaron en el menú 1" in outcomes
    assert "Fuera del horario de atención 2" in outcomes
    assert "Contrato SA 2 2 1 0 67 %" in texts(page, "table", "contracts")[0]
    assert "Beto 0 2 1" in texts(page, "table", "analysts")[0]
    assert "30 s 1 min 30 s" in texts(page, "table", "times")[0]


def test_csv_downloads(seeded):
    """Each table of each period as CSV, the same numbers as the page."""
    make_user(seeded, phone="+15005550199")
    console = Console(seeded)
    console.login()
    response = console.get("/console/dashboard/today/horas.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Hora", "Llamadas"] and len(rows) == 25
    assert rows[1 + 9] == ["09:00", "2"] and rows[1 + 12] == ["12:00", "1"]
    month = console.get("/console/dashboard/30d/resultados.csv").get_data(as_text=True)
    assert "Atendidas por un analista,3" in month and "Total,9" in month
    assert console.get("/console/dashboard/ayer/horas.csv").status_code == 404
    assert console.get("/console/dashboard/today/nada.csv").status_code == 404


# --- the wallboard -----------------------------------------------------------------------------


@pytest.fixture
def three(db):
    """Three available analysts, idle longest first, and a fourth away."""
    rows = []
    for i, phone in enumerate(["+15005550101", "+15005550102", "+15005550103",
                               "+15005550104"]):
        analyst = add_analyst(db, f"Analista {i + 1}", phone, "184263", utcnow())
        status = AnalystStatus.AWAY if i == 3 else AnalystStatus.AVAILABLE
        rows.append(set_analyst_status(db, analyst, status, utcnow()))
    db.commit()
    return rows


def seats(console) -> dict[str, str]:
    """The wallboard's panel: each analyst's state line."""
    page = console.get("/console/wallboard/panel").get_data(as_text=True)
    names = texts(page, "span", "name")
    states = texts(page, "span", "state")
    return dict(zip(names, states, strict=True))


def test_wallboard_follows_signed_calls_in_progress(app, twilio, clock, three):
    """A call put through and accepted: its analyst is on a call (with its case, since when);
    a second call rings the next; the rest available or away; when the first ends, its
    analyst is available again and the day's answered count moves."""
    clock(f"{DAY} 09:00")
    make_user(app, email="coord@example.com", role=UserRole.COORDINATOR, name="Coordinación")
    console = Console(app)
    console.login(email="coord@example.com")
    first = twilio.new_sid()
    root = twiml(twilio.post("/voice/connect?r=1", call_params(first)))
    number = root.find("Dial").find("Number")
    leg = twilio.new_sid()
    whisper = twiml(twilio.post(number.get("url"), call_params(leg, ParentCallSid=first)))
    twiml(twilio.post(whisper.find("Gather").get("action"), call_params(leg, Digits="1")))
    clock(f"{DAY} 09:03")
    second = twilio.new_sid()
    twiml(twilio.post("/voice/connect?r=1", call_params(second, caller="+584145550777")))
    clock(f"{DAY} 09:03:10")  # within the ring's 20 s
    state = seats(console)
    assert state["Analista 1"] == "En llamada · 3 min 10 s"
    assert state["Analista 2"] == "Timbrando · 10 s"
    assert state["Analista 3"] == "Disponible" and state["Analista 4"] == "Ausente"
    page = console.get("/console/wallboard/panel").get_data(as_text=True)
    assert len(texts(page, "span", "whom")) == 2
    assert texts(page, "span", "n")[0] == "0"  # nothing answered and finished yet
    twiml(twilio.post(root.find("Dial").get("action"), call_params(
        first, DialCallStatus="completed", DialBridged="true", DialCallSid=leg)))
    state = seats(console)
    assert state["Analista 1"] == "Disponible"
    page = console.get("/console/wallboard/panel").get_data(as_text=True)
    assert texts(page, "span", "n")[0] == "1"


def test_wallboard_page_polls_with_a_static_script(app, clock):
    """The page loads wallboard.js from /console/static (no inline script) and names the
    panel's URL; the panel alone needs a login too."""
    clock(f"{DAY} 09:00")
    make_user(app)
    assert Console(app).get("/console/wallboard/panel").status_code == 302
    console = Console(app)
    console.login()
    page = console.get("/console/wallboard").get_data(as_text=True)
    assert '<script src="/console/static/wallboard.js" defer></script>' in page
    assert 'data-panel-url="/console/wallboard/panel"' in page
    assert "style=" not in page
    script = console.get("/console/static/wallboard.js")
    assert script.status_code == 200 and b"fetch(url" in script.data
    script.close()


def test_deadlines_equal_the_schedules_own_count():
    """Deadlines found by bisection are the moments Schedule.add_business_hours gives, over
    weekends, lunch, a holiday, a closure and starts on the edges of the windows."""
    schedule = Schedule(closures=[Closure(datetime(2027, 2, 18).date(), None, None, "Inventario"),
                                  Closure(datetime(2027, 2, 22).date(),
                                          datetime(2027, 2, 22, 9).time(),
                                          datetime(2027, 2, 22, 11).time(), "Reunión")])
    deadlines = dashboard.Deadlines(schedule, datetime(2027, 2, 5).date())
    start = at("00:00", "2027-02-05")
    moments = [start + timedelta(minutes=17 * n) for n in range(0, 1800)]
    moments += [at(t, "2027-02-16") for t in ("08:30", "12:00", "14:00", "17:30", "11:59:59")]
    for moment in sorted(moments):
        for hours in (1, 2, 4, 8, 24):
            expected = to_naive_utc(schedule.add_business_hours(moment, hours))
            assert deadlines.add(moment, hours) == expected, (moment, hours)
