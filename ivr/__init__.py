"""The CCO support line: a Twilio Voice application for CCO Apoyo Empresarial's help desk."""

from __future__ import annotations

import logging
import os

import click
from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

import ivr.console
import ivr.public
from ivr.cli import commands as cli
from ivr.config import is_loopback, load_settings
from ivr.console.cookies import ConsoleSessionInterface
from ivr.logs import configure_logging
from ivr.prompts import load_catalogue
from ivr.services import health
from ivr.services.users import make_hasher
from ivr.state import AppState, ScheduleCache
from ivr.store.engine import make_engine
from ivr.voice import audio_bp, bp
from ivr.voice.forms import MAX_CONTENT_LENGTH
from ivr.voice.offline import SpoolReplayer
from ivr.voice.signature import SignatureCheck

log = logging.getLogger("ivr.health")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application; test_config overrides environment variables by name."""
    app = Flask(__name__, instance_relative_config=True)
    app.session_interface = ConsoleSessionInterface()  # none at all for /voice and /audio
    env = dict(os.environ)
    env.update(test_config or {})
    settings = load_settings(env, instance_path=app.instance_path)
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)  # the database, spool, secrets
    app.config.update(SECRET_KEY=str(settings.secret_key), TESTING=settings.env == "testing",
                      # Werkzeug refuses a longer body with 413 before reading it.
                      MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
                      # The console's forms carry CSRF tokens; tests switch the check back
                      # on where they test it (and the browser test runs with it on).
                      WTF_CSRF_ENABLED=settings.env != "testing")
    if settings.proxy_hops:
        # Trust X-Forwarded-Proto/Host/Port from that many proxies so signatures validate.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops,
            x_host=settings.proxy_hops, x_port=settings.proxy_hops,
        )
    if settings.env == "development":
        # Outermost, so that it sees the socket's peer and not a forwarded address.
        app.wsgi_app = LoopbackOnly(app.wsgi_app)
    engine = make_engine(settings.database_url, connect_timeout=settings.db_connect_timeout)
    app.extensions["ivr"] = AppState(
        settings=settings,
        engine=engine,
        catalogue=load_catalogue(),
        signatures=SignatureCheck(str(settings.twilio_auth_token)),
        schedules=ScheduleCache(os.path.join(app.instance_path, "schedule-cache.json")),
    )
    configure_logging(logging.INFO)
    app.extensions["ivr"].replayer = SpoolReplayer()

    app.register_blueprint(bp)
    app.register_blueprint(audio_bp)
    # Passwords: argon2id; the test suite uses argon2's cheapest parameters.
    app.extensions["passwords"] = make_hasher(cheapest=settings.env == "testing")
    csrf = CSRFProtect(app)
    csrf.exempt(bp)  # Twilio's webhooks are authenticated by their signature instead
    csrf.exempt(audio_bp)
    ivr.console.init_app(app)
    ivr.public.init_app(app)
    cli.init_app(app)
    if click.get_current_context(silent=True) is None:
        # Serving (not an operator's command, which checks what it needs itself).
        log_health(app.extensions["ivr"])
    return app


def log_health(state: AppState) -> None:
    """Log, as the line starts, each check of `flask --app wsgi check` that fails: what would
    fail a caller is in the service's log before the first call (a few statements, once)."""
    try:
        findings = health.check_line(state.engine, state.settings)
    except Exception:  # noqa: BLE001 - a check that breaks must never stop the line starting
        log.exception("health check failed to run")
        return
    for finding in health.failures(findings):
        log.warning("health: %s: %s", finding.check, finding.text)


class LoopbackOnly:
    """WSGI middleware: answer only this machine (development mode, whatever the bind)."""

    REFUSAL = (b"Development mode answers only this machine (127.0.0.1, ::1). To serve others, "
               b"set IVR_ENV=production with TWILIO_AUTH_TOKEN and SECRET_KEY.\n")

    def __init__(self, wsgi_app):
        """Wrap the application."""
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        """Refuse a request from another machine with 403; pass the others on."""
        peer = environ.get("REMOTE_ADDR") or ""
        if peer and not is_loopback(peer):  # a unix socket has no peer address: local
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8"),
                                             ("Content-Length", str(len(self.REFUSAL)))])
            return [self.REFUSAL]
        return self.wsgi_app(environ, start_response)
