"""Sampling profiles of the line under load (py-spy), summarised per webhook.

py-spy samples every gunicorn worker (`--subprocesses`) from the driver's core and writes
collapsed stacks; idle threads (waiting in a system call) are left out. Each stack is given to
the Flask view it runs under (the frame below Flask's `dispatch_request`), or to the request's
other phases:
the before-request hooks (the signature check), the after-request hooks (the log line), the
teardown (closing the session), the rest of Flask and Werkzeug, and gunicorn outside any request.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

# Leaf frames of a worker with nothing to do (py-spy's idle detection misses them here).
# (`_worker`: a thread of gunicorn's gthread pool waiting for a request.)
IDLE = frozenset({"wait_for_signals", "select", "wait", "sleep", "accept", "poll", "_worker"})
# Leaf frames that wait for the database rather than compute: psycopg waiting for the server's
# answer; on SQLite, BEGIN IMMEDIATE (ivr/db.py) waiting for the write lock.
WAITS = {"Connection.wait": "waiting for PostgreSQL's answer (psycopg Connection.wait)",
         "_sqlite_engine.<locals>._on_begin": "waiting for SQLite's write lock (BEGIN IMMEDIATE)",
         "_WriterLock.acquire": "threads waiting for the process's SQLite writer lock (ivr/db.py)",
         "close_graceful": "gunicorn waiting for the client to close (close_graceful)"}
PHASES = (("preprocess_request", "before_request hooks (signature check)"),
          ("process_response", "after_request hooks (log line)"),
          ("do_teardown_request", "teardown (session close)"))


def py_spy() -> str | None:
    """The py-spy executable next to this Python, or on PATH."""
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def start(master_pid: int, seconds: int, out: Path, rate: int = 200) -> subprocess.Popen:
    """Start recording the server's processes for `seconds`."""
    exe = py_spy()
    if exe is None:
        raise RuntimeError("py-spy is not installed (pip install -r requirements.txt)")
    return subprocess.Popen(
        [exe, "record", "--pid", str(master_pid), "--subprocesses",
         "--rate", str(rate), "--duration", str(seconds), "--format", "raw", "--nolineno",
         "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _short(frame: str) -> str:
    """`function (path)` with the path cut to the package."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where})"


def _package(frame: str) -> str:
    """Where a frame's code lives: ivr/<module>, a library, or the standard library."""
    where = _short(frame).partition(" (")[2].rstrip(")")
    if where.startswith("<"):
        return "sqlalchemy (generated code)" if "sqlalchemy" in where else where[:30]
    if where.startswith("ivr/"):
        return where.rsplit(".", 1)[0]
    if "/" in where:
        return where.split("/", 1)[0]
    return "stdlib:" + where.rsplit(".", 1)[0]


def summarise(raw: Path, rate: int, requests: dict[str, float], top: int = 10) -> dict:
    """Samples by phase and by view; per view, the functions that take its time."""
    phases: Counter = Counter()
    views: Counter = Counter()
    inclusive: dict[str, Counter] = defaultdict(Counter)
    leaves: dict[str, Counter] = defaultdict(Counter)
    packages: dict[str, Counter] = defaultdict(Counter)
    overall_leaf: Counter = Counter()
    waits: Counter = Counter()
    total = idle = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        # py-spy names methods Class.method: match on the last part.
        names = [f.partition(" (")[0].rsplit(".", 1)[-1] for f in frames]
        if names[-1] in IDLE and "wsgi_app" not in names:
            idle += count
            continue
        total += count
        overall_leaf[_short(frames[-1])] += count
        wait = WAITS.get(frames[-1].partition(" (")[0])
        if wait:
            waits[wait] += count
        view = None
        for i, (name, frame) in enumerate(zip(names, frames, strict=True)):
            if name == "dispatch_request" and "flask/app.py" in frame and i + 1 < len(frames):
                # The view: the first frame of the line's own code below Flask's dispatch.
                j = next((k for k in range(i + 1, len(frames)) if "ivr/" in frames[k]), None)
                if j is not None:
                    view = names[j]
                    below = frames[j + 1:]
                break
        if view is not None:
            phases["view functions"] += count
            views[view] += count
            for frame in set(map(_short, below)):
                inclusive[view][frame] += count
            leaf = frames[-1]
            leaves[view][_short(leaf)] += count
            packages[view][_package(leaf)] += count
            continue
        phase = next((label for marker, label in PHASES if marker in names), None)
        if phase is None:
            phase = "Flask/Werkzeug around the request" if "wsgi_app" in names \
                else "gunicorn outside requests"
        phases[phase] += count
    per_view = {}
    for view, samples in views.most_common():
        served = requests.get(view, 0)
        per_view[view] = {
            "samples": samples,
            "share": samples / total if total else 0.0,
            # Worker time (busy or waiting for the database) per request of this view.
            "worker_ms_per_request": samples / rate / served * 1000 if served else None,
            "requests": served,
            "inclusive": [(f, c / samples) for f, c in inclusive[view].most_common(top)],
            "self": [(f, c / samples) for f, c in leaves[view].most_common(top)],
            "packages": [(p, c / samples) for p, c in packages[view].most_common(6)],
        }
    return {
        "samples": total,
        "idle_samples": idle,
        "rate": rate,
        "waits": [(w, c / total) for w, c in waits.most_common()] if total else [],
        "phases": [(p, c / total) for p, c in phases.most_common()] if total else [],
        "self_overall": [(f, c / total) for f, c in overall_leaf.most_common(top)]
        if total else [],
        "views": per_view,
    }
