"""Recordings played in the console: streamed through it from Twilio's media URL with the
account's credentials (no Twilio URL reaches the browser), following Twilio's redirect to its
storage without them; one not available says so. Against the fake of Twilio's API."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from ivr.services.cases import save_recording
from tests.conftest import TOKEN
from tests.console_support import Console, make_user, open_test_case
from tests.routing_support import configure
from tests.test_recordings import AUDIO, NOW, SID_A
from tests.twilio_fake import ACCOUNT_SID, MEDIA_HOST

SID_PENDING = "RE" + "e" * 32
SID_MISSING = "RE" + "f" * 32  # completed here, not (yet) at Twilio


@pytest.fixture
def played(app, db, clock, twilio_api):
    """A logged-in analyst and a case with a completed, a missing and a pending recording."""
    clock("2027-02-15 09:00")
    twilio_api.auth_token = TOKEN
    twilio_api.media[SID_A] = AUDIO[SID_A]
    configure(app, twilio_account_sid=ACCOUNT_SID, twilio_api_url=twilio_api.url)
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
    return console, number, twilio_api



def test_a_recording_streams_through_the_console(played):
    """The case page has an <audio> element pointing at the console, which streams the bytes
    fetched with the account's credentials from Twilio, following its 302 to the storage
    (another host) without them; no Twilio URL is in the page."""
    console, number, fake = played
    page = console.get(f"/console/cases/{number}").get_data(as_text=True)
    assert f'src="/console/recordings/{SID_A}.mp3"' in page
    assert "api.twilio.com" not in page and "aún no disponible para escuchar" in page
    response = console.get(f"/console/recordings/{SID_A}.mp3")
    assert response.status_code == 200 and response.mimetype == "audio/mpeg"
    assert response.get_data() == AUDIO[SID_A]
    asked = [path for method, path, _params in fake.requests if "/Recordings/" in path]
    assert asked == [f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{SID_A}.mp3"]
    assert fake.media_seen == [(f"/media/{SID_A}.mp3", None)]  # no credentials at storage
    assert MEDIA_HOST not in fake.url


def test_the_storage_refuses_credentials(played):
    """The fake's storage answers like S3 to a request that carries credentials: the check
    above cannot pass by accident."""
    _console, _number, fake = played
    port = urlsplit(fake.url).port
    request = urllib.request.Request(  # noqa: S310 - the local fake
        f"http://{MEDIA_HOST}:{port}/media/{SID_A}.mp3?Signature=x",
        headers={"Authorization": fake.basic()})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310 - the local fake
    refused.value.close()
    assert refused.value.code == 400


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
