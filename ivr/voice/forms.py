"""Twilio's form posts, parsed with less work than Werkzeug's general parser.

Every webhook is an `application/x-www-form-urlencoded` POST of about 25 fields, most of them
plain ASCII. Werkzeug decodes each field through `urllib.parse.parse_qsl`; this does the same
splitting and decoding, but leaves alone fields that hold no `+` or `%` (most of them), and
answers the NUL-character question from the raw bytes. tests/test_forms.py checks that it
gives what Werkzeug gives for any body.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import unquote

from flask import Request
from flask.sessions import SecureCookieSessionInterface

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
            name = _unquote(name)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = _unquote(value)
        fields.append((name, value))
    return fields


@lru_cache(maxsize=4096)
def _unquote(text: str) -> str:
    """%-decoding, remembered: Twilio repeats most escaped values (the dialled number, the
    caller's, the account) on every request of a call."""
    return unquote(text, errors=_ERRORS)


class WebhookRequest(Request):
    """Flask's request, reading urlencoded forms with `parse_urlencoded`."""

    def _load_form_data(self) -> None:
        """Urlencoded bodies straight from the raw bytes (kept for `may_hold_nul`); anything
        else through Werkzeug."""
        if "form" in self.__dict__:
            return
        if self.mimetype != "application/x-www-form-urlencoded":
            super()._load_form_data()
            return
        data = self.get_data(cache=True)
        try:
            fields = parse_urlencoded(data.decode())
        except UnicodeDecodeError:
            fields = []  # as Werkzeug's parser: a body that is not UTF-8 gives no fields
        grouped: dict[str, list[str]] = {}
        for name, value in fields:
            grouped.setdefault(name, []).append(value)
        form = self.parameter_storage_class()
        dict.update(form, grouped)  # a MultiDict keeps each name's values as a list
        self.__dict__["form"] = form
        self.__dict__["files"] = self.parameter_storage_class()

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
