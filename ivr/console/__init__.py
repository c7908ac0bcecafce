"""The analysts' console: server-rendered pages under /console (login, CSRF on every form,
deny by default, security headers). Its views register themselves on the blueprint when
imported here."""

from flask import Flask

from ivr.console import (  # noqa: F401
    auth,
    dashboard,
    manage_audit,
    manage_companies,
    manage_line,
    manage_people,
    views,
)
from ivr.console.blueprint import bp
from ivr.console.formatting import register_filters


def init_app(app: Flask) -> None:
    """Attach the console to the application."""
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    register_filters(app)
    dashboard.register_filters(app)
    app.register_blueprint(bp)


__all__ = ["bp", "init_app"]
