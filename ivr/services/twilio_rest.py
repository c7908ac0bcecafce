"""The project's one Twilio REST client: the `twilio` package's, pointed at `TWILIO_API_URL`.

The package always builds URLs on https://api.twilio.com; its public seam for changing how
requests go out is a custom `http_client`, so `_BaseUrlClient` moves each request onto the
configured base (tests point it at a local fake of the API, tests/twilio_fake.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from requests import ConnectionError as RequestsConnectionError
from requests import ConnectTimeout, ReadTimeout, RequestException
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


class ProviderUncertain(ProviderError):
    """No answer in time: the provider may have taken the request. Before trying again, look
    for it (the outbox lists what was sent since the attempt)."""


UNCERTAIN = "no answer in time"


def _unreachable(error: RequestException) -> ProviderError:
    """A network failure: certain when the connection was never made, else uncertain."""
    if isinstance(error, (ConnectTimeout, RequestsConnectionError)) and \
            not isinstance(error, ReadTimeout):
        return ProviderError(f"Twilio unreachable: {type(error).__name__}")
    return ProviderUncertain(f"{UNCERTAIN}: {type(error).__name__}")


class _BaseUrlClient(TwilioHttpClient):
    """Twilio's HTTP client, sending to `api_url` instead of Twilio's own host."""

    def __init__(self, api_url: str, timeout: float = TIMEOUT_SECONDS):
        """Requests to https://api.twilio.com go to `api_url`."""
        super().__init__(timeout=timeout)
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


@dataclass(frozen=True)
class SentMessage:
    """A message (SMS or WhatsApp) as the provider lists it."""

    sid: str
    to: str
    body: str


def with_query(url: str, **values) -> str:
    """`url` with query parameters added (the outbox id carried in callback URLs)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query) + [(k, str(v)) for k, v in values.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


class TwilioRest:
    """Calls and messages created and listed through Twilio's REST API."""

    def __init__(self, account_sid: str | None, auth_token: str, api_url: str = TWILIO_BASE,
                 timeout: float = TIMEOUT_SECONDS):
        """A client for the account; InputError without credentials."""
        if not account_sid:
            raise InputError("TWILIO_ACCOUNT_SID is not set: calls are placed with the "
                             "account's SID and TWILIO_AUTH_TOKEN")
        if not auth_token:
            raise InputError("TWILIO_AUTH_TOKEN is not set")
        self.client = Client(account_sid, str(auth_token), account_sid,
                             http_client=_BaseUrlClient(api_url, timeout))

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
            raise _unreachable(error) from error
        return call.sid

    def calls_to(self, to: str, since: datetime) -> list[PlacedCall]:
        """Calls to a number started since a time (naive UTC)."""
        try:
            calls = self.client.calls.list(to=to, start_time_after=since.replace(tzinfo=UTC),
                                           limit=50)
        except TwilioRestException as error:
            raise _translated(error) from error
        except RequestException as error:
            raise _unreachable(error) from error
        return [PlacedCall(sid=c.sid, to=c.to, status=str(c.status)) for c in calls]

    def redirect_call(self, sid: str, url: str) -> None:
        """Have a call in progress fetch its next TwiML from `url` now (POST). ProviderRefused
        when Twilio has no such call in progress (it ended); ProviderError otherwise."""
        try:
            self.client.calls(sid).update(url=url, method="POST")
        except TwilioRestException as error:
            raise _translated(error) from error
        except RequestException as error:
            raise _unreachable(error) from error

    def create_message(self, *, to: str, from_: str, body: str | None = None,
                       content_sid: str | None = None, content_variables: str | None = None,
                       status_callback: str | None = None) -> str:
        """Send an SMS (or a WhatsApp message: `whatsapp:` numbers, an approved template by
        `content_sid`); its sid. ProviderRefused or ProviderError when it was not taken.
        A `from_` starting with MG is a Messaging Service."""
        extra = {}
        if from_.startswith("MG"):
            extra["messaging_service_sid"] = from_
        else:
            extra["from_"] = from_
        if content_sid:
            extra["content_sid"] = content_sid
            if content_variables:
                extra["content_variables"] = content_variables
        else:
            extra["body"] = body
        if status_callback:
            extra["status_callback"] = status_callback
        try:
            message = self.client.messages.create(to=to, **extra)
        except TwilioRestException as error:
            raise _translated(error) from error
        except RequestException as error:
            raise _unreachable(error) from error
        return message.sid

    def messages_to(self, to: str, since: datetime) -> list[SentMessage]:
        """Messages to a number sent since a time (naive UTC), newest first."""
        try:
            messages = self.client.messages.list(
                to=to, date_sent_after=since.replace(tzinfo=UTC), limit=50)
        except TwilioRestException as error:
            raise _translated(error) from error
        except RequestException as error:
            raise _unreachable(error) from error
        return [SentMessage(sid=m.sid, to=m.to, body=m.body or "") for m in messages]


# Twilio's refusals that no later attempt changes: the number unsubscribed (replied STOP),
# or it cannot receive SMS (a landline). Like every 4xx they are final; they get a plain name.
FINAL_MESSAGE_ERRORS = {21610: "the number unsubscribed (STOP)",
                        21614: "not a mobile number"}


def _translated(error: TwilioRestException) -> ProviderError:
    """A refusal (4xx but 429) or a failure worth retrying, with Twilio's code and message."""
    text = f"Twilio {error.status}: {error.code or ''} {error.msg}".strip()
    if error.code in FINAL_MESSAGE_ERRORS:
        text += f" ({FINAL_MESSAGE_ERRORS[error.code]}, final)"
    if 400 <= error.status < 500 and error.status != 429:
        return ProviderRefused(text)
    return ProviderError(text)
