"""The project's one Twilio REST client: the `twilio` package's, pointed at `TWILIO_API_URL`.

The package always builds URLs on https://api.twilio.com; its public seam for changing how
requests go out is a custom `http_client`, so `_BaseUrlClient` moves each request onto the
configured base (tests point it at a local fake of the API, tests/twilio_fake.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from requests import RequestException
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ivr.domain.errors import InputError

TWILIO_BASE = "https://api.twilio.com"
TIMEOUT_SECONDS = 10


class ProviderError(Exception):
    """The provider could not take the request now (network, 5xx, 429): try again later."""


class ProviderRefused(ProviderError):
    """The provider refused the request (4xx): sending it again would not help."""


class _BaseUrlClient(TwilioHttpClient):
    """Twilio's HTTP client, sending to `api_url` instead of Twilio's own host."""

    def __init__(self, api_url: str):
        """Requests to https://api.twilio.com go to `api_url`."""
        super().__init__(timeout=TIMEOUT_SECONDS)
        self.api_url = api_url.rstrip("/")

    def request(self, method, url, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        """The same request, on the configured base URL."""
        if url.startswith(TWILIO_BASE):
            url = self.api_url + url[len(TWILIO_BASE):]
        return super().request(method, url, params=params, data=data, headers=headers,
                               auth=auth, timeout=timeout, allow_redirects=allow_redirects)


@dataclass(frozen=True)
class PlacedCall:
    """A call as the provider lists it."""

    sid: str
    to: str
    status: str


def with_query(url: str, **values) -> str:
    """`url` with query parameters added (the outbox id carried in callback URLs)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query) + [(k, str(v)) for k, v in values.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


class TwilioRest:
    """Calls created and listed through Twilio's REST API."""

    def __init__(self, account_sid: str | None, auth_token: str, api_url: str = TWILIO_BASE):
        """A client for the account; InputError without credentials."""
        if not account_sid:
            raise InputError("TWILIO_ACCOUNT_SID is not set: calls are placed with the "
                             "account's SID and TWILIO_AUTH_TOKEN")
        if not auth_token:
            raise InputError("TWILIO_AUTH_TOKEN is not set")
        self.client = Client(account_sid, str(auth_token), account_sid,
                             http_client=_BaseUrlClient(api_url))

    def create_call(self, *, to: str, from_: str, url: str, status_callback: str,
                    send_digits: str | None = None, timeout: int | None = None,
                    status_events: list[str] | None = None) -> str:
        """Place a call; its sid. ProviderRefused or ProviderError when it was not placed.
        Without `status_events`, Twilio posts only the final status to `status_callback`."""
        extra = {}
        if status_events:
            extra["status_callback_event"] = status_events
        if send_digits:
            extra["send_digits"] = send_digits
        if timeout:
            extra["timeout"] = timeout
        try:
            call = self.client.calls.create(
                to=to, from_=from_, url=url, status_callback=status_callback, **extra)
        except TwilioRestException as error:
            raise _translated(error) from error
        except RequestException as error:
            raise ProviderError(f"Twilio unreachable: {type(error).__name__}") from error
        return call.sid

    def calls_to(self, to: str, since: datetime) -> list[PlacedCall]:
        """Calls to a number started since a time (naive UTC)."""
        try:
            calls = self.client.calls.list(to=to, start_time_after=since.replace(tzinfo=UTC),
                                           limit=50)
        except TwilioRestException as error:
            raise _translated(error) from error
        except RequestException as error:
            raise ProviderError(f"Twilio unreachable: {type(error).__name__}") from error
        return [PlacedCall(sid=c.sid, to=c.to, status=str(c.status)) for c in calls]


def _translated(error: TwilioRestException) -> ProviderError:
    """A refusal (4xx but 429) or a failure worth retrying, with Twilio's code and message."""
    text = f"Twilio {error.status}: {error.code or ''} {error.msg}".strip()
    if 400 <= error.status < 500 and error.status != 429:
        return ProviderRefused(text)
    return ProviderError(text)
