"""`python -m bench.dashboard`: how long each of the dashboard's and the wallboard's queries
takes on the database the line would use (`DATABASE_URL`), e.g. one seeded with a million
cases by `python -m bench.seed`:

    DATABASE_URL=sqlite:///bench/out/ivr_bench_1m.sqlite3 IVR_ENV=development \\
        python -m bench.seed --cases 1000000 --office-hours --reset
    DATABASE_URL=sqlite:///bench/out/ivr_bench_1m.sqlite3 IVR_ENV=development \\
        python -m bench.dashboard --rounds 7

Each statement runs `--rounds` times per period (today, the last 30 days), after one warm-up
round; the median and the slowest are printed in milliseconds, then the whole dashboard
(both periods and the queue, as the page computes them) and the wallboard.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import click

from ivr.domain.clock import utcnow
from ivr.domain.statuses import DialOutcome
from ivr.services import dashboard
from ivr.store import dashboard as store
from ivr.store.tx import transaction


def timed(rounds: int, work: Callable[[], object]) -> tuple[float, float, object]:
    """(median ms, slowest ms, last result) of `rounds` runs after one warm-up."""
    result = work()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), result


def size(result) -> str:
    """How many rows (or what value) a statement gave."""
    if isinstance(result, list):
        return f"{len(result):,} rows"
    return str(result)


@click.command("bench.dashboard")
@click.option("--rounds", type=click.IntRange(1, 100), default=7, show_default=True,
              help="Timed runs of each query (after one warm-up).")
def dashboard_command(rounds: int) -> None:
    """Time the dashboard's and the wallboard's queries."""
    from ivr import create_app  # noqa: PLC0415 - the app only when run as a command

    state = create_app().extensions["ivr"]
    engine = state.engine
    now = utcnow()
    with transaction(engine) as tx:
        dialect = tx.engine.dialect.name
        schedule = state.schedules.get(tx)
    click.echo(f"bench.dashboard on {dialect}, {rounds} rounds; median / slowest ms")
    for period in dashboard.periods(now):
        queries = {
            "calls_by_hour": lambda p=period, tx=None: store.calls_by_hour(
                tx, p.since, p.until),
            "calls_in_hours": lambda p=period, tx=None: dashboard.calls_in_hours(
                tx, schedule, p),
            "legs_by_analyst": lambda p=period, tx=None: store.legs_by_analyst(
                tx, p.since, p.until),
            "answer_seconds": lambda p=period, tx=None: store.answer_seconds(
                tx, p.since, p.until, DialOutcome.ACCEPTED),
            "callback_seconds": lambda p=period, tx=None: store.callback_seconds(
                tx, p.since, p.until),
            "callbacks_by_analyst": lambda p=period, tx=None: store.callbacks_by_analyst(
                tx, p.since, p.until),
            "contract_cases": lambda p=period, tx=None: store.contract_cases(
                tx, p.since, p.until),
        }
        for name, query in queries.items():
            with transaction(engine) as tx:
                median, slowest, result = timed(rounds, lambda q=query, t=tx: q(tx=t))
            click.echo(f"  {period.key:<5} {name:<22} {median:8.1f} {slowest:8.1f}"
                       f"   {size(result)}")
    with transaction(engine) as tx:
        median, slowest, result = timed(rounds, lambda: dashboard.callback_queue(tx, now))
    click.echo(f"  now   {'callback_queue':<22} {median:8.1f} {slowest:8.1f}"
               f"   {result.waiting:,} waiting, {result.overdue:,} overdue")
    with transaction(engine) as tx:
        median, slowest, _ = timed(rounds, lambda: [
            dashboard.figures(tx, schedule, p, now) for p in dashboard.periods(now)]
            + [dashboard.callback_queue(tx, now)])
    click.echo(f"  page  {'whole dashboard':<22} {median:8.1f} {slowest:8.1f}")
    with transaction(engine) as tx:
        median, slowest, wall = timed(rounds, lambda: dashboard.wall(tx, now))
    click.echo(f"  page  {'wallboard':<22} {median:8.1f} {slowest:8.1f}"
               f"   {len(wall.seats)} analysts")


if __name__ == "__main__":
    dashboard_command(prog_name="python -m bench.dashboard")
