"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from ivr import create_app

app = create_app()
