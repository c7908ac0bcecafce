"""CPU per webhook in process: the line's WSGI app against the baseline's, no HTTP, no threads.

A quick, steady measure for before/after comparisons of one change (the full benchmark,
`make bench`, is the reference): complete signed flows A and B (bench/flows.py) are posted
straight to the WSGI callables, one call at a time, and the CPU time of each webhook is
summed per step; the baseline app answers the same requests. What HTTP and gunicorn add to
both (parsing, the access log, threads) is left out, so these ratios are lower than the
benchmark's.

    python -m bench.micro --database-url sqlite:///bench/out/ivr_bench.sqlite3 \
        --numbers bench/out/numbers-sqlite.json --calls 200 [--profile out.prof]

The database must be seeded first (`python -m bench.seed --numbers-file ...`, or a
`make bench` run, which leaves bench/out/ivr_bench.sqlite3 and numbers-*.json behind).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import secrets
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from twilio.request_validator import RequestValidator
from werkzeug.test import EnvironBuilder

from bench.flows import FLOWS, CallFactory, OffPath, is_apology, parse
from ivr.sim.walker import NotTwiML

HOST = "127.0.0.1:8000"


def environ(validator: RequestValidator, path: str, params: dict[str, str]) -> dict:
    """A signed POST as gunicorn would hand it to the app."""
    signature = validator.compute_signature(f"http://{HOST}{path}", params)
    builder = EnvironBuilder(path=path, method="POST", base_url=f"http://{HOST}", data=params,
                             headers={"X-Twilio-Signature": signature})
    try:
        return builder.get_environ()
    finally:
        builder.close()


def call_app(app, env: dict) -> tuple[float, int, bytes]:
    """Run one request; (CPU seconds, status, body)."""
    status = []

    def start_response(line, _headers, _exc=None):
        status.append(int(line.split(" ", 1)[0]))

    started = time.thread_time()
    chunks = app(env, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return time.thread_time() - started, status[0], body


def run(args: argparse.Namespace) -> dict:
    """Take the calls through both flows; CPU per step for the line and the baseline."""
    token = secrets.token_hex(16)
    out = Path(args.log)
    os.environ.update(IVR_ENV="production", TWILIO_AUTH_TOKEN=token,
                      SECRET_KEY=secrets.token_hex(16), DATABASE_URL=args.database_url,
                      SPOOL_DIR=str(out.parent / "spool-micro"))
    from bench.baseline import app as baseline
    from ivr import create_app

    app = create_app()
    log_file = open(out, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run
    for handler in logging.getLogger("ivr").handlers:  # still formatted and written, to a file
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_file)
    numbers = json.loads(Path(args.numbers).read_text())
    factory = CallFactory(numbers["existing"], numbers["missing"], numbers["companies"],
                          seed=args.seed)
    validator = RequestValidator(token)
    line_cpu: dict[str, list[float]] = defaultdict(list)
    base_cpu: dict[str, list[float]] = defaultdict(list)
    problems = 0
    profiler = cProfile.Profile(time.thread_time) if args.profile else None  # CPU, not waits
    for n in range(args.calls + args.warmup):
        for flow, steps in FLOWS.items():
            call = factory.make(flow)
            for step in steps:
                if call.off_path and not step.always:
                    continue
                path, params = step.request(call)
                env = environ(validator, path, params)
                if profiler and n >= args.warmup:
                    profiler.enable()
                cpu, status, body = call_app(app, env)
                if profiler:
                    profiler.disable()
                ok = status in (200, 204)
                if ok and step.check is not None:
                    try:
                        root_el = parse(body)
                        if is_apology(root_el):
                            raise OffPath("apology")
                        step.check(call, root_el)
                    except (OffPath, NotTwiML) as error:
                        call.off_path = f"{step.label}: {error}"
                        ok = False
                if not ok:
                    problems += 1
                b_cpu, _s, _b = call_app(baseline, environ(validator, path, params))
                if n >= args.warmup:
                    line_cpu[step.label].append(cpu)
                    base_cpu[step.label].append(b_cpu)
    if profiler:
        profiler.dump_stats(args.profile)
    rows = []
    for label, values in line_cpu.items():
        line_us = statistics.median(values) * 1e6
        base_us = statistics.median(base_cpu[label]) * 1e6
        rows.append((label, line_us, base_us, base_us / line_us if line_us else 0.0))
    return {"rows": rows, "problems": problems}


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit non-zero when a webhook failed or left its flow."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--numbers", required=True, help="numbers file written by bench.seed")
    parser.add_argument("--calls", type=int, default=200, help="calls of each flow measured")
    parser.add_argument("--warmup", type=int, default=20, help="calls of each flow not counted")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--profile", help="write a cProfile of the line's requests here")
    parser.add_argument("--log", default="bench/out/micro.log", help="the line's log lines")
    args = parser.parse_args(argv)
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    result = run(args)
    buffer = io.StringIO()
    buffer.write(f"{'webhook':<36} {'line µs':>9} {'base µs':>8} {'ratio':>6}\n")
    for label, line_us, base_us, ratio in result["rows"]:
        buffer.write(f"{label:<36} {line_us:>9.0f} {base_us:>8.0f} {ratio:>6.2f}\n")
    ratios = [r[3] for r in result["rows"]]
    line_all = [r[1] for r in result["rows"]]
    buffer.write(f"median ratio {statistics.median(ratios):.3f}, slowest {min(ratios):.3f}, "
                 f"median line CPU {statistics.median(line_all):.0f} µs, "
                 f"problems {result['problems']}\n")
    sys.stdout.write(buffer.getvalue())
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
