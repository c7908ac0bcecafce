"""The dashboard's figures against a seeded day whose counts are known, its pages and CSV; the
wallboard's states against signed calls in progress."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from flask import has_request_context, request
from sqlalchemy import insert, update

from ivr.console.dashboard import duration
from ivr.domain.business_hours import CARACAS, Closure, Schedule, to_naive_utc
from ivr.domain.clock import utcnow
from ivr.domain.statuses import AnalystStatus, CallOutcome, HoldState, UserRole
from ivr.services import dashboard
from ivr.services.directory import add_analyst, set_analyst_status
from ivr.store import tables
from ivr.store import tx as sql
from ivr.store.tx import Q, transaction
from tests.conftest import call_params, twiml
from tests.console_support import Console, engine, make_user
from tests.hold_support import HoldCaller, Line
from tests.html_support import attributes, texts

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


def seed_holds(app) -> None:
    """Waits on hold over the seeded day (after seed_day; seen at 16:00):

    ended   today: put through after 40 s and 80 s, 1 pressed after 2 min, the longest wait
            (10 min) reached, a hang-up after 30 s; the day before: put through after 5 min
    now     0000006 (no company) waiting since 15:50; 0000004 (contract, severity not said)
            since 15:55, being offered to Beto (his phone ringing since 15:59:55); 0000005
            (contract, severity 2) since 15:58: first in the line's order, though last in
    Ana     closed a call at 15:59:55: in the wrap-up time until 16:00:25
    """
    ended = [("h1", 1, "bridged", "10:00", 40), ("h2", 2, "bridged", "11:00", 80),
             ("h3", 3, "left", "11:30", 120), ("h4", 4, "timed_out", "13:00", 600),
             ("h5", 5, "abandoned", "14:00", 30)]
    rows = [{"call_sid": f"CA{sid}", "case_id": case, "contract": case in (3, 4, 5),
             "severity": None, "state": state, "waiting_since": at(end) - timedelta(
                 seconds=waited), "offers": 1 if state == "bridged" else 0,
             "ended_at": at(end), "waited_seconds": waited, "created_at": at(end)}
            for sid, case, state, end, waited in ended]
    rows.append({"call_sid": "CAh0", "case_id": 1, "contract": False, "severity": 1,
                 "state": "bridged", "waiting_since": at("10:00", "2027-02-15"), "offers": 1,
                 "ended_at": at("10:05", "2027-02-15"), "waited_seconds": 300,
                 "created_at": at("10:00", "2027-02-15")})
    for sid, case, contract, severity, since in (("w1", 6, False, 1, "15:50"),
                                                 ("w2", 4, True, None, "15:55"),
                                                 ("w3", 5, True, 2, "15:58")):
        rows.append({"call_sid": f"CA{sid}", "case_id": case, "contract": contract,
                     "severity": severity, "state": "waiting", "waiting_since": at(since),
                     "offers": 0, "ended_at": None, "waited_seconds": None,
                     "created_at": at(since)})
    with engine(app).begin() as conn:
        conn.execute(insert(tables.holds), rows)
        conn.execute(insert(tables.dial_attempts).values(
            call_sid="CAw2", seq=1, case_id=4, analyst_id=2, outcome="ringing",
            started_at=at("15:59:55")))
        conn.execute(update(tables.holds).where(tables.holds.c.call_sid == "CAw2").values(
            state="offered", analyst_id=2, offered_at=at("15:59:55"), offers=1))
        conn.execute(update(tables.analysts).where(tables.analysts.c.id == 2).values(
            lease_call_sid="CAw2", lease_until=at("16:00:25")))
        conn.execute(update(tables.analysts).where(tables.analysts.c.id == 1).values(
            lease_call_sid=None, lease_until=at("16:00:25")))


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


def test_hold_figures_of_the_seeded_day(seeded):
    """The waits that ended in each period, by how they ended, with their average and
    longest; the callers still waiting are not counted."""
    seed_holds(seeded)
    today, month = both(seeded)
    assert today.holds.by_end == {
        HoldState.BRIDGED: dashboard.Waits(2, 60, 80),
        HoldState.LEFT: dashboard.Waits(1, 120, 120),
        HoldState.TIMED_OUT: dashboard.Waits(1, 600, 600),
        HoldState.ABANDONED: dashboard.Waits(1, 30, 30)}
    assert today.holds.total == dashboard.Waits(5, 174, 600)
    assert month.holds.count(HoldState.BRIDGED) == 3
    assert month.holds.total == dashboard.Waits(6, 195, 600)


def test_hold_figures_without_waits(seeded):
    """No wait ended: zeros, and no average or longest."""
    today, _month = both(seeded)
    assert today.holds == dashboard.HoldFigures()
    assert today.holds.total == dashboard.Waits(0, None, None)
    assert today.holds.count(HoldState.LEFT) == 0


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


def test_dashboard_page_and_csv_show_the_waits_on_hold(seeded):
    """Each period's hold table (how the waits ended, how many, average and longest) and
    its KPI on the page; the same rows in the table's CSV."""
    seed_holds(seeded)
    make_user(seeded, phone="+15005550199")
    console = Console(seeded)
    console.login()
    page = console.get("/console/dashboard").get_data(as_text=True)
    today, month = texts(page, "table", "waits")
    assert today.split(" Atendidas")[0] == \
        "Cómo terminó la espera Llamadas Espera promedio Espera más larga"
    for row in ("Atendidas por un analista 2 1 min 00 s 1 min 20 s",
                "Pasaron a devolución con la tecla 1 1 2 min 00 s 2 min 00 s",
                "Pasaron a devolución sin analista a tiempo 1 10 min 00 s 10 min 00 s",
                "Colgaron mientras esperaban 1 30 s 30 s",
                "Total: esperaron en línea 5 2 min 54 s 10 min 00 s"):
        assert row in today, (row, today)
    assert "Atendidas por un analista 3 2 min 20 s 5 min 00 s" in month
    assert "Total: esperaron en línea 6 3 min 15 s 10 min 00 s" in month
    kpis = [t for t in texts(page, "li", None) if t.endswith("esperaron en línea")]
    assert kpis == ["5 esperaron en línea", "6 esperaron en línea"]
    assert "<script" not in page and "style=" not in page
    response = console.get("/console/dashboard/today/espera.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "tablero-espera-today-" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [
        ["Cómo terminó la espera", "Llamadas", "Espera promedio", "Espera más larga"],
        ["Atendidas por un analista", "2", "1 min 00 s", "1 min 20 s"],
        ["Pasaron a devolución con la tecla 1", "1", "2 min 00 s", "2 min 00 s"],
        ["Pasaron a devolución sin analista a tiempo", "1", "10 min 00 s", "10 min 00 s"],
        ["Colgaron mientras esperaban", "1", "30 s", "30 s"],
        ["Total: esperaron en línea", "5", "2 min 54 s", "10 min 00 s"]]


def statements_per_page(app, monkeypatch, console, paths) -> dict[str, int]:
    """The SQL statements each page sends (its login check included; not the opening hours
    and closures, which a process reads again every 30 s whatever page asks then), and
    ('PATH holds') those about the waits on hold."""
    counts: dict[str, int] = {}
    execute = sql.Tx._execute

    def counting(self, q, params):
        if has_request_context() and not any(f" {name} " in f" {q.sql} "
                                             for name in ("business_hours", "closures")):
            counts[request.path] = counts.get(request.path, 0) + 1
            if " holds " in f" {q.sql} ":
                counts[f"{request.path} holds"] = counts.get(f"{request.path} holds", 0) + 1
        return execute(self, q, params)

    monkeypatch.setattr(sql.Tx, "_execute", counting)
    for path in paths:
        assert console.get(path).status_code == 200
    monkeypatch.undo()
    return counts


def test_waits_on_hold_cost_one_statement_a_period_and_one_on_the_wallboard(
        seeded, monkeypatch):
    """The hold figures are one grouped statement per period, the wallboard's list one
    statement: fifty more waits, ended or going on, add none."""
    make_user(seeded, phone="+15005550199")
    console = Console(seeded)
    console.login()
    paths = ("/console/dashboard", "/console/wallboard/panel",
             "/console/dashboard/30d/espera.csv")
    before = statements_per_page(seeded, monkeypatch, console, paths)
    seed_holds(seeded)
    more = [{"call_sid": f"CAmore{i:03d}", "case_id": 1 + i % 6, "contract": i % 2 == 0,
             "severity": 1 + i % 3, "state": "abandoned" if i < 40 else "waiting",
             "waiting_since": at("12:00") + timedelta(seconds=i), "offers": 0,
             "ended_at": at("12:05") if i < 40 else None,
             "waited_seconds": 300 - i if i < 40 else None, "created_at": at("12:00")}
            for i in range(50)]
    with engine(seeded).begin() as conn:
        conn.execute(insert(tables.holds), more)
    after = statements_per_page(seeded, monkeypatch, console, paths)
    assert after == before, (before, after)
    assert before["/console/wallboard/panel"] <= 12, before
    assert [before[f"{path} holds"] for path in paths] == [2, 1, 1]
    page = console.get("/console/wallboard/panel").get_data(as_text=True)
    assert len(texts(page, "li", "hold")) == 13


# --- the wallboard -----------------------------------------------------------------------------


def test_wallboard_lists_the_callers_on_hold_and_the_wrap_up(seeded):
    """The callers on hold in the line's order (contract and severity before arrival): place,
    case, company or «sin identificar», the contract mark, how long each waits (mm:ss) and
    the analyst an offer rings; how many wait and the longest wait. Ana, in her wrap-up
    time, is closing a call with the seconds left; Beto rings for the offer."""
    seed_holds(seeded)
    make_user(seeded, phone="+15005550199")
    console = Console(seeded)
    console.login()
    page = console.get("/console/wallboard/panel").get_data(as_text=True)
    assert texts(page, "h2", None)[0] == "En espera en línea"
    assert texts(page, "li", "hold") == [
        "1 0000005 Contrato SA contrato 02:00",
        "2 0000004 Contrato SA contrato 05:00 ofrecido a Beto",
        "3 0000006 sin identificar 10:00"]
    assert texts(page, "li", "offered") == ["2 0000004 Contrato SA contrato 05:00 ofrecido a Beto"]
    assert [a["aria-label"] for a in attributes(page, "span", "place")] == [
        "Puesto 1", "Puesto 2", "Puesto 3"]
    assert texts(page, "p", "hold-sum") == ["3 esperan espera más larga 10:00"]
    assert texts(page, "span", "contract") == ["contrato", "contrato"]
    state = seats(console)
    assert state["Ana"] == "Cerrando llamada · quedan 25 s"
    assert state["Beto"] == "Timbrando · 5 s"
    whole = console.get("/console/wallboard").get_data(as_text=True)
    assert texts(whole, "li", "hold") == texts(page, "li", "hold")
    assert "<script>" not in whole and "style=" not in whole


def test_wallboard_follows_a_caller_on_hold(app, twilio_api):
    """A signed call walked through the hold queue: both analysts busy, the caller waits and
    the wallboard lists them (not identified); when one analyst frees up the worker's offer
    shows who is rung; after the conversation the analyst closes the call (wrap-up) and the
    day's dashboard counts one wait put through."""
    line = Line(app, twilio_api)
    try:
        _first, second = line.analysts(2)
        make_user(app, email="coord@example.com", role=UserRole.COORDINATOR,
                  name="Coordinación")
        console = Console(app)
        console.login(email="coord@example.com")
        seen: dict[int, tuple[list[str], dict[str, str]]] = {}

        def on_wait(n: int):
            if n == 2:
                line.free(second)
                assert line.work().sent
            page = console.get("/console/wallboard/panel").get_data(as_text=True)
            seen[n] = (texts(page, "li", "hold"), seats(console))
            return None

        walker, _heard = line.call(HoldCaller(on_wait, dials=["accept"]))
        hold = line.hold(walker.call_sid)
        number = line.rows("SELECT number FROM cases WHERE id = :c", c=hold.case_id)[0].number
        [waiting] = seen[1][0]
        assert re.fullmatch(rf"1 {number} sin identificar 00:[0-5]\d", waiting), waiting
        assert seen[1][1] == {"Analista 1": "En llamada", "Analista 2": "En llamada"}
        [offered] = seen[2][0]
        assert offered.startswith(f"1 {number} sin identificar 01:") and \
            offered.endswith("ofrecido a Analista 2"), offered
        assert seen[2][1]["Analista 2"].startswith("Timbrando")
        page = console.get("/console/wallboard/panel").get_data(as_text=True)
        assert texts(page, "li", "hold") == []
        state = seats(console)
        assert state["Analista 2"].startswith("Cerrando llamada · quedan "), state
        with transaction(engine(app)) as tx:
            analyst = tx.row(Q("SELECT * FROM analysts WHERE id = :id"), id=second)
        assert analyst.lease_call_sid is None and analyst.lease_until > utcnow()
        table = texts(console.get("/console/dashboard").get_data(as_text=True),
                      "table", "waits")[0]
        assert f"Atendidas por un analista 1 {duration(hold.waited_seconds)}" in table
    finally:
        line.stop()


def test_wallboard_with_nobody_on_hold(seeded):
    """Nobody on hold: a zero and a line that says so, no longest wait."""
    make_user(seeded, phone="+15005550199")
    console = Console(seeded)
    console.login()
    page = console.get("/console/wallboard/panel").get_data(as_text=True)
    assert texts(page, "p", "hold-sum") == ["0 esperan"]
    assert texts(page, "li", "hold") == [] and 'id="wall-hold-longest"' not in page
    section = texts(page, "section", "hold-list")[0]
    assert section.endswith("Nadie espera en línea.")


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
    analyst is closing the call (the wrap-up time, counted down), then available again, and
    the day's answered count moves."""
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
    wrap_up = app.extensions["ivr"].settings.wrap_up_seconds
    assert seats(console)["Analista 1"] == f"Cerrando llamada · quedan {wrap_up} s"
    page = console.get("/console/wallboard/panel").get_data(as_text=True)
    assert texts(page, "span", "n")[0] == "1"
    assert "seat-wrap_up" in page
    clock(f"{DAY} 09:03:{10 + wrap_up - 5}")
    assert seats(console)["Analista 1"] == "Cerrando llamada · quedan 5 s"
    clock(f"{DAY} 09:03:{10 + wrap_up}")
    assert seats(console)["Analista 1"] == "Disponible"


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
