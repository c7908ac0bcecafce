"""bench/RESULTS.md from a run's results: machine, method, targets, tables, invariants, profile."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

TARGET_MEDIAN = 0.5
TARGET_SLOWEST = 0.25
TARGET_P99_MS = 25.0
TARGET_GROWTH = 1.2


def _f(value: float, digits: int = 2) -> str:
    """A number, or a dash for nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _size(n: int) -> str:
    """1,000 → 1k; 1,000,000 → 1M."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return f"{n:,}"


def _ok(flag: bool) -> str:
    """Met or not."""
    return "yes" if flag else "**no**"


def targets(results: dict) -> list[str]:
    """The issue's targets against what was measured."""
    configs = results["configs"]
    if not configs:
        return ["(nothing measured)"]
    sizes = sorted({c["size"] for c in configs})
    big, small = sizes[-1], sizes[0]
    lines = ["| target | database | connections | measured | met |", "|---|---|---|---|---|"]
    for c in configs:
        if c["size"] != big:
            continue
        s = c["summary"]
        for flow in ("A", "B"):
            f = s["flows"][flow]
            lines.append(f"| flow {flow}: median webhook ≥ {TARGET_MEDIAN}× baseline "
                         f"({_size(big)} cases) | {c['db']} | {c['concurrency']} | "
                         f"{_f(f['median_ratio'])}× | {_ok(f['median_ratio'] >= TARGET_MEDIAN)} |")
        slowest = min(s["rows"], key=lambda r: r["ratio"])
        lines.append(f"| slowest webhook ≥ {TARGET_SLOWEST}× ({_size(big)} cases) | {c['db']} | "
                     f"{c['concurrency']} | {_f(slowest['ratio'])}× ({slowest['label']}) | "
                     f"{_ok(slowest['ratio'] >= TARGET_SLOWEST)} |")
    for c in configs:
        if c["concurrency"] != 8:
            continue
        worst = max(c["summary"]["rows"], key=lambda r: r["app_p99"])
        lines.append(f"| p99 ≤ {TARGET_P99_MS:.0f} ms at 8 connections ({_size(c['size'])} "
                     f"cases) | {c['db']} | 8 | {_f(worst['app_p99'], 1)} ms "
                     f"({worst['label']}) | {_ok(worst['app_p99'] <= TARGET_P99_MS)} |")
    if big != small:
        for db, conc, growth in growth_table(configs, small, big):
            worst = max(growth, key=lambda g: g[1])
            worst_cpu = max(growth, key=lambda g: g[2] if not math.isnan(g[2]) else 0)
            lines.append(f"| {_size(big)} within {TARGET_GROWTH}× of {_size(small)} (ratio to "
                         f"baseline, worst webhook; server CPU per request in brackets) | {db} | "
                         f"{conc} | {_f(worst[1])}× ({worst[0]}); CPU {_f(worst_cpu[2])}× "
                         f"({worst_cpu[0]}) | {_ok(worst[1] <= TARGET_GROWTH)} |")
    for c in configs:
        inv = c["invariants"]
        errors = sum(r["errors"] for r in c["summary"]["rows"]) + inv["logged_failures"]
        off = sum(r["off_path"] for r in c["summary"]["rows"])
        clashes = sum(r["clashes"] for r in c["summary"]["rows"])
        bad = (len(inv["sampler"].get("violations", [])) + inv["after"]["overlapping_legs"]
               + inv["after"]["open_legs_left"] + inv["after"]["live_leases_left"] + clashes)
        lines.append(f"| no errors, no double rings ({_size(c['size'])} cases) | {c['db']} | "
                     f"{c['concurrency']} | {errors} errors, {off} off the flow, {bad} routing "
                     f"violations | {_ok(errors == 0 and bad == 0 and off == 0)} |")
    return lines


def growth_table(configs: list[dict], small: int, big: int) -> list[tuple[str, int, list]]:
    """Per database and concurrency: (webhook, ratio at small / ratio at big, CPU growth)."""
    by_key = {(c["db"], c["size"], c["concurrency"]): c for c in configs}
    out = []
    for (db, size, conc), c in by_key.items():
        if size != big or (db, small, conc) not in by_key:
            continue
        small_rows = {r["label"]: r for r in by_key[(db, small, conc)]["summary"]["rows"]}
        growth = []
        for r in c["summary"]["rows"]:
            s = small_rows.get(r["label"])
            if s and r["ratio"] and s["ratio"]:
                cpu = r["cpu_ms"] / s["cpu_ms"] if s["cpu_ms"] else float("nan")
                growth.append((r["label"], s["ratio"] / r["ratio"], cpu))
        out.append((db, conc, growth))
    return out


def config_table(c: dict) -> list[str]:
    """Per webhook, one configuration."""
    s = c["summary"]
    lines = [
        f"### {c['db']}, {_size(c['size'])} cases, {c['concurrency']} connections",
        "",
        f"Waves of {c['calls']} calls per flow; baseline replays each request ×{c['repeat']}. "
        f"Whole windows: app {_f(s['app_rps'], 0)} req/s, baseline {_f(s['base_rps'], 0)} "
        f"req/s. Median ratio over all webhooks {_f(s['median_ratio'])}× (flow A "
        f"{_f(s['flows']['A']['median_ratio'])}×, flow B {_f(s['flows']['B']['median_ratio'])}×).",
        "",
        "| webhook | throughput ratio (min–max) | app req/s | baseline req/s | app p50 / p95 / "
        "p99 ms | baseline p50 / p99 ms | p99 ratio | server CPU ms/req (baseline) | "
        "PostgreSQL CPU ms/req | CPU ratio | errors | off flow |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in s["rows"]:
        p99_ratio = r["app_p99"] / r["base_p99"] if r["base_p99"] else float("nan")
        lines.append(
            f"| {r['label']} | {_f(r['ratio'])} ({_f(r['ratio_min'])}–{_f(r['ratio_max'])}) | "
            f"{_f(r['app_rps'], 0)} | {_f(r['base_rps'], 0)} | {_f(r['app_p50'], 1)} / "
            f"{_f(r['app_p95'], 1)} / {_f(r['app_p99'], 1)} | {_f(r['base_p50'], 1)} / "
            f"{_f(r['base_p99'], 1)} | {_f(p99_ratio)} | {_f(r['cpu_ms'])} "
            f"({_f(r['base_cpu_ms'])}) | {_f(r['pg_ms']) if c['db'] != 'sqlite' else '–'} | "
            f"{_f(r['cpu_ratio'])} | {r['errors']} | {r['off_path']} |")
    problems = [f"- {r['label']}: {'; '.join(r['examples'])}" for r in s["rows"] if r["examples"]]
    if problems:
        lines += ["", "What went wrong (examples):", "", *problems]
    return lines + [""]


def invariant_lines(configs: list[dict]) -> list[str]:
    """The routing invariants, once per database and size."""
    lines = ["| database | cases | sampler snapshots | live leases (max) | violations seen | "
             "legs made | overlapping legs (>50 ms) | overlaps within clock skew | "
             "legs / leases left open | new cases by status | errors in the server log | "
             "worker (re)boots |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    seen = set()
    for c in configs:
        key = (c["db"], c["size"])
        if key in seen:
            continue
        seen.add(key)
        inv = c["invariants"]
        sampler, after = inv["sampler"], inv["after"]
        violations = sampler.get("violations", [])
        lines.append(
            f"| {c['db']} | {_size(c['size'])} | {sampler.get('samples', 0)} | "
            f"{sampler.get('max_live_leases', '–')} | {len(violations)} | {after['legs']} | "
            f"{after['overlapping_legs']} | {after['overlaps_within_clock_skew']} "
            f"(worst {after['worst_overlap_ms']} ms) | {after['open_legs_left']} / "
            f"{after['live_leases_left']} | "
            f"{', '.join(f'{k} {v}' for k, v in after['new_cases'].items())} | "
            f"{inv['logged_failures']} | {inv['worker_boots']} |")
        for v in violations[:5]:
            lines.append(f"|  | | violation: {v} | | | | | | | | | |")
    failures = [(c["db"], c["size"], e) for c in configs
                for e in c["invariants"].get("failure_examples", [])]
    if failures:
        lines += ["", "Webhooks that failed (the server's log; callers heard the apology and "
                  "were put through to the fallback phones):", ""]
        lines += [f"- {db}, {_size(size)}: `{e}`" for db, size, e in dict.fromkeys(failures)]
    return lines


def profile_lines(profiles: dict, slow_views: list[str]) -> list[str]:
    """What py-spy saw: phases, the slowest webhooks' functions, overall leaf functions."""
    lines = []
    for db, p in profiles.items():
        if "error" in p:
            lines += [f"### {db}", "", f"Profile failed: {p['error']}", ""]
            continue
        lines += [f"### {db} ({p['samples']:,} busy samples at {p['rate']} Hz; "
                  f"{p.get('idle_samples', 0):,} idle ones left out)", "",
                  "Where the workers' time went (computing, or waiting for the database):", ""]
        lines += [f"- {name}: {share:.0%}" for name, share in p["phases"]]
        lines += [f"- of all busy samples, {name}: {share:.0%}" for name, share in p["waits"]]
        lines += ["", "Views by share of the busy samples (CPU per request: see the "
                  "tables above):", ""]
        lines += [f"- `{view}`: {v['share']:.0%}" for view, v in p["views"].items()]
        for view in [v for v in slow_views if v in p["views"]][:4]:
            v = p["views"][view]
            lines += ["", f"`{view}` — functions by inclusive share of its samples:", ""]
            lines += [f"- {share:.0%} `{name}`" for name, share in v["inclusive"][:10]]
            lines += ["", "  by the package of the leaf frame: " + ", ".join(
                f"{name} {share:.0%}" for name, share in v["packages"])]
        lines += ["", "Leaf functions overall (self time):", ""]
        lines += [f"- {share:.1%} `{name}`" for name, share in p["self_overall"]]
        lines.append("")
    return lines


def write_results(results: dict, path: Path) -> None:
    """Write RESULTS.md."""
    m = results["machine"]
    g = results["gunicorn"]
    pin = results.get("pinning") or {}
    ceiling = results.get("ceiling", {})
    configs = results["configs"]
    busy = max((c["summary"]["driver_busy_max"] for c in configs), default=0.0)
    capacity = min((c["summary"]["driver_capacity"] or 0 for c in configs), default=0.0)
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`bench/run.py`); rerun it rather than edit this file.",
        "",
        f"- **Date:** {results['date']} ({results.get('minutes', '?')} minutes)",
        f"- **Command:** `{results['command']}`",
        f"- **Revision:** {results['revision']}",
        f"- **Machine:** {m['cpu']}; `nproc` = {m['nproc']}; {m['memory']} memory; "
        f"Linux {m['kernel']}; Python {m['python']}. Load average at start "
        f"{' '.join(m['loadavg_start'])}, at end {' '.join(m.get('loadavg_end', []))} "
        "(the machine is shared: other work may run during the measurement, which is why every "
        "figure is also a ratio to a baseline measured in the same minute).",
        f"- **Servers:** `{g['command']}` with APP = `wsgi:app` (the line) or "
        f"`bench.baseline:app` (the baseline); {g['workers']} workers; "
        + (f"config `{g['config']}`." if g["config"] else "no gunicorn.conf.py: flags above."),
        "- **Pinning:** " + (
            f"both servers on core {pin['server_core']} (`taskset`; baseline master "
            f"{pin['baseline_master']}, workers {pin['baseline_workers']}; line's workers "
            f"{pin.get('app_workers', '?')}), the driver on core {pin['driver_core']} "
            f"(affinity {pin['driver']}); PostgreSQL is not pinned and shares both cores."
            if pin.get("server_core") is not None else "none (fewer than two cores)."),
        "- **Driver ceiling:** against a bare asyncio HTTP server on the server core: "
        + ", ".join(f"{conc} connections {v['rps']:,} req/s with the driver's core "
                    f"{v['driver_cpu']:.0%} busy (≈ {v['capacity'] or 0:,} req/s for a whole "
                    f"core)" for conc, v in ceiling.items())
        + f". Against the baseline (through gunicorn: keep-alive with threaded workers, a new "
        f"connection per request with sync ones) "
        f"the driver's core was at most {busy:.0%} busy; its CPU per request there allows "
        f"≈ {capacity:,.0f} req/s, against the baseline's best "
        f"{max((c['summary']['base_rps'] for c in configs), default=0):,.0f} req/s: the "
        "driver is not the bottleneck.",
        "",
        "## Method",
        "",
        "Two complete call flows, every request signed for real (its own CallSid, "
        "`X-Twilio-Signature` for the exact URL with its query string), each next URL taken "
        "from the TwiML answered (Gather action, Redirect, Record action, Dial action, Number "
        "url) as Twilio would:",
        "",
        "- **A** incoming → menu 1 → case (ask the number) → number keyed (valid, unknown: "
        "asked again) → number spoken (found: status read out) → option * (status again) → "
        "status callback.",
        "- **B** incoming → menu 2 → report (case opened) → company, name, position (speech) "
        "→ e-mail → callback on this number → severity → recording (Record action: read-back "
        "of the number) → recording status callback → put-through (Dial to a free analyst) → "
        "whisper on the analyst's leg → analyst presses 1 → Dial action (bridged; releases the "
        "analyst) → leg status callback → call status callback.",
        "",
        "A *wave* takes N new calls through a flow one step at a time: all N calls post step "
        "1 at the fixed concurrency, then all post step 2, … so each webhook's throughput and "
        "latency are measured on their own while the calls keep their real state. Put-through "
        "steps go in chunks smaller than the number of analysts, so every caller finds one "
        "free. An *app window* is a wave of each flow; the *baseline window* that follows "
        "replays exactly the same requests (re-signed, repeated to last about as long) "
        "against the baseline. Throughput ratio = the webhook's requests/s ÷ the baseline's "
        "for the same requests in the same pair, median over the pairs. Latencies are pooled "
        "over the pairs. Server CPU ms/req = CPU time the gunicorn processes used during the "
        "stage ÷ its requests (/proc), likewise for PostgreSQL's backends; *CPU ratio* = the "
        "baseline's server CPU per request ÷ the line's (server + PostgreSQL): the throughput "
        "ratio on a core of its own, far less disturbed by other load on the machine than the "
        "timings. Errors = HTTP "
        "answers other than 200/204, connection failures and the error handler's apology "
        "TwiML; *off flow* = an answer that did not lead where the flow goes. The centre is "
        "open 00:00–23:59 every day in the bench database so the put-through never depends on "
        "the hour.",
        "",
        "## Targets",
        "",
        *targets(results),
        "",
        "## Summary",
        "",
        "| database | cases | connections | app req/s | baseline req/s | median ratio | flow A "
        "| flow B | slowest webhook | worst p99 ms | median CPU ratio | floor ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in configs:
        s = c["summary"]
        slowest = min(s["rows"], key=lambda r: r["ratio"])
        worst = max(s["rows"], key=lambda r: r["app_p99"])
        lines.append(
            f"| {c['db']} | {_size(c['size'])} | {c['concurrency']} | {_f(s['app_rps'], 0)} | "
            f"{_f(s['base_rps'], 0)} | {_f(s['median_ratio'])} | "
            f"{_f(s['flows']['A']['median_ratio'])} | {_f(s['flows']['B']['median_ratio'])} | "
            f"{_f(slowest['ratio'])} {slowest['label']} | {_f(worst['app_p99'], 1)} "
            f"{worst['label']} | {_f(statistics.median(r['cpu_ratio'] for r in s['rows']))} | "
            f"{_f(s['floor']['ratio']) if s.get('floor') else '–'} |")
    lines += ["", "*Floor ratio*: bench/floor.py, an app that does only what every webhook must "
              "(check the signature over the form, record the request on its call's row in one "
              "transaction, log one line, answer TwiML), served the same way and measured on "
              "the same requests right after the baseline: the most a webhook that keeps its "
              "call's record can reach on that database here.", "",
              "## Per webhook", ""]
    for c in configs:
        lines += config_table(c)
    sizes = sorted({c["size"] for c in configs})
    if len(sizes) > 1:
        lines += ["## Growth from " + _size(sizes[0]) + " to " + _size(sizes[-1]) + " cases", "",
                  "Throughput ratio to the baseline at the small size ÷ at the large size "
                  "(1.0 = no slower), and the growth of the server's CPU per request.", "",
                  "| database | connections | webhook | slowdown | server CPU growth |",
                  "|---|---|---|---|---|"]
        for db, conc, growth in growth_table(configs, sizes[0], sizes[-1]):
            for label, slowdown, cpu in growth:
                lines.append(f"| {db} | {conc} | {label} | {_f(slowdown)} | {_f(cpu)} |")
        lines.append("")
    lines += ["## Routing invariants under load", "",
              "A sampler read the database every 50 ms during the run (one snapshot each): an "
              "analyst with two open legs, or an open leg whose analyst is leased to another "
              "call or to none, is a violation. After the run every leg it made was checked "
              "for overlaps on one analyst (legs are stamped with the time their request "
              "began, so overlaps of a few ms can be clock skew, counted apart). The driver "
              "also checks that no two calls of one chunk ring the same analyst.", "",
              *invariant_lines(configs), ""]
    if results.get("seeding"):
        lines += ["## Seeding (`python -m bench.seed`)", "",
                  "| database | cases | seconds (whole command) | cases/s | slowest tables |",
                  "|---|---|---|---|---|"]
        for s in results["seeding"]:
            slow = sorted(s["timings"], key=lambda t: -t[2])[:2]
            lines.append(f"| {s['db']} | {_size(s['size'])} | {s['seconds']} | "
                         f"{s['cases_per_second']:,} | "
                         + ", ".join(f"{t} {n:,} rows {sec} s" for t, n, sec in slow) + " |")
        lines.append("")
    if results.get("profiles"):
        big = [c for c in configs if c["size"] == max(sizes)]
        order: dict[str, float] = {}
        for c in big:
            for r in c["summary"]["rows"]:
                order[r["view"]] = min(order.get(r["view"], 9.9), r["ratio"])
        slow_views = sorted(order, key=order.get)
        lines += ["## Profile (py-spy, " + _size(max(sizes)) + " cases)", "",
                  "Sampled from the driver's core while full flows ran at the lowest "
                  "concurrency; the slowest webhooks (by ratio) are broken down.", "",
                  *profile_lines(results["profiles"], slow_views)]
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
