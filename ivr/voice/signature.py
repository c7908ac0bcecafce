"""X-Twilio-Signature, checked once per webhook at the cost of one HMAC.

Twilio signs the URL it requested followed by every POST parameter, names sorted, each name
followed by its value (HMAC-SHA1 with the auth token, base64). twilio's `RequestValidator`
computes that twice per request (the URL with and without its port, one of them bound to
fail), reading each parameter through two failed lookups on a Werkzeug form; this computes it
once, for the URL as requested, and hands anything that does not match to
`RequestValidator.validate`, which still tries the other port form (tests/test_signature.py
checks both give the same answer).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from twilio.request_validator import RequestValidator


class SignatureCheck:
    """Validates webhook signatures for one auth token."""

    def __init__(self, token: str):
        """Keep the token and the library's validator for the slow path."""
        self._key = token.encode("utf-8")
        self.validator = RequestValidator(token)

    def signature(self, url: str, params) -> str:
        """The signature of a URL and its POST parameters (a MultiDict or a dict)."""
        text = url
        if params:
            pairs = sorted(params.items(multi=True) if hasattr(params, "lists")
                           else params.items())
            names = [name for name, _value in pairs]
            if len(set(names)) == len(names):  # each name once, as Twilio sends them
                text += "".join([name + value for name, value in pairs])
            else:  # a name repeated: its distinct values, sorted
                grouped: dict[str, set] = {}
                for name, value in pairs:
                    grouped.setdefault(name, set()).add(value)
                text += "".join([name + value for name in sorted(grouped)
                                 for value in sorted(grouped[name])])
        mac = hmac.new(self._key, text.encode("utf-8"), hashlib.sha1)
        return base64.b64encode(mac.digest()).decode("ascii")

    def valid(self, url: str, params, signature: str) -> bool:
        """Whether Twilio signed this URL and these parameters."""
        if not signature:
            return False
        if hmac.compare_digest(self.signature(url, params).encode(), signature.encode()):
            return True
        return self.validator.validate(url, params, signature)
