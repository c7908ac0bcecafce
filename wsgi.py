"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import sys

from ivr import create_app
from ivr.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    if "gunicorn" in sys.modules:
        # A worker that raises cannot boot, and gunicorn stops, printing the message; an exit
        # would only be restarted, again and again.
        raise
    # `flask --app wsgi ...`: one line that names the setting, instead of a traceback.
    raise SystemExit(f"error: {error}") from None
