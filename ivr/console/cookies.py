"""Cookies of the console: Flask's signed session (which holds only the CSRF token and flashed
messages) marked Secure whenever the request came over HTTPS."""

from __future__ import annotations

from flask import has_request_context, request

from ivr.voice.forms import NoSessionForWebhooks


class ConsoleSessionInterface(NoSessionForWebhooks):
    """No session for webhooks; for the console, a cookie that is Secure over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        """Secure when configured so, or when this request came over HTTPS."""
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)
