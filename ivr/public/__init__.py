"""The public page /ayuda: clients follow their case on the web (no login). Its views register
themselves on the blueprint when imported here."""

from flask import Flask

from ivr.public import views  # noqa: F401
from ivr.public.blueprint import bp


def init_app(app: Flask) -> None:
    """Attach the public page to the application."""
    app.register_blueprint(bp)


__all__ = ["bp", "init_app"]
