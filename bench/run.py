"""`make bench` (or `python -m bench.run`): the line's webhooks against a constant baseline.

For each database (SQLite file, PostgreSQL database `ivr_bench`) and size (1,000 and
1,000,000 cases) the database is made anew and seeded (`python -m bench.seed`), the
line is served by gunicorn with the project's `gunicorn.conf.py` on 127.0.0.1 next to the
baseline app (`bench/baseline.py`) under the same settings, both pinned to one core while this
driver runs on the other, and complete call flows are replayed at each concurrency: app
window, baseline window, app, baseline … Every figure is also given as a ratio to the baseline
of the same window pair. Results: bench/RESULTS.md (and bench/out/results.json).

    make bench                                  # the full run (about 8 minutes)
    make bench BENCH_ARGS=--quick               # 1,000 cases, concurrency 8, short windows
    python -m bench.run --databases sqlite --sizes 1000 --concurrency 8,32 --pairs 2
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import platform
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from bench import profile as profiler
from bench.driver import Driver, Signer, children, percentile
from bench.flows import FLOW_A, FLOW_B, FLOWS, CallFactory
from bench.invariants import Sampler, after_run
from bench.report import write_results
from bench.waves import Target, app_wave, baseline_wave, median, wave_rps

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PG_DATABASE = "ivr_bench"
STEPS = len(FLOW_A) + len(FLOW_B)
# What the line logs when a webhook fails and the caller hears the apology.
FAILURE_MARKS = (b"webhook failed", b"database unavailable in")
# Without a gunicorn.conf.py: what it would say (sync workers, Twilio-sized timeouts).
FALLBACK_FLAGS = ["--worker-class", "sync", "--timeout", "10", "--graceful-timeout", "15"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgresql,postgresql-socket",
                        help="comma-separated: sqlite, postgresql (over TCP, --pg-url), "
                             "postgresql-socket (the same server over its local socket, "
                             "--pg-socket-url; left out when the socket is not there)")
    parser.add_argument("--sizes", default="1000,1000000", help="cases seeded, comma-separated")
    parser.add_argument("--concurrency", default="8,32", help="connections, comma-separated")
    parser.add_argument("--pairs", type=int, default=4, help="app/baseline window pairs")
    parser.add_argument("--window", type=float, default=6.0,
                        help="target seconds of one app window (flow A and flow B waves)")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: one threaded process per server core, "
                             "the one core the servers are pinned to)")
    parser.add_argument("--analysts", type=int, default=80, help="available analysts seeded")
    parser.add_argument("--chunk", type=int, default=64,
                        help="calls put through at once (fewer than the analysts)")
    parser.add_argument("--quick", action="store_true",
                        help="1,000 cases, concurrency 8, 2 short pairs, no profile")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=None,
                        help="py-spy profile at the largest size (default: on, off with --quick)")
    parser.add_argument("--profile-seconds", type=int, default=20)
    parser.add_argument("--pg-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (no database part; a local socket as "
             "postgresql://postgres@?host=/var/run/postgresql); the run drops and creates "
             "ivr_bench")
    parser.add_argument("--pg-socket-url", default=os.environ.get(
        "BENCH_POSTGRES_SOCKET_URL", "postgresql://postgres@?host=/var/run/postgresql"),
        help="the same server over its local socket (database postgresql-socket)")
    parser.add_argument("--gunicorn-config", default=str(ROOT / "gunicorn.conf.py"),
                        help="used with -c when it exists; bind and workers are overridden")
    parser.add_argument("--results", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--reuse", action="store_true",
                        help="keep a database already seeded at that size (faster reruns)")
    parser.add_argument("--floor", action=argparse.BooleanOptionalAction, default=True,
                        help="also serve bench/floor.py (signature, the call's row, a log line, "
                             "constant TwiML) and measure it against the baseline")
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.concurrency, args.pairs, args.window = "1000", "8", 2, 3.0
    if args.profile is None:
        args.profile = not args.quick
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    unknown = set(args.databases) - {"sqlite", "postgresql", "postgresql-socket"}
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    socket_dir = dict(parse_qsl(urlsplit(args.pg_socket_url).query)).get("host", "")
    if "postgresql-socket" in args.databases and not Path(socket_dir).is_dir():
        log(f"no PostgreSQL socket directory {socket_dir!r}: postgresql-socket left out")
        args.databases.remove("postgresql-socket")
    if args.chunk >= args.analysts:
        parser.error("--chunk must be smaller than --analysts (every caller finds one free)")
    return args


def log(message: str) -> None:
    """Progress on the terminal."""
    print(message, flush=True)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def machine() -> dict:
    """CPU model, cores, memory, kernel and load."""
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False)
    return {"cpu": model, "nproc": nproc.stdout.strip() or str(os.cpu_count()),
            "memory": memory, "kernel": platform.release(), "python": platform.python_version(),
            "loadavg_start": Path("/proc/loadavg").read_text().split()[:3]}


def git_revision() -> str:
    """The checked-out commit, and whether the tree has local changes (read-only)."""
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                         text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                           text=True, check=False).stdout.strip()
    return f"{rev}{' with uncommitted changes' if dirty else ''}" if rev else "unknown"


class Servers:
    """gunicorn processes started by this run, each pinned to the server core."""

    def __init__(self, args: argparse.Namespace, pin: int | None, workers: int):
        """The settings every server shares."""
        self.args, self.pin, self.workers = args, pin, workers
        config = Path(args.gunicorn_config)
        self.config = config if config.exists() else None
        self.running: list[subprocess.Popen] = []

    def command(self, app_spec: str, port: int) -> list[str]:
        """The gunicorn command line (taskset first when pinning)."""
        cmd = ["taskset", "-c", str(self.pin)] if self.pin is not None else []
        cmd += [str(BIN / "gunicorn")]
        cmd += ["-c", str(self.config)] if self.config else FALLBACK_FLAGS
        return cmd + ["--bind", f"{HOST}:{port}", "--workers", str(self.workers),
                      "--chdir", str(ROOT), app_spec]

    def start(self, name: str, app_spec: str, env: dict, log_path: Path) -> tuple[int, int]:
        """Start a server, wait until every worker answers; return (pid, port)."""
        port = free_port()
        with open(log_path, "ab") as log_file:
            process = subprocess.Popen(self.command(app_spec, port), env=env, cwd=ROOT,
                                       stdout=log_file, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.running.append(process)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} server exited ({process.returncode}); see {log_path}")
            if len(children(process.pid)) >= self.workers and _answers(port):
                time.sleep(1.0)  # the other workers finish importing the app
                return process.pid, port
            time.sleep(0.2)
        raise RuntimeError(f"{name} server did not answer within 90 s; see {log_path}")

    def stop(self, pid: int) -> None:
        """Stop one server (its master; gunicorn stops its workers)."""
        for process in self.running:
            if process.pid == pid and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.running = [p for p in self.running if p.pid != pid]

    def stop_all(self) -> None:
        """Stop whatever this run started."""
        for process in list(self.running):
            self.stop(process.pid)


def _answers(port: int) -> bool:
    """Whether something answers HTTP on the port."""
    try:
        with socket.create_connection((HOST, port), timeout=2) as sock:
            sock.sendall(b"GET /bench-ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/1.")
    except OSError:
        return False


def affinity(pid: int) -> str:
    """A process's CPU affinity, as a list of cores."""
    try:
        return ",".join(str(c) for c in sorted(os.sched_getaffinity(pid)))
    except OSError:
        return "?"


def prepare_database(kind: str, args: argparse.Namespace, size: int) -> tuple[str, str, bool]:
    """A new empty database; returns (DATABASE_URL, sampler target, reused)."""
    marker = OUT / f"seeded-{kind}.json"
    if kind == "sqlite":
        path = OUT / "ivr_bench.sqlite3"
        url = f"sqlite:///{path}"
        if args.reuse and marker.exists() and json.loads(marker.read_text()).get("size") == size:
            return url, str(path), True
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return url, str(path), False
    import psycopg

    server = args.pg_socket_url if kind == "postgresql-socket" else args.pg_url
    url = pg_database_url(server, PG_DATABASE)
    if args.reuse and marker.exists() and json.loads(marker.read_text()).get("size") == size:
        return url, url, True
    with psycopg.connect(pg_database_url(server, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    return url, url, False


def pg_database_url(server: str, database: str) -> str:
    """The URL of one database on the server: "postgresql://u@127.0.0.1:5432" or, over the
    local socket, "postgresql://u@?host=/var/run/postgresql" (the database goes before "?")."""
    base, sep, query = server.partition("?")
    return f"{base.rstrip('/')}/{database}{sep}{query}"


def seed(kind: str, url: str, size: int, args: argparse.Namespace, numbers: Path) -> dict:
    """Run `python -m bench.seed`; its output goes to the terminal too."""
    env = server_env(url, token=secrets.token_hex(8))
    env["IVR_ENV"] = "development"  # seeding needs no token
    cmd = [sys.executable, "-m", "bench.seed", "--cases", str(size),
           "--analysts", str(args.analysts), "--numbers-file", str(numbers), "--reset"]
    log(f"$ DATABASE_URL={url} python {shlex.join(cmd[1:])}")
    started = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=ROOT, check=True)
    info = json.loads(numbers.read_text())
    (OUT / f"seeded-{kind}.json").write_text(json.dumps({"size": size}))
    return {"seconds": round(time.perf_counter() - started, 1),
            "cases_per_second": round(size / max(info["seed_seconds"], 1e-9)),
            "timings": info["timings"]}


def server_env(database_url: str, token: str) -> dict:
    """The environment of the line's server: production mode, a token, the bench database."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PUBLIC_BASE_URL", "PROXY_HOPS", "GUNICORN_BIND", "GUNICORN_WORKERS",
                        "WEB_CONCURRENCY", "GUNICORN_THREADS")}
    env.update(IVR_ENV="production", TWILIO_AUTH_TOKEN=token, SECRET_KEY=secrets.token_hex(16),
               DATABASE_URL=database_url, SPOOL_DIR=str(OUT / "spool"))
    return env


def failure_examples(path: Path, limit: int = 5) -> list[str]:
    """The steps and exceptions of the webhooks that failed (the app logs JSON lines)."""
    found: dict[str, int] = {}
    if not path.exists():
        return []
    with open(path, "rb") as handle:
        for line in handle:
            if not any(needle in line for needle in FAILURE_MARKS):
                continue
            try:
                record = json.loads(line[line.index(b"{"):])
            except ValueError:
                continue
            error = (record.get("error") or "").strip().splitlines()
            key = f"{record.get('msg', '')}: {error[-1] if error else '?'}"[:300]
            found[key] = found.get(key, 0) + 1
    return [f"{key} (x{count})" for key, count in sorted(found.items(), key=lambda kv: -kv[1])
            ][:limit]


def count_in(path: Path, *needles: bytes) -> int:
    """Lines of a log containing any of the strings."""
    if not path.exists():
        return 0
    with open(path, "rb") as handle:
        return sum(1 for line in handle if any(needle in line for needle in needles))


async def driver_ceiling(servers: Servers, concurrency: list[int], token: str) -> dict:
    """The driver against a bare asyncio server on the server core: what it can push."""
    port = free_port()
    cmd = ["taskset", "-c", str(servers.pin)] if servers.pin is not None else []
    process = subprocess.Popen(cmd + [sys.executable, "-m", "bench.baseline", "--raw", str(port)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        for _ in range(100):
            if _answers(port):
                break
            await asyncio.sleep(0.1)
        signer = Signer(token, HOST, port)
        factory = CallFactory(["1234567"], ["7654321"], ["Empresa"])
        call = factory.make("A")
        request = signer.encode("/voice/incoming", call.params("ringing"))
        result = {}
        for conc in concurrency:
            driver = Driver(HOST, port, conc)
            await driver.stage([request] * 2000, conc)  # warm
            runs = [await driver.stage([request] * 8000, conc) for _ in range(2)]
            best = max(runs, key=lambda r: len(r.statuses) / r.wall)
            rps = len(best.statuses) / best.wall
            busy = best.driver_cpu / best.wall
            # The bare server shares its core with whatever else runs: what the driver could
            # do with its whole core is its CPU per request, inverted.
            result[conc] = {"rps": round(rps), "driver_cpu": round(busy, 2),
                            "capacity": round(rps / busy) if busy > 0 else None}
            driver.close()
        return result
    finally:
        process.terminate()
        process.wait(timeout=10)


async def measure(ctx: dict, kind: str, size: int, app: Target, base: Target,
                  factory: CallFactory, conc: int, floor: Target | None = None) -> dict:
    """Warm up, size the windows, then the app/baseline pairs at one concurrency (with the
    floor app's window after the baseline's, on the same requests, when it is served)."""
    args = ctx["args"]
    chunk = args.chunk
    warm = max(conc, 16)
    a_stats, a_plan = await app_wave(app, factory, "A", warm, conc, chunk)
    b_stats, b_plan = await app_wave(app, factory, "B", warm, conc, chunk)
    app_rps = wave_rps(a_stats + b_stats)
    base_stats = (await baseline_wave(base, a_plan, conc, 1)
                  + await baseline_wave(base, b_plan, conc, 1))
    base_rps = wave_rps(base_stats)
    # At least a burst of `conc` calls and a few more per step; the baseline window replays
    # each request up to 3 times, to be measured over about half the app window or more.
    calls = int(min(max(args.window * app_rps / STEPS, conc + 16, 32), 1500))
    repeat = int(min(max(round(base_rps / max(app_rps, 1e-9) / 2), 1), 3))
    log(f"  c={conc}: warm-up {app_rps:,.0f} req/s (app) vs {base_rps:,.0f} (baseline): "
        f"{calls} calls per flow and window, baseline replays each request x{repeat}")
    pairs = []
    for number in range(1, args.pairs + 1):
        a_stats, a_plan = await app_wave(app, factory, "A", calls, conc, chunk)
        b_stats, b_plan = await app_wave(app, factory, "B", calls, conc, chunk)
        base_a = await baseline_wave(base, a_plan, conc, repeat)
        base_b = await baseline_wave(base, b_plan, conc, repeat)
        app_all, base_all = a_stats + b_stats, base_a + base_b
        pair = {"app": app_all, "base": base_all}
        floor_note = ""
        if floor is not None:
            pair["floor"] = (await baseline_wave(floor, a_plan, conc, 1)
                             + await baseline_wave(floor, b_plan, conc, 1))
            floor_note = (f" | floor {wave_rps(pair['floor']):7,.0f} req/s, "
                          f"{sum(s.http_errors for s in pair['floor'])} errors")
        pairs.append(pair)
        bad = sum(s.http_errors + s.apologies + s.off_path for s in app_all)
        log(f"    pair {number}: app {wave_rps(app_all):7,.0f} req/s in "
            f"{sum(s.wall for s in app_all):5.1f} s | baseline {wave_rps(base_all):7,.0f} req/s "
            f"in {sum(s.wall for s in base_all):5.1f} s | problems {bad}{floor_note}")
    return {"db": kind, "size": size, "concurrency": conc, "calls": calls, "repeat": repeat,
            "pairs": pairs}


def summarise(config: dict) -> dict:
    """Per webhook: medians over pairs of throughput and its ratio; pooled latencies."""
    labels = [s.label for s in config["pairs"][0]["app"]]
    rows = []
    for index, label in enumerate(labels):
        app = [p["app"][index] for p in config["pairs"]]
        base = [p["base"][index] for p in config["pairs"]]
        ratios = [a.rps / b.rps for a, b in zip(app, base, strict=True) if b.rps and a.n]
        app_lat = sorted(x for s in app for x in s.latencies)
        base_lat = sorted(x for s in base for x in s.latencies)
        row = {
            "label": label, "flow": app[0].flow, "view": app[0].view,
            "ratio": median(ratios), "ratio_min": min(ratios, default=float("nan")),
            "ratio_max": max(ratios, default=float("nan")),
            "app_rps": median([s.rps for s in app if s.n]),
            "base_rps": median([s.rps for s in base if s.n]),
            "requests": sum(s.n for s in app),
            "errors": sum(s.http_errors + s.apologies for s in app),
            "base_errors": sum(s.http_errors for s in base),
            "off_path": sum(s.off_path for s in app),
            "clashes": sum(s.analyst_clashes for s in app),
            "cpu_ms": median([s.server_cpu / s.n * 1000 for s in app if s.n]),
            "pg_ms": median([s.pg_cpu / s.n * 1000 for s in app if s.n]),
            "base_cpu_ms": median([s.server_cpu / s.n * 1000 for s in base if s.n]),
            # What the throughput ratio would be on a core of its own, if CPU-bound: the
            # baseline's CPU per request over the line's (the database's CPU included).
            "cpu_ratio": median([(b.server_cpu / b.n) / ((a.server_cpu + a.pg_cpu) / a.n)
                                 for a, b in zip(app, base, strict=True)
                                 if a.n and b.n and a.server_cpu + a.pg_cpu > 0]),
            "examples": sorted({e for s in app for e in s.examples})[:5],
        }
        for q in (50, 95, 99):
            row[f"app_p{q}"] = percentile(app_lat, q) * 1000
            row[f"base_p{q}"] = percentile(base_lat, q) * 1000
        rows.append(row)
    driver_use = [s.driver_cpu / s.wall for p in config["pairs"] for s in p["base"] if s.wall]
    base_n = sum(s.n for p in config["pairs"] for s in p["base"])
    base_driver_cpu = sum(s.driver_cpu for p in config["pairs"] for s in p["base"])
    flows = {}
    for flow in FLOWS:
        mine = [r for r in rows if r["flow"] == flow]
        slowest = min(mine, key=lambda r: r["ratio"])
        flows[flow] = {"median_ratio": median([r["ratio"] for r in mine]),
                       "slowest": slowest["label"], "slowest_ratio": slowest["ratio"],
                       "max_p99": max(r["app_p99"] for r in mine)}
    all_app = [s for p in config["pairs"] for s in p["app"]]
    all_base = [s for p in config["pairs"] for s in p["base"]]
    floor = None
    if all("floor" in p for p in config["pairs"]):
        # The floor app (bench/floor.py) on every request of the pair's windows, against the
        # baseline on the same requests: the most any webhook keeping its call's row can reach.
        floor = {"ratio": median([wave_rps(p["floor"]) / wave_rps(p["base"])
                                  for p in config["pairs"] if wave_rps(p["base"])]),
                 "rps": median([wave_rps(p["floor"]) for p in config["pairs"]]),
                 "cpu_ms": median([sum(s.server_cpu for s in p["floor"]) * 1000
                                   / max(sum(s.n for s in p["floor"]), 1)
                                   for p in config["pairs"]]),
                 "errors": sum(s.http_errors for p in config["pairs"] for s in p["floor"])}
    return {"rows": rows, "flows": flows, "floor": floor,
            "median_ratio": median([r["ratio"] for r in rows]),
            "app_rps": wave_rps(all_app), "base_rps": wave_rps(all_base),
            "driver_busy_in_baseline": median(driver_use),
            "driver_busy_max": max(driver_use, default=0.0),
            # Requests/s the driver could make with its whole core, as it talked to the baseline
            # (a new connection per request when the server closes them).
            "driver_capacity": base_n / base_driver_cpu if base_driver_cpu else None}


async def profile_config(ctx: dict, kind: str, app: Target, factory: CallFactory,
                         conc: int, calls: int) -> dict:
    """py-spy on the line's workers while full flows run; then the summary."""
    args = ctx["args"]
    raw = OUT / f"profile-{kind}.txt"
    raw.unlink(missing_ok=True)
    rate = 200
    recorder = profiler.start(app.master_pid, args.profile_seconds, raw, rate)
    await asyncio.sleep(1.0)  # py-spy attaches to every worker
    requests: dict[str, float] = {}
    started = time.monotonic()
    while recorder.poll() is None and time.monotonic() - started < args.profile_seconds + 30:
        for flow in ("A", "B"):
            stats, _plan = await app_wave(app, factory, flow, calls, conc, args.chunk)
            for s in stats:
                requests[s.view] = requests.get(s.view, 0) + s.n
    recorder.wait(timeout=60)
    # The waves ran a little longer than the recording: count requests pro rata.
    scale = min(1.0, args.profile_seconds / max(time.monotonic() - started, 1e-9))
    requests = {k: v * scale for k, v in requests.items()}
    if not raw.exists():
        error = recorder.stderr.read().decode(errors="replace") if recorder.stderr else ""
        return {"error": f"py-spy wrote nothing: {error.strip()[:300]}"}
    return profiler.summarise(raw, rate, requests)


async def run(args: argparse.Namespace) -> dict:
    """Everything: servers, ceiling, each database and size, profile; results as a dict."""
    OUT.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    cores = sorted(os.sched_getaffinity(0))
    pin = cores[0] if len(cores) >= 2 and shutil.which("taskset") else None
    driver_core = cores[1] if pin is not None else None
    # The config's own rule for the cores the servers get: one threaded process per core.
    workers = args.workers or (1 if pin is not None else len(cores))
    servers = Servers(args, pin, workers)
    ctx = {"args": args}
    results: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python -m bench.run " + shlex.join(sys.argv[1:]),
        "revision": git_revision(), "machine": machine(), "configs": [], "seeding": [],
        "gunicorn": {"config": str(servers.config.relative_to(ROOT)) if servers.config else None,
                     "command": shlex.join(servers.command("APP", 0)), "workers": workers},
        "pinning": None, "profiles": {},
    }
    schedule_cache = ROOT / "instance" / "schedule-cache.json"
    saved_cache = schedule_cache.read_bytes() if schedule_cache.exists() else None
    started = time.monotonic()
    try:
        base_pid, base_port = servers.start("baseline", "bench.baseline:app",
                                            server_env("sqlite://", token),
                                            OUT / "server-baseline.log")
        if pin is not None:
            os.sched_setaffinity(0, {driver_core})
        pinning = {"server_core": pin, "driver_core": driver_core,
                   "baseline_master": affinity(base_pid),
                   "baseline_workers": [affinity(p) for p in children(base_pid)],
                   "driver": affinity(0)}
        results["pinning"] = pinning
        if pin is not None:
            log(f"pinning: servers on core {pin} (taskset; baseline master {affinity(base_pid)}, "
                f"workers {pinning['baseline_workers']}), driver on core {driver_core}; "
                "PostgreSQL not pinned (it shares both cores)")
        else:
            log("pinning: not possible here (fewer than two cores or no taskset); unpinned")
        log(f"gunicorn: {results['gunicorn']['command']}")
        results["ceiling"] = await driver_ceiling(servers, args.concurrency, token)
        log(f"driver ceiling against a bare asyncio server: {results['ceiling']}")
        for kind in args.databases:
            for size in args.sizes:
                os.sched_setaffinity(0, set(cores))  # seeding may use both cores
                log(f"\n== {kind}, {size:,} cases ==")
                url, target, reused = prepare_database(kind, args, size)
                numbers = OUT / f"numbers-{kind}.json"
                if reused:
                    log("  reusing the database seeded before (--reuse)")
                else:
                    info = seed(kind, url, size, args, numbers)
                    results["seeding"].append({"db": kind, "size": size, **info})
                sample = json.loads(numbers.read_text())
                log_path = OUT / f"server-app-{kind}-{size}.log"
                log_path.unlink(missing_ok=True)
                app_pid, app_port = servers.start("app", "wsgi:app", server_env(url, token),
                                                  log_path)
                if pin is not None:
                    os.sched_setaffinity(0, {driver_core})
                pinning.setdefault("app_workers", [affinity(p) for p in children(app_pid)])
                floor = None
                if args.floor:
                    floor_pid, floor_port = servers.start(
                        "floor", "bench.floor:app", server_env(url, token),
                        OUT / f"server-floor-{kind}-{size}.log")
                    floor = Target("floor", Signer(token, HOST, floor_port),
                                   Driver(HOST, floor_port, max(args.concurrency)), floor_pid)
                    if pin is not None:
                        os.sched_setaffinity(0, {driver_core})
                app = Target("app", Signer(token, HOST, app_port),
                             Driver(HOST, app_port, max(args.concurrency)), app_pid,
                             PG_DATABASE if kind != "sqlite" else None)
                base = Target("baseline", Signer(token, HOST, base_port),
                              Driver(HOST, base_port, max(args.concurrency)), base_pid)
                factory = CallFactory(sample["existing"], sample["missing"],
                                      sample["companies"])
                # Legs made before this run (a --reuse) are not the run's.
                seeded_max = _max_leg(kind, target)
                seeded_cases = _max_case(kind, target)
                sampler = Sampler(kind, target, seeded_max)
                measured = []
                try:
                    for conc in args.concurrency:
                        measured.append(await measure(ctx, kind, size, app, base, factory, conc,
                                                      floor))
                finally:
                    watch = sampler.finish()
                after = after_run(kind, target, seeded_max, seeded_cases)
                failed = count_in(log_path, *FAILURE_MARKS)
                boots = count_in(log_path, b"Booting worker")
                failures = failure_examples(log_path)
                for config in measured:
                    config["summary"] = summarise(config)
                    config["invariants"] = {"sampler": watch, "after": after,
                                            "logged_failures": failed,
                                            "failure_examples": failures,
                                            "worker_boots": boots}
                    results["configs"].append(config)
                    _print_config(config)
                if args.profile and size == max(args.sizes):
                    conc = min(args.concurrency)
                    log(f"  profiling with py-spy for {args.profile_seconds} s at c={conc} …")
                    results["profiles"][kind] = await profile_config(
                        ctx, kind, app, factory, conc, max(2 * conc, 32))
                app.driver.close()
                base.driver.close()
                servers.stop(app_pid)
                if floor is not None:
                    floor.driver.close()
                    servers.stop(floor.master_pid)
                    if not args.keep_logs:
                        (OUT / f"server-floor-{kind}-{size}.log").unlink(missing_ok=True)
                if not args.keep_logs:
                    log_path.unlink(missing_ok=True)
    finally:
        servers.stop_all()
        os.sched_setaffinity(0, set(cores))
        if not args.keep_logs:
            (OUT / "server-baseline.log").unlink(missing_ok=True)
        if saved_cache is not None:
            schedule_cache.write_bytes(saved_cache)
    results["machine"]["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    results["minutes"] = round((time.monotonic() - started) / 60, 1)
    return results


def _max_leg(kind: str, target: str) -> int:
    """The largest dial-attempt id now."""
    return _scalar(kind, target, "SELECT COALESCE(MAX(id), 0) FROM dial_attempts")


def _max_case(kind: str, target: str) -> int:
    """The largest case id now."""
    return _scalar(kind, target, "SELECT COALESCE(MAX(id), 0) FROM cases")


def _scalar(kind: str, target: str, sql: str) -> int:
    """One number from the bench database."""
    if kind != "sqlite":
        import psycopg

        with psycopg.connect(target) as conn:
            return conn.execute(sql).fetchone()[0]
    import sqlite3

    conn = sqlite3.connect(target)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def _print_config(config: dict) -> None:
    """One configuration's per-webhook table on the terminal."""
    s = config["summary"]
    log(f"\n  {config['db']} {config['size']:,} cases, c={config['concurrency']}: app "
        f"{s['app_rps']:,.0f} req/s, baseline {s['base_rps']:,.0f} req/s; median ratio "
        f"{s['median_ratio']:.2f} (A {s['flows']['A']['median_ratio']:.2f}, "
        f"B {s['flows']['B']['median_ratio']:.2f})")
    log(f"  {'webhook':<34} {'ratio':>6} {'app/s':>7} {'base/s':>7} {'p50':>6} {'p95':>6} "
        f"{'p99':>6} {'cpu ms':>6} {'pg ms':>6} {'cpu r':>5} {'err':>4} {'off':>4}")
    for r in s["rows"]:
        log(f"  {r['label']:<34} {r['ratio']:6.2f} {r['app_rps']:7,.0f} {r['base_rps']:7,.0f} "
            f"{r['app_p50']:6.1f} {r['app_p95']:6.1f} {r['app_p99']:6.1f} {r['cpu_ms']:6.2f} "
            f"{r['pg_ms']:6.2f} {r['cpu_ratio']:5.2f} {r['errors']:4} {r['off_path']:4}")
    if s.get("floor"):
        f = s["floor"]
        log(f"  floor (signature, the call's row, a log line): {f['rps']:,.0f} req/s, ratio "
            f"{f['ratio']:.2f}, server CPU {f['cpu_ms']:.2f} ms/req, errors {f['errors']}")
    inv = config["invariants"]
    log(f"  invariants: sampler {inv['sampler'].get('samples')} samples, "
        f"{len(inv['sampler'].get('violations', []))} violations; after: {inv['after']}; "
        f"logged failures {inv['logged_failures']}, worker boots {inv['worker_boots']}")


def _jsonable(value):
    """Dataclasses and tuples as plain JSON."""
    if hasattr(value, "__dataclass_fields__"):
        data = asdict(value)
        data.pop("latencies", None)
        return data
    raise TypeError(type(value).__name__)


def _lock() -> object:
    """One benchmark at a time: two runs would drop each other's databases mid-measurement."""
    OUT.mkdir(parents=True, exist_ok=True)
    handle = open(OUT / ".lock", "a+")  # noqa: SIM115 - held for the whole run
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        raise SystemExit(f"error: another benchmark is running (pid {holder}); it uses the same "
                         f"databases ({OUT.relative_to(ROOT)}, PostgreSQL {PG_DATABASE})") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _stop_on_term(_signum, _frame) -> None:
    """SIGTERM ends the run through its cleanup (the servers are stopped)."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run, then write bench/RESULTS.md and bench/out/results.json."""
    args = parse_args(argv)
    lock = _lock()
    signal.signal(signal.SIGTERM, _stop_on_term)
    results = asyncio.run(run(args))
    lock.close()
    for config in results["configs"]:
        config.pop("pairs", None)  # raw latencies: summarised already
    (OUT / "results.json").write_text(json.dumps(results, indent=1, default=_jsonable))
    write_results(results, Path(args.results))
    log(f"\nresults: {args.results} (and {OUT / 'results.json'}); "
        f"{results['minutes']} minutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
