"""The dashboard (every logged-in user): today and the last 30 days, each chart beside a table
of its numbers and a CSV download; and the wallboard, a page for the wall that refreshes its
panel by a short poll (wallboard.js, a static file: the CSP allows no inline script)."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, current_app, render_template

from ivr.console.blueprint import bp
from ivr.console.charts import bar_chart
from ivr.console.context import app_state, db
from ivr.console.formatting import caracas_time
from ivr.domain.clock import utcnow
from ivr.domain.statuses import AnalystStatus, CallOutcome, HoldState
from ivr.services import dashboard

PERIOD_LABELS = {"today": "Hoy", "30d": "Últimos 30 días"}
OUTCOME_LABELS = {
    CallOutcome.ANSWERED: "Atendidas por un analista",
    CallOutcome.CALLBACK: "Enviadas a la cola de devoluciones",
    CallOutcome.ABANDONED: "Colgaron mientras se les transfería",
    dashboard.EMERGENCY: "Emergencias (atendidas o con mensaje)",
    dashboard.IN_MENU: "Colgaron en el menú",
    dashboard.NO_PUT_THROUGH: "Reportaron o consultaron sin transferencia",
    dashboard.LIVE: "En curso",
}
SEAT_LABELS = {
    dashboard.ON_CALL: "En llamada",
    dashboard.RINGING: "Timbrando",
    dashboard.WRAP_UP: "Cerrando llamada",
    AnalystStatus.AVAILABLE: "Disponible",
    AnalystStatus.AWAY: "Ausente",
    AnalystStatus.UNAVAILABLE: "No disponible",
}
HOLD_LABELS = {
    HoldState.BRIDGED: "Atendidas por un analista",
    HoldState.LEFT: "Pasaron a devolución con la tecla 1",
    HoldState.TIMED_OUT: "Pasaron a devolución sin analista a tiempo",
    HoldState.ABANDONED: "Colgaron mientras esperaban",
}
HOLD_TOTAL = "Total: esperaron en línea"
TABLES = ("horas", "resultados", "tiempos", "espera", "contratos", "analistas")
HOURS = [f"{h:02d}" for h in range(24)]
POLL_SECONDS = 5


def duration(seconds: int | None) -> str:
    """Seconds as people read a wait: '45 s', '3 min 05 s', '2 h 10 min', '1 d 4 h'."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def clock_time(seconds: float | None) -> str:
    """Seconds as a stopwatch shows them: '04:35' (minutes past 59 go on: '75:10')."""
    if seconds is None:
        return "—"
    minutes, secs = divmod(max(int(seconds), 0), 60)
    return f"{minutes:02d}:{secs:02d}"


def percent(share: float | None) -> str:
    """A share as a whole percentage ('—' when nothing was decided)."""
    return "—" if share is None else f"{round(share * 100)} %"


def all_figures(only: str | None = None) -> list[dashboard.Figures]:
    """Both periods' figures (or only one), in one transaction."""
    now = utcnow()
    with db() as tx:
        schedule = app_state().schedules.get(tx)
        return [dashboard.figures(tx, schedule, period, now)
                for period in dashboard.periods(now) if only in (None, period.key)]


def rows_of(table: str, figures: dashboard.Figures) -> tuple[list[str], list[list]]:
    """A table's header and rows, as the page and the CSV give them."""
    if table == "horas":
        return ["Hora", "Llamadas"], [[f"{h}:00", n] for h, n in zip(HOURS, figures.by_hour,
                                                                      strict=True)]
    if table == "resultados":
        rows = [[OUTCOME_LABELS[key], figures.outcomes.get(key, 0)]
                for key in dashboard.OUTCOMES]
        rows += [["Total", figures.total], ["Fuera del horario de atención",
                                            figures.after_hours]]
        return ["Resultado", "Llamadas"], rows
    if table == "tiempos":
        return ["Medida", "Casos", "Mediana", "Percentil 90"], [
            ["Tiempo hasta que atiende un analista", figures.answer.count,
             duration(figures.answer.median), duration(figures.answer.p90)],
            ["Tiempo hasta la devolución de llamada", figures.callback.count,
             duration(figures.callback.median), duration(figures.callback.p90)]]
    if table == "espera":
        holds = figures.holds
        ends = [(HOLD_LABELS[end], holds.by_end.get(end, dashboard.Waits()))
                for end in dashboard.HOLD_ENDS] + [(HOLD_TOTAL, holds.total)]
        return ["Cómo terminó la espera", "Llamadas", "Espera promedio", "Espera más larga"], [
            [name, w.count, duration(w.average), duration(w.longest)] for name, w in ends]
    if table == "contratos":
        return ["Empresa", "Horas de contrato", "A tiempo", "Tarde", "Aún en plazo",
                "A tiempo (%)"], [[c.company, c.hours, c.in_time, c.late, c.open,
                                   percent(c.share)] for c in figures.contracts]
    if table == "analistas":
        return ["Analista", "Llamadas atendidas", "Llamadas perdidas", "Devoluciones hechas"], [
            [a.name or "(casos sin analista)", a.taken, a.missed, a.callbacks]
            for a in figures.analysts]
    abort(404)


@bp.get("/dashboard")
def dashboard_page():
    """The dashboard: both periods side by side, charts and tables."""
    figures = all_figures()
    with db() as tx:
        queue = dashboard.callback_queue(tx, utcnow())
    sections = []
    for f in figures:
        chart = bar_chart(f"Llamadas por hora · {PERIOD_LABELS[f.period.key]}", f.by_hour,
                          HOURS, every=3)
        sections.append({"figures": f, "label": PERIOD_LABELS[f.period.key], "chart": chart,
                         "tables": {t: rows_of(t, f) for t in TABLES}})
    return render_template("console/dashboard.html", sections=sections, queue=queue,
                           now=utcnow())


@bp.get("/dashboard/<period>/<table>.csv")
def dashboard_csv(period: str, table: str):
    """One table of the dashboard as CSV (UTF-8 with BOM, so spreadsheets read the accents)."""
    if period not in PERIOD_LABELS or table not in TABLES:
        abort(404)
    [figures] = all_figures(only=period)
    header, rows = rows_of(table, figures)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    name = f"tablero-{table}-{period}-{caracas_time(utcnow(), 'yyyy-MM-dd')}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def wall_context() -> dict:
    """What the wallboard shows now."""
    now = utcnow()
    with db() as tx:
        wall = dashboard.wall(tx, now)
    return {"wall": wall, "now": now, "seat_labels": SEAT_LABELS,
            "every": current_app.config.get("WALLBOARD_POLL_SECONDS", POLL_SECONDS)}


@bp.get("/wallboard")
def wallboard():
    """The wallboard page (its panel refreshes itself every few seconds)."""
    return render_template("console/wallboard.html", **wall_context())


@bp.get("/wallboard/panel")
def wallboard_panel():
    """The wallboard's panel alone, for its poll."""
    return render_template("console/_wall_panel.html", **wall_context())


def register_filters(app) -> None:
    """The dashboard's filters."""
    app.add_template_filter(duration, "duration")
    app.add_template_filter(clock_time, "mmss")
