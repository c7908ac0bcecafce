"""The CCO support line: a Twilio Voice application for CCO Apoyo Empresarial's help desk."""

from __future__ import annotations

import logging
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr.config import load_settings
from ivr.logs import configure_logging
from ivr.prompts import load_catalogue
from ivr.state import AppState, ScheduleCache
from ivr.store.engine import make_engine, make_sessionmaker


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application; test_config overrides environment variables by name."""
    from ivr.voice.forms import MAX_CONTENT_LENGTH, NoSessionForWebhooks
    from ivr.voice.signature import SignatureCheck

    app = Flask(__name__, instance_relative_config=True)
    app.session_interface = NoSessionForWebhooks()
    env = dict(os.environ)
    env.update(test_config or {})
    settings = load_settings(env, instance_path=app.instance_path)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(SECRET_KEY=str(settings.secret_key), TESTING=settings.env == "testing",
                      # Werkzeug refuses a longer body with 413 before reading it.
                      MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH)
    if settings.proxy_hops:
        # Trust X-Forwarded-Proto/Host/Port from that many proxies so signatures validate.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops,
            x_host=settings.proxy_hops, x_port=settings.proxy_hops,
        )
    engine = make_engine(settings.database_url, connect_timeout=settings.db_connect_timeout)
    app.extensions["ivr"] = AppState(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        catalogue=load_catalogue(),
        signatures=SignatureCheck(str(settings.twilio_auth_token)),
        schedules=ScheduleCache(os.path.join(app.instance_path, "schedule-cache.json")),
    )
    configure_logging(logging.INFO)

    from ivr import voice
    from ivr.cli import commands as cli
    from ivr.voice.offline import SpoolReplayer

    app.extensions["ivr"].replayer = SpoolReplayer()

    app.register_blueprint(voice.bp)
    app.register_blueprint(voice.audio_bp)
    cli.init_app(app)
    return app
