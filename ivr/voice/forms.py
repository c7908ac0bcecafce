"""Twilio's form posts, parsed with less work than Werkzeug's general parser.

Every webhook is an `application/x-www-form-urlencoded` POST of about 25 fields, most of them
plain ASCII. Werkzeug decodes each field through `urllib.parse.parse_qsl`; this does the same
splitting and decoding, but leaves alone fields that hold no `+` or `%` (most of them), and
answers the NUL-character question from the raw bytes. tests/test_forms.py checks that it
gives what Werkzeug gives for any body.
"""

from __future__ import annotations

from urllib.parse import unquote

from flask import Request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.formparser import FormDataParser

# The error handler Werkzeug registers for undecodable %-escapes (they stay %-escaped).
_ERRORS = "werkzeug.url_quote"


def parse_urlencoded(body: str) -> list[tuple[str, str]]:
    """The fields of a urlencoded body, as `urllib.parse.parse_qsl(keep_blank_values=True)`."""
    fields = []
    for field in body.split("&"):
        if not field:
            continue
        name, _sep, value = field.partition("=")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name, errors=_ERRORS)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unquote(value, errors=_ERRORS)
        fields.append((name, value))
    return fields


class _Parser(FormDataParser):
    """Werkzeug's parser, with the urlencoded case above."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        return stream, self.cls(parse_urlencoded(stream.read().decode())), self.cls()


class WebhookRequest(Request):
    """Flask's request with the faster form parser."""

    form_data_parser_class = _Parser

    def _load_form_data(self) -> None:
        # Keep the raw body (Werkzeug then parses the cached copy) for may_hold_nul.
        self.get_data(cache=True)
        super()._load_form_data()

    def may_hold_nul(self) -> bool:
        """Whether the body or the query string could hold a NUL character at all."""
        body = self.get_data(cache=True)
        query = self.query_string
        return b"\x00" in body or b"%00" in body or b"\x00" in query or b"%00" in query


class NoSessionForWebhooks(SecureCookieSessionInterface):
    """Twilio's requests carry no session: no cookie signer is built for them."""

    def open_session(self, app, request):
        """The usual cookie session, except under /voice and /audio."""
        if request.path.startswith(("/voice/", "/audio/")):
            return self.null_session_class()
        return super().open_session(app, request)
