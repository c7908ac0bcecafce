"""Waves of calls against the line, and the same requests replayed against the baseline.

Besides the driver's timings, every stage reads the CPU time the server's processes (and, on
PostgreSQL, the database's backends) used while it ran: since a stage holds one webhook only,
that divided by its requests is the webhook's cost on the server, noise from other load aside.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field

from bench.driver import Driver, Signer, StageRun, children, postgres_backends, process_cpu
from bench.flows import FLOWS, Call, CallFactory, OffPath, Step, describe, is_apology, parse


@dataclass
class Target:
    """A server under test: where it listens, how to sign for it, its processes."""

    name: str
    signer: Signer
    driver: Driver
    master_pid: int
    pg_database: str | None = None

    def server_pids(self) -> list[int]:
        """gunicorn's master and its workers."""
        return [self.master_pid, *children(self.master_pid)]

    def pg_pids(self) -> list[int]:
        """The database's backends (PostgreSQL only)."""
        return postgres_backends(self.pg_database) if self.pg_database else []


@dataclass
class StageStats:
    """One step of one wave: requests, failures, latencies, time and server CPU."""

    label: str
    flow: str
    view: str
    n: int = 0
    wall: float = 0.0
    latencies: list[float] = field(default_factory=list)
    http_errors: int = 0
    apologies: int = 0
    off_path: int = 0
    server_cpu: float = 0.0
    pg_cpu: float = 0.0
    driver_cpu: float = 0.0
    examples: list[str] = field(default_factory=list)
    analyst_clashes: int = 0  # two calls of one chunk ringing the same analyst

    @property
    def rps(self) -> float:
        """Requests per second over the stage's wall time."""
        return self.n / self.wall if self.wall > 0 else 0.0

    def add(self, run: StageRun, server_cpu: float, pg_cpu: float) -> None:
        """Fold one timed run (a whole stage, or one chunk of it) in."""
        self.n += len(run.statuses)
        self.wall += run.wall
        self.latencies += run.latencies
        self.server_cpu += server_cpu
        self.pg_cpu += pg_cpu
        self.driver_cpu += run.driver_cpu
        bad = [s for s in run.statuses if s not in (200, 204)]
        self.http_errors += len(bad)
        for status, count in Counter(bad).items():
            self.note(f"HTTP {status} x{count}")
        for error in run.errors[:3]:
            self.note(error)

    def note(self, text: str) -> None:
        """Keep a few examples of what went wrong."""
        if len(self.examples) < 5 and text not in self.examples:
            self.examples.append(text)


@dataclass
class Plan:
    """The requests one wave made, stage by stage, to replay against the baseline."""

    flow: str
    stages: list[tuple[Step, list[list[tuple[str, dict[str, str]]]]]] = field(default_factory=list)


def _groups(steps: tuple[Step, ...]) -> list[list[Step]]:
    """Consecutive put-through steps form one group; every other step is alone."""
    groups: list[list[Step]] = []
    for step in steps:
        if step.chunked and groups and groups[-1][0].chunked:
            groups[-1].append(step)
        else:
            groups.append([step])
    return groups


async def _timed(target: Target, requests: list[bytes], concurrency: int,
                 pg_pids: list[int]) -> tuple[StageRun, float, float]:
    """Run requests with the server's and the database's CPU time read around them."""
    pids = target.server_pids()
    cpu0, pg0 = process_cpu(pids), process_cpu(pg_pids)
    run = await target.driver.stage(requests, concurrency)
    return run, process_cpu(pids) - cpu0, process_cpu(pg_pids) - pg0


async def app_wave(target: Target, factory: CallFactory, flow: str, calls_n: int,
                   concurrency: int, chunk: int) -> tuple[list[StageStats], Plan]:
    """Take N new calls of a flow through every step; check each answer; keep the requests."""
    calls = [factory.make(flow) for _ in range(calls_n)]
    plan = Plan(flow)
    results: dict[str, StageStats] = {}
    pg_pids = target.pg_pids()
    for group in _groups(FLOWS[flow]):
        for step in group:
            results[step.label] = StageStats(step.label, flow, step.view)
            plan.stages.append((step, []))
        active = [c for c in calls if c.off_path is None or group[0].always]
        size = chunk if group[0].chunked else max(1, len(active))
        for start in range(0, len(active), size):
            members = active[start:start + size]
            for step in group:
                members = [c for c in members if c.off_path is None or step.always]
                if not members:
                    continue
                made = [step.request(c) for c in members]
                plan_chunks = next(p for s, p in plan.stages if s is step)
                plan_chunks.append(made)
                encoded = [target.signer.encode(path, params) for path, params in made]
                run, cpu, pg_cpu = await _timed(target, encoded, concurrency, pg_pids)
                stats = results[step.label]
                stats.add(run, cpu, pg_cpu)
                _check(step, stats, members, run)
                if step.label == "B connect (put-through)":
                    phones = Counter(c.analyst_phone for c in members
                                     if c.off_path is None and c.analyst_phone)
                    stats.analyst_clashes += sum(n - 1 for n in phones.values() if n > 1)
    return list(results.values()), plan


def _check(step: Step, stats: StageStats, members: list[Call], run: StageRun) -> None:
    """Follow each answer as Twilio would; count apologies and answers off the flow."""
    for call, status, body in zip(members, run.statuses, run.bodies, strict=True):
        if status not in (200, 204):
            call.off_path = call.off_path or step.label
            continue
        if step.check is None:
            if status != 204:
                stats.off_path += 1
                stats.note(f"expected 204, got {status}")
            continue
        try:
            root = parse(body)
            if is_apology(root):
                stats.apologies += 1
                stats.note("apology (the error handler answered)")
                call.off_path = step.label
                continue
            step.check(call, root)
        except OffPath as error:
            stats.off_path += 1
            stats.note(f"{error}: got {describe(root)}"[:240])
            call.off_path = step.label
        except Exception as error:  # noqa: BLE001 - an unparsable answer is an error to count
            stats.http_errors += 1
            stats.note(f"unreadable answer: {type(error).__name__}: {error}"[:200])
            call.off_path = step.label


async def baseline_wave(target: Target, plan: Plan, concurrency: int,
                        repeat: int) -> list[StageStats]:
    """The same requests, stage by stage and chunk by chunk, `repeat` times each."""
    results = []
    for step, chunks in plan.stages:
        stats = StageStats(step.label, plan.flow, step.view)
        for made in chunks:
            encoded = [target.signer.encode(path, params) for path, params in made] * repeat
            run, cpu, _pg = await _timed(target, encoded, concurrency, [])
            stats.add(run, cpu, 0.0)
        results.append(stats)
    return results


def wave_rps(stages: list[StageStats]) -> float:
    """Requests per second over a whole wave."""
    wall = sum(s.wall for s in stages)
    return sum(s.n for s in stages) / wall if wall else 0.0


def median(values: list[float]) -> float:
    """The median, or NaN for nothing."""
    return statistics.median(values) if values else float("nan")
