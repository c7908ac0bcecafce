"""Recordings for operators (issue 14): `recordings get CASE` downloads a case's recordings
with the account's credentials, from a local server that plays Twilio's API (HTTP basic auth
checked, bytes served), on both databases."""

from __future__ import annotations

import base64
import os
import socket
import stat
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ivr.services.cases import save_recording
from tests.cli_support import invoke, ok, refused
from tests.conftest import TOKEN
from tests.routing_support import configure, make_case

ACCOUNT = "AC" + "0123456789abcdef" * 2
SID_A, SID_B, SID_GONE, SID_FAILED = ("RE" + c * 32 for c in "abcd")
AUDIO = {SID_A: b"ID3-first-recording" * 100, SID_B: b"ID3-second" * 5000}
NOW = datetime(2026, 12, 7, 14, 0)


class FakeTwilio(BaseHTTPRequestHandler):
    """Twilio's recording media: basic auth with the account SID and token, or 401."""

    seen: list[tuple[str, str | None]]
    redirect_to: str | None = None

    def do_GET(self):  # noqa: N802 - http.server's name
        """Serve /2010-04-01/Accounts/AC…/Recordings/RE….mp3."""
        auth = self.headers.get("Authorization")
        self.seen.append((self.path, auth))
        expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
        if self.path.startswith("/storage/"):
            return self.send(200, AUDIO[SID_A])
        if auth != expected:
            return self.send(401, b'{"message": "Authenticate"}')
        prefix = f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/"
        sid = self.path.removeprefix(prefix).removesuffix(".mp3")
        if not self.path.startswith(prefix) or sid not in AUDIO:
            return self.send(404, b'{"message": "not found"}')
        if self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.end_headers()
            return None
        return self.send(200, AUDIO[sid])

    def send(self, status: int, body: bytes):
        """An answer with a body."""
        self.send_response(status)
        self.send_header("Content-Type", "audio/mpeg" if status == 200 else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        """Quiet."""


@pytest.fixture
def twilio_api():
    """A local server playing Twilio's API; yields (base URL, handler class)."""
    handler = type("Handler", (FakeTwilio,), {"seen": [], "redirect_to": None})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def recorded_case(app, db, twilio_api):
    """A case with four recordings: two at Twilio, one deleted there, one that failed."""
    configure(app, twilio_account_sid=ACCOUNT, twilio_api_url=twilio_api[0])
    case = make_case(db, "1042937", created="2026-12-07 09:00")
    for sid, kind, status in ((SID_A, "description", "completed"), (SID_B, "addendum", None),
                              (SID_GONE, "emergency", "completed"),
                              (SID_FAILED, "name", "failed")):
        save_recording(db, sid, "CA-rec", NOW, case_id=case.id, kind=kind, duration=12,
                       url=f"https://api.twilio.com/x/{sid}", status=status)
    db.commit()
    return case


def test_recordings_downloaded_with_the_accounts_credentials(app, runner, recorded_case,
                                                             twilio_api, tmp_path):
    """Each recording at Twilio is saved (mode 0600, in a 0700 folder); the deleted and the
    failed one are said, and the command ends with one error line for them."""
    folder = tmp_path / "grabaciones"
    result = invoke(runner, "recordings", "get", "1042937", "--dir", folder)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    first = folder / f"1042937-01-description-{SID_A}.mp3"
    second = folder / f"1042937-02-addendum-{SID_B}.mp3"
    assert lines[0].split()[:3] == [SID_A, "description", str(len(AUDIO[SID_A]))]
    assert lines[0].endswith(str(first)) and lines[1].endswith(str(second))
    assert lines[2] == f"{SID_GONE}  emergency    not saved: not at Twilio (deleted, or never " \
                       "completed)"
    assert lines[3] == f"{SID_FAILED}  name         not saved: Twilio reported it failed"
    assert result.stderr == "error: 2 of 4 recording(s) of case 1042937 not saved (see above)\n"
    assert first.read_bytes() == AUDIO[SID_A] and second.read_bytes() == AUDIO[SID_B]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    assert sorted(os.listdir(folder)) == sorted([first.name, second.name])  # no .part left
    paths = [path for path, _auth in twilio_api[1].seen]
    assert f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/{SID_A}.mp3" in paths
    assert not any(SID_FAILED in path for path in paths)

    again = invoke(runner, "recordings", "get", "1042937", "--dir", folder)
    assert "(already saved)" in again.stdout.splitlines()[0]


def test_wrong_credentials_are_one_error_line(app, runner, recorded_case, tmp_path):
    """Twilio's 401: one line naming the two settings, nothing saved."""
    configure(app, twilio_auth_token=type(app.extensions["ivr"].settings.twilio_auth_token)(
        "wrong-token"))
    message = refused(runner, "recordings", "get", "1042937", "--dir", tmp_path / "r")
    assert message == ("Twilio refused the account's credentials (HTTP 401): check "
                       "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    assert os.listdir(tmp_path / "r") == []


def test_no_account_sid_is_one_error_line(app, runner, recorded_case, tmp_path):
    """Without TWILIO_ACCOUNT_SID the command says where to find it."""
    configure(app, twilio_account_sid=None)
    assert "TWILIO_ACCOUNT_SID is not set" in refused(runner, "recordings", "get", "1042937",
                                                      "--dir", tmp_path / "r")


def test_unreachable_api_is_one_error_line(app, runner, recorded_case, tmp_path):
    """A closed port: one line naming the server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configure(app, twilio_api_url=f"http://127.0.0.1:{port}")
    message = refused(runner, "recordings", "get", "1042937", "--dir", tmp_path / "r")
    assert message.startswith(f"cannot reach http://127.0.0.1:{port}: ")


def test_credentials_never_follow_a_redirect(app, runner, recorded_case, twilio_api,
                                             tmp_path):
    """Twilio may redirect the media elsewhere: the account's credentials stay behind."""
    base, handler = twilio_api
    handler.redirect_to = f"{base}/storage/media.mp3"
    invoke(runner, "recordings", "get", "1042937", "--dir", tmp_path / "r")
    storage = [auth for path, auth in handler.seen if path.startswith("/storage/")]
    assert storage and all(auth is None for auth in storage)
    assert (tmp_path / "r" / f"1042937-01-description-{SID_A}.mp3").read_bytes() == AUDIO[SID_A]


def test_a_case_without_recordings(app, runner, db, twilio_api):
    """Nothing to fetch: said, exit 0."""
    configure(app, twilio_account_sid=ACCOUNT, twilio_api_url=twilio_api[0])
    make_case(db, "1042937", created="2026-12-07 09:00")
    db.commit()
    assert ok(runner, "recordings", "get", "1042937") == ["case 1042937 has no recordings"]
