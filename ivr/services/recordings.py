"""A case's recordings fetched from Twilio with the account's credentials, for operators.

With "Enforce HTTP Auth on Media URLs" on (README, Twilio Console), a recording's URL plays
only with the Account SID and Auth Token: the stored URL is useless to an operator, so the
media is fetched here, by recording SID, from `TWILIO_API_URL` (Twilio's API by default; tests
point it at a local server), and written to files only the operator's user can read.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

from ivr.domain.errors import InputError
from ivr.domain.statuses import RecordingStatus
from ivr.store import cases as case_rows
from ivr.store.tx import Rec, Tx

API_VERSION = "2010-04-01"
MEDIA_FORMAT = "mp3"
TIMEOUT_SECONDS = 30
CHUNK = 64 * 1024
_RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
# Never there to fetch: Twilio said so.
_NOT_FETCHED = (RecordingStatus.FAILED, RecordingStatus.ABSENT)


class RecordingFetchError(RuntimeError):
    """Twilio could not be asked at all (unreachable, credentials refused): nothing more can
    be fetched in this run."""


@dataclass(frozen=True)
class Fetched:
    """What became of one recording: the file written, or why there is none."""

    recording: Rec
    path: str | None
    problem: str | None = None


def media_url(api_url: str, account_sid: str, recording_sid: str) -> str:
    """The URL of a recording's audio in Twilio's REST API."""
    return (f"{api_url.rstrip('/')}/{API_VERSION}/Accounts/{quote(account_sid)}"
            f"/Recordings/{quote(recording_sid)}.{MEDIA_FORMAT}")


def file_name(case: Rec, index: int, recording: Rec) -> str:
    """Where a recording is saved: case number, order, kind and SID (sortable, unique)."""
    kind = re.sub(r"[^a-z-]", "", str(recording.kind).lower()) or "recording"
    return f"{case.number}-{index:02d}-{kind}-{recording.recording_sid}.{MEDIA_FORMAT}"


def _request(url: str, account_sid: str, token: str) -> urllib.request.Request:
    request = urllib.request.Request(url, method="GET")  # noqa: S310 - http(s) checked in config
    credentials = base64.b64encode(f"{account_sid}:{token}".encode()).decode("ascii")
    # Unredirected: Twilio may redirect the download to storage elsewhere, which must not
    # receive the account's credentials.
    request.add_unredirected_header("Authorization", f"Basic {credentials}")
    return request


def _save(response, path: str) -> int:
    """Write a response's body to `path` (mode 0600) through a temporary file; bytes written."""
    temporary = f"{path}.{secrets.token_hex(4)}.part"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    size = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            while chunk := response.read(CHUNK):
                handle.write(chunk)
                size += len(chunk)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return size


def fetch_recordings(case: Rec, recordings: list[Rec], directory: str, *, api_url: str,
                     account_sid: str | None, token: str) -> list[Fetched]:
    """Download a case's recordings into `directory` (created 0700 if missing); one Fetched
    per recording. A recording already saved is not fetched again."""
    if not account_sid:
        raise InputError("TWILIO_ACCOUNT_SID is not set: recordings are fetched with the "
                         "account's SID and Auth Token (Twilio Console, Account Info); set it "
                         "in the environment or the env file")
    if not token.strip():
        raise InputError("TWILIO_AUTH_TOKEN is not set")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    results = []
    for index, recording in enumerate(recordings, start=1):
        path = os.path.join(directory, file_name(case, index, recording))
        if not _RECORDING_SID.fullmatch(recording.recording_sid or ""):
            results.append(Fetched(recording, None, "not a Twilio recording SID"))
        elif recording.status in _NOT_FETCHED:
            results.append(Fetched(recording, None, f"Twilio reported it {recording.status}"))
        elif os.path.exists(path):
            results.append(Fetched(recording, path, "already saved"))
        else:
            results.append(_fetch_one(recording, path, media_url(
                api_url, account_sid, recording.recording_sid), account_sid, token))
    return results


def _fetch_one(recording: Rec, path: str, url: str, account_sid: str, token: str) -> Fetched:
    try:
        with urllib.request.urlopen(_request(url, account_sid, token),  # noqa: S310
                                    timeout=TIMEOUT_SECONDS) as response:
            _save(response, path)
    except urllib.error.HTTPError as error:
        error.close()  # it holds the connection
        if error.code in (401, 403):
            raise RecordingFetchError(
                f"Twilio refused the account's credentials (HTTP {error.code}): check "
                "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN") from None
        if error.code == 404:
            return Fetched(recording, None, "not at Twilio (deleted, or never completed)")
        return Fetched(recording, None, f"Twilio answered HTTP {error.code}")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise RecordingFetchError(f"cannot reach {url.split('/' + API_VERSION)[0]}: "
                                  f"{reason}") from None
    except OSError as error:
        return Fetched(recording, None, f"cannot write {path}: {error.strerror or error}")
    return Fetched(recording, path)


def find_recording(tx: Tx, recording_sid: str) -> Rec | None:
    """A recording of a case, by its Twilio SID (None: unknown, or on no case)."""
    recording = case_rows.recording_by_sid(tx, recording_sid)
    return recording if recording is not None and recording.case_id is not None else None


class RecordingUnavailable(RuntimeError):
    """A recording that cannot be played (yet): the message says why, for the analyst."""


def playable(recording: Rec) -> bool:
    """Whether a recording can be played: a Twilio SID, and not failed or absent."""
    return (bool(_RECORDING_SID.fullmatch(recording.recording_sid or ""))
            and recording.status not in _NOT_FETCHED)


def stream_recording(recording: Rec, *, api_url: str, account_sid: str | None,
                     token: str) -> Iterator[bytes]:
    """The recording's audio from Twilio, in chunks, fetched with the account's credentials
    (the media stays behind Twilio's HTTP authentication: no Twilio URL reaches a browser).
    The connection is opened before the first chunk, so a refusal raises here."""
    if not account_sid or not token.strip():
        raise RecordingUnavailable("las grabaciones no están configuradas (TWILIO_ACCOUNT_SID)")
    if not playable(recording):
        raise RecordingUnavailable("esta grabación no está disponible")
    url = media_url(api_url, account_sid, recording.recording_sid)
    try:
        response = urllib.request.urlopen(_request(url, account_sid, token),  # noqa: S310
                                          timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        error.close()
        raise RecordingUnavailable("la grabación aún no está disponible" if error.code == 404
                                   else f"Twilio respondió HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise RecordingUnavailable(f"no se pudo llegar a Twilio: "
                                   f"{getattr(error, 'reason', error)}") from None
    return _chunks(response)


def _chunks(response) -> Iterator[bytes]:
    """A response's body in chunks; the connection closed at the end."""
    with response:
        while chunk := response.read(CHUNK):
            yield chunk
