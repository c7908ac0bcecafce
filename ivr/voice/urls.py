"""URLs of our own webhooks: Flask's `url_for`, under the name the views import.

In a request, `url_for` gives a path relative to the host (the script root, the route, the
query string), which is what Twilio resolves against the URL it requested and signs.
tests/test_urls.py holds the exact strings.
"""

from __future__ import annotations

from flask import url_for

__all__ = ["url_for"]
