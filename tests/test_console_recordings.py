"""Recordings played in the console: streamed through it from Twilio's media URL with the
account's credentials (no Twilio URL reaches the browser); one not available says so."""

from __future__ import annotations

import pytest

from ivr.services.cases import save_recording
from tests.console_support import Console, make_user, open_test_case
from tests.routing_support import configure
from tests.test_recordings import ACCOUNT, AUDIO, NOW, SID_A, twilio_api  # noqa: F401

SID_PENDING = "RE" + "e" * 32
SID_MISSING = "RE" + "f" * 32  # completed here, not (yet) at Twilio


@pytest.fixture
def played(app, db, clock, twilio_api):  # noqa: F811 - the fixture imported above
    """A logged-in analyst and a case with a completed, a missing and a pending recording."""
    clock("2027-02-15 09:00")
    configure(app, twilio_account_sid=ACCOUNT, twilio_api_url=twilio_api[0])
    make_user(app)
    console = Console(app)
    console.login()
    case = open_test_case(app)
    number, case_id = case.number, case.id
    for sid, status in ((SID_A, "completed"), (SID_MISSING, "completed"),
                        (SID_PENDING, None)):
        save_recording(db, sid, "CA-rec", NOW, case_id=case_id, kind="description",
                       duration=12, url=f"https://api.twilio.com/x/{sid}", status=status)
    db.commit()
    return console, number, twilio_api[1]



def test_a_recording_streams_through_the_console(played):
    """The case page has an <audio> element pointing at the console, which streams the bytes
    fetched with the account's credentials; no Twilio URL is in the page."""
    console, number, handler = played
    page = console.get(f"/console/cases/{number}").get_data(as_text=True)
    assert f'src="/console/recordings/{SID_A}.mp3"' in page
    assert "api.twilio.com" not in page and "aún no disponible para escuchar" in page
    response = console.get(f"/console/recordings/{SID_A}.mp3")
    assert response.status_code == 200 and response.mimetype == "audio/mpeg"
    assert response.get_data() == AUDIO[SID_A]
    path, auth = handler.seen[-1]
    assert path.endswith(f"/Recordings/{SID_A}.mp3") and auth.startswith("Basic ")


def test_a_recording_not_at_twilio_says_so(played):
    """Twilio has no such recording (yet): a plain answer, not an error page."""
    console, _number, _handler = played
    response = console.get(f"/console/recordings/{SID_MISSING}.mp3")
    assert response.status_code == 404
    assert "aún no está disponible" in response.get_data(as_text=True)


def test_recordings_need_a_login(played, app):
    """Anonymous visitors get no audio."""
    response = app.test_client().get(f"/console/recordings/{SID_A}.mp3")
    assert response.status_code in (302, 401, 403)
    assert response.get_data() != AUDIO[SID_A]
