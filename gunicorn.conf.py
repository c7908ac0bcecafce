"""gunicorn settings for the CCO support line: `gunicorn -c gunicorn.conf.py`.

Every value can be overridden from the environment (below) or on the command line. Twilio
waits at most 15 s for a webhook's TwiML before it requests the Fallback URL, and the line's
webhooks answer in milliseconds: a worker still busy after `timeout` seconds is stuck (a hung
database, a lock) and is killed, so that Twilio's own timer, not the caller, discovers it and
the Fallback URL (which needs no database) takes over.
"""

import multiprocessing
import os

wsgi_app = "wsgi:app"
ROOT = os.path.dirname(os.path.abspath(__file__))

# GUNICORN_BIND: where to listen; behind the TLS reverse proxy, a loopback address (or a
# unix socket: "unix:/run/ivr/gunicorn.sock"). `make run` sets 127.0.0.1:5000; `-b` on the
# command line overrides it too. In development mode only loopback is allowed (on_starting).
bind = [os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"]

# Threaded workers: a webhook spends part of its time waiting for the database, and threads of
# one process queue for SQLite's write lock on an in-process lock that wakes the next writer
# at once (ivr/db.py), where separate processes would poll SQLite's busy handler, which sleeps
# between tries. Few threads, though: each webhook needs well under a millisecond of CPU, and
# more threads than that only fight over the interpreter lock. Measured with the benchmark
# (`make bench BENCH_ARGS=--quick`, one worker on one core, 8 connections): on SQLite 8 threads
# answered 0.32 of the baseline's requests, 4 threads 0.34, 2 threads 0.38 (p99 37 -> 15 ms);
# on PostgreSQL, which makes a webhook wait for several round trips, 8 threads 0.21, 4 threads
# 0.31 (p99 27 -> 15 ms), 2 threads 0.31 but a slower p99.
# GUNICORN_THREADS: threads per process (default 2 on SQLite, 4 on PostgreSQL).
_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql"))
threads = int(os.environ.get("GUNICORN_THREADS") or (4 if _postgres else 2))
worker_class = "gthread" if threads > 1 else "sync"
# GUNICORN_WORKERS (or WEB_CONCURRENCY): processes. Default: one for SQLite (the embedded,
# single-server setup), one per available core for PostgreSQL (each process keeps its own
# pool of database connections: mind PostgreSQL's max_connections).
_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
    multiprocessing.cpu_count())
workers = int(os.environ.get("GUNICORN_WORKERS") or os.environ.get("WEB_CONCURRENCY")
              or (min(_cores, 8) if _postgres else 1))

# Kill a worker stuck for 10 s: Twilio would give up at 15 s and use the Fallback URL.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 10)
# On restart or deploy, workers get this long to finish the webhooks in flight.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT") or 15)
# Seconds an idle connection from the reverse proxy is kept open (threaded workers).
keepalive = 5
# Recycle workers now and then so that a slow leak can never build up.
max_requests = 100_000
max_requests_jitter = 10_000

# Logs to stderr (journald or the container collects them). The access log line: client (as
# the proxy says), request line, status, size, milliseconds, user agent. It names no header
# but X-Forwarded-For and User-Agent: never X-Twilio-Signature; gunicorn never logs bodies,
# so the form fields (caller IDs, speech) stay out. The query strings are the app's own
# (attempt counters, case and dial-attempt ids), never anything the caller said.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'

# The reverse proxy's addresses, trusted for X-Forwarded-Proto (gunicorn then sets the
# request's scheme to https). Host and port are the app's business: set PUBLIC_BASE_URL, or
# PROXY_HOPS with the proxy sending X-Forwarded-Host, so that the URL the app validates the
# signature against is the one Twilio signed. Default: FORWARDED_ALLOW_IPS or loopback only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Load the app in each worker (not the master): database engines and threads are per process.
preload_app = False


def on_starting(server):
    """Check the settings once, in the master, before anything listens: a bad one stops
    gunicorn with one line naming it (a ConfigError is a RuntimeError, which gunicorn prints
    as "Error: ..."), and development mode (a token made for this checkout) binds loopback."""
    from gunicorn.util import parse_address

    from ivr.config import ConfigError, is_loopback, load_settings

    # The instance folder Flask gives the app (the repository's instance/).
    settings = load_settings(instance_path=os.path.join(ROOT, "instance"))
    if settings.env != "development":
        return
    for address in server.cfg.bind:
        parsed = parse_address(address)
        if isinstance(parsed, str):
            continue  # a unix socket: local
        if not isinstance(parsed, tuple) or not is_loopback(parsed[0]):
            raise ConfigError(
                f"development mode listens on loopback only, not {address}: bind "
                "127.0.0.1:PORT (GUNICORN_BIND), or set IVR_ENV=production with "
                "TWILIO_AUTH_TOKEN and SECRET_KEY")


def post_worker_init(worker):
    """The app is loaded: move what it built at start-up out of the garbage collector's way,
    so that collections during webhooks only walk the objects of recent requests."""
    import gc

    gc.collect()
    gc.freeze()
