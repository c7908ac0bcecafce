"""`flask --app wsgi call`: the walker's Twilio semantics, whole calls, the README, a server."""

from __future__ import annotations

import os
import random
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from ivr.domain.clock import utcnow
from ivr.services.directory import add_analyst, set_analyst_status
from ivr.sim.simulator import Output, parse_answer, parse_script
from ivr.sim.walker import (
    Answer,
    Reply,
    ScriptAnswers,
    ScriptError,
    TooManySteps,
    Walker,
    plan,
    read_twiml,
)
from ivr.store.models import Analyst, Call, Case, DialAttempt, Recording

ROOT = Path(__file__).resolve().parent.parent
CASE_DIGITS = re.compile(r"\b\d(?:, \d){6}\b")  # a case number read digit by digit
OUT_OF_HOURS = "2026-12-07 20:00"  # a Monday night
IN_HOURS = "2026-12-07 09:00"
SPANISH = dict(zip("0123456789", ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis",
                                   "siete", "ocho", "nueve"], strict=True))
REPORT = "2;say:Empresa Demo;say:Ana Prueba;say:Gerente;#;1;1;rec:20"


# --- the script grammar ----------------------------------------------------------------------


@pytest.mark.parametrize("token, kind, value", [
    ("2", "keys", "2"), ("123#", "keys", "123#"), ("*", "keys", "*"),
    ("say:Empresa Demo", "speech", "Empresa Demo"), ("SAY:  dos  ", "speech", "dos"),
    ("", "silence", ""), ("-", "silence", ""), (" hangup ", "hangup", ""),
    ("rec:15", "record", ""), ("rec:hangup", "record", ""), ("dial:busy", "dial", "busy"),
    ("dial:accept:90", "dial", "accept"),
])
def test_script_answers_parse(token, kind, value):
    """Every form of the grammar."""
    answer = parse_answer(token)
    assert (answer.kind, answer.value) == (kind, value)


def test_record_and_dial_answers_carry_their_numbers():
    """rec:SECONDS[:hangup] and dial:accept:SECONDS."""
    assert (parse_answer("rec:15").seconds, parse_answer("rec:15").then_hangup) == (15, False)
    assert parse_answer("rec:15:hangup").then_hangup
    assert parse_answer("rec:hangup").then_hangup
    assert parse_answer("dial:accept:90").seconds == 90


@pytest.mark.parametrize("script, position, words", [
    ("2;rec:abc", 2, "rec:SECONDS"), ("1;say:", 2, "needs words"), ("dial:maybe", 1, "decline"),
    ("dial:busy:20", 1, "only dial:accept"), ("2;3;hola", 3, "not an answer"),
])
def test_bad_script_answers_are_named(script, position, words):
    """A bad answer is refused before the call, naming its place and the grammar."""
    with pytest.raises(ScriptError) as caught:
        parse_script(script)
    assert f"answer {position}" in str(caught.value) and words in str(caught.value)


def test_typed_shorthands_only_where_they_are_clear():
    """At the keyboard, '20' answers a recording and 'busy' a ringing phone."""
    assert parse_answer("20", "record").kind == "record"
    assert parse_answer("busy", "dial").value == "busy"
    assert parse_answer("20", "gather").kind == "keys"


# --- the walker, against a fake line ---------------------------------------------------------

TOKEN = "walker-token"


class FakeLine:
    """A scripted server: TwiML by path; checks every signature; keeps every request."""

    base = "http://line.test"

    def __init__(self, pages: dict, sign_base: str | None = None):
        """pages: path -> TwiML body, (status, body), or a function of the params."""
        self.pages = pages
        self.sign_base = sign_base or self.base
        self.requests: list[tuple[str, str, dict]] = []
        self.validator = RequestValidator(TOKEN)

    def send(self, method, url, params, headers):
        """Answer one request."""
        signed = self.sign_base + url[len(self.base):]
        assert self.validator.validate(signed, params, headers["X-Twilio-Signature"]), url
        parts = urlsplit(url)
        self.requests.append((method, parts.path + (f"?{parts.query}" if parts.query else ""),
                              dict(params) if method == "POST" else dict(parse_qsl(parts.query))))
        page = self.pages.get(parts.path, "<Response/>" if parts.path.endswith("status")
                              else (404, "not found"))
        if callable(page):
            page = page(params)
        status, body = page if isinstance(page, tuple) else (200, page)
        if parts.path.endswith("status") and status == 200:
            status, body = 204, ""
        return Reply(status, "text/xml", f"<?xml version='1.0'?>{body}".encode()
                     if body.startswith("<") else body.encode())

    def posted(self, path: str) -> list[dict]:
        """The params of every request to a path (without its query)."""
        return [p for _m, url, p in self.requests if url.split("?")[0] == path]


def walk(pages: dict, script: str, **options):
    """Run a call against a fake line; return (line, transcript lines, result)."""
    line = FakeLine(pages, options.pop("line_sign_base", None))
    lines: list[str] = []
    walker = Walker(line, ScriptAnswers(parse_script(script)), Output(lines.append),
                    token=TOKEN, **options)
    result = walker.run()
    return line, lines, result


def test_every_request_is_signed_and_ends_with_the_status_callback():
    """The call starts at /voice/incoming and ends with /voice/status, all signed."""
    line, lines, result = walk({"/voice/incoming": "<Response><Say>Hola</Say><Hangup/></Response>"},
                               "")
    assert [url for _m, url, _p in line.requests] == ["/voice/incoming", "/voice/status"]
    first, last = line.posted("/voice/incoming")[0], line.posted("/voice/status")[0]
    assert first["CallSid"].startswith("CA") and len(first["CallSid"]) == 34
    assert first["Direction"] == "inbound" and first["CallStatus"] == "in-progress"
    assert last["CallStatus"] == "completed" and last["CallDuration"] == str(result.seconds)
    assert "🔊 Hola" in lines and result.reason == "the line hung up"


def test_signing_for_a_public_base_url():
    """--sign-url: requests go to the server, signatures are for the public URL."""
    line, _lines, _result = walk(
        {"/voice/incoming": "<Response><Redirect>https://ivr.example.com/voice/b</Redirect>"
                            "</Response>", "/voice/b": "<Response/>"},
        "", sign_base="https://ivr.example.com", line_sign_base="https://ivr.example.com")
    assert [url for _m, url, _p in line.requests][:2] == ["/voice/incoming", "/voice/b"]


GATHER = ('<Response><Gather action="next?t=2" numDigits="1" input="dtmf speech">'
          '<Say>Marque</Say></Gather><Say>Nada</Say><Redirect>/voice/again</Redirect>'
          '</Response>')


def test_silence_falls_through_to_the_next_verb():
    """No input: the Gather's action is not requested; the verbs after it run."""
    line, lines, _result = walk({"/voice/incoming": GATHER, "/voice/again": "<Response/>"}, "-")
    assert line.posted("/voice/next") == []
    assert "🔊 Nada" in lines and line.posted("/voice/again")
    assert "Digits" not in line.posted("/voice/again")[0]


def test_action_on_empty_result_posts_nothing_heard():
    """actionOnEmptyResult="true": silence still requests the action."""
    page = GATHER.replace("<Gather ", '<Gather actionOnEmptyResult="true" ')
    line, _lines, _result = walk({"/voice/incoming": page, "/voice/next": "<Response/>"}, "-")
    posted = line.posted("/voice/next")
    assert len(posted) == 1 and "Digits" not in posted[0] and "SpeechResult" not in posted[0]


@pytest.mark.parametrize("attributes, keys, digits", [
    ('numDigits="1"', "12", "1"),
    ("", "123#", "123"),
    ("", "123", "123"),  # no finish key: the timeout submits what was pressed
    ("", "#", "#"),  # modelled: a lone finish key is posted as itself
    ('finishOnKey=""', "12#", "12#"),
    ('finishOnKey="*"', "45*", "45"),
])
def test_keys_posted_as_digits(attributes, keys, digits):
    """finishOnKey is stripped, numDigits cuts, relative actions resolve."""
    page = f'<Response><Gather action="next" {attributes}><Say>x</Say></Gather></Response>'
    line, _lines, _result = walk({"/voice/incoming": page, "/voice/next": "<Response/>"}, keys)
    assert line.posted("/voice/next")[0]["Digits"] == digits


def test_speech_and_a_gather_without_action():
    """Speech posts SpeechResult and Confidence to the current document's URL."""
    page = ('<Response><Gather input="speech"><Say>Diga</Say></Gather></Response>')
    pages = {"/voice/ask": lambda p: "<Response/>" if "SpeechResult" in p else page,
             "/voice/incoming": '<Response><Redirect method="GET">/voice/ask?t=1</Redirect>'
                                "</Response>"}
    line, lines, _result = walk(pages, "say:reportar una falla")
    method, url, params = line.requests[-2]
    assert (method, url) == ("POST", "/voice/ask?t=1")
    assert params["SpeechResult"] == "reportar una falla" and "Confidence" in params
    assert line.requests[1][0] == "GET" and "CallSid" in line.requests[1][2]
    assert "☎  caller says “reportar una falla”" in lines


def test_keys_at_a_speech_only_gather_are_not_heard():
    """A Gather that does not listen for keys falls through."""
    page = '<Response><Gather input="speech" action="/voice/n"/><Say>Adiós</Say></Response>'
    line, lines, _result = walk({"/voice/incoming": page}, "1")
    assert line.posted("/voice/n") == [] and "🔊 Adiós" in lines


def test_record_then_hangup_still_reaches_the_action_and_the_recording_callback():
    """A caller hanging up while recording: action with Digits=hangup, then the callbacks."""
    page = ('<Response><Record action="/voice/rec" maxLength="120" '
            'recordingStatusCallback="/voice/rec-status"/><Say>never</Say></Response>')
    line, lines, result = walk({"/voice/incoming": page,
                                "/voice/rec": "<Response><Say>Gracias</Say></Response>"},
                               "rec:15:hangup")
    assert [url for _m, url, _p in line.requests] == [
        "/voice/incoming", "/voice/rec", "/voice/rec-status", "/voice/status"]
    action = line.posted("/voice/rec")[0]
    assert action["Digits"] == "hangup" and action["CallStatus"] == "completed"
    assert action["RecordingSid"].startswith("RE") and action["RecordingDuration"] == "15"
    status = line.posted("/voice/rec-status")[0]
    assert status["RecordingStatus"] == "completed"
    assert status["RecordingSid"] == action["RecordingSid"]
    assert "🔊 Gracias" not in lines and result.reason == "the caller hung up"


def test_record_finished_with_the_key_and_silence_at_a_record():
    """rec:N posts Digits=#; silence records nothing and goes on."""
    page = '<Response><Record action="/voice/rec"/><Say>sin grabación</Say></Response>'
    line, _lines, _result = walk({"/voice/incoming": page, "/voice/rec": "<Response/>"},
                                 "rec:8")
    assert line.posted("/voice/rec")[0]["Digits"] == "#"
    line, lines, _result = walk({"/voice/incoming": page}, "-")
    assert line.posted("/voice/rec") == [] and "🔊 sin grabación" in lines


WHISPER = ('<Response><Gather numDigits="1" action="/voice/w/answer"><Say>Llamada</Say>'
           "</Gather><Hangup/></Response>")


def dial_pages(whisper=WHISPER):
    """A Dial with a whispered Number and leg callbacks, and its action."""
    return {
        "/voice/incoming": '<Response><Dial action="/voice/after" timeout="20">'
                           '<Number url="/voice/w" statusCallback="/voice/leg-status" '
                           'statusCallbackEvent="initiated ringing answered completed">'
                           "+15005550101</Number></Dial></Response>",
        "/voice/w": whisper,
        "/voice/w/answer": lambda p: "<Response/>" if p.get("Digits") == "1"
        else "<Response><Hangup/></Response>",
        "/voice/after": "<Response><Say>Fin</Say></Response>",
    }


@pytest.mark.parametrize("choice, status, bridged, events", [
    ("accept", "completed", "true", ["initiated", "ringing", "in-progress", "completed"]),
    ("decline", "completed", "false", ["initiated", "ringing", "in-progress", "completed"]),
    ("voicemail", "completed", "false", ["initiated", "ringing", "in-progress", "completed"]),
    ("ring", "no-answer", "false", ["initiated", "ringing", "no-answer"]),
    ("busy", "busy", "false", ["initiated", "busy"]),
    ("fail", "failed", "false", ["initiated", "failed"]),
])
def test_dial_outcomes(choice, status, bridged, events):
    """Each callee choice: the whisper on the callee's leg, leg events, the Dial action."""
    line, lines, _result = walk(dial_pages(), f"dial:{choice}")
    after = line.posted("/voice/after")[0]
    assert (after["DialCallStatus"], after["DialBridged"]) == (status, bridged)
    legs = line.posted("/voice/leg-status")
    assert [p["CallStatus"] for p in legs] == events
    assert {p["ParentCallSid"] for p in legs} == {after["CallSid"]}
    assert after["DialCallSid"] == legs[0]["CallSid"] != after["CallSid"]
    whisper = line.posted("/voice/w")
    if choice in ("accept", "decline", "voicemail"):
        assert whisper[0]["CallSid"] == after["DialCallSid"]
        assert "   │ 🎧 Llamada" in lines
        answers = line.posted("/voice/w/answer")
        assert [p.get("Digits") for p in answers] == ({"accept": ["1"], "decline": ["2"]}
                                                      .get(choice, []))
    else:
        assert whisper == []


def test_a_whisper_without_hangup_bridges_the_voicemail():
    """The trap Twilio documents: a timed-out whisper Gather with nothing after it bridges."""
    line, lines, _result = walk(dial_pages(WHISPER.replace("<Hangup/>", "")), "dial:voicemail")
    assert line.posted("/voice/after")[0]["DialBridged"] == "true"
    assert any("connected to a voicemail" in text for text in lines)


def test_caller_hanging_up_while_it_rings():
    """Script over at a Dial: the action hears canceled and the call's completion."""
    line, _lines, result = walk(dial_pages(), "")
    after = line.posted("/voice/after")[0]
    assert (after["DialCallStatus"], after["CallStatus"]) == ("canceled", "completed")
    assert result.reason == "the caller hung up"


def test_dial_without_action_goes_on():
    """No action: the verbs after the Dial run."""
    pages = {"/voice/incoming": "<Response><Dial>+15005550101</Dial><Say>Sigue</Say>"
                                "</Response>"}
    _line, lines, _result = walk(pages, "dial:busy")
    assert "🔊 Sigue" in lines


def test_a_failing_webhook_goes_to_the_fallback_url():
    """HTTP 500: Twilio requests the Fallback URL with ErrorCode and ErrorUrl."""
    pages = {"/voice/incoming": (500, "boom"),
             "/voice/fallback": "<Response><Say>Disculpe</Say></Response>"}
    line, lines, result = walk(pages, "")
    fallback = line.posted("/voice/fallback")[0]
    assert fallback["ErrorCode"] == "11200"
    assert fallback["ErrorUrl"] == "http://line.test/voice/incoming"
    assert "🔊 Disculpe" in lines and result.failures == 1


def test_an_answer_that_is_not_twiml_is_error_12100():
    """Invalid XML: the Fallback URL hears ErrorCode 12100."""
    pages = {"/voice/incoming": "oops", "/voice/fallback": "<Response/>"}
    line, lines, _result = walk(pages, "")
    assert line.posted("/voice/fallback")[0]["ErrorCode"] == "12100"
    assert any("Twilio error 12100" in text for text in lines)


def test_a_failing_whisper_hangs_up_the_leg_only():
    """The whisper's URL fails: that leg is not bridged; no Fallback URL for the caller."""
    pages = dial_pages(whisper=(500, "boom"))
    line, lines, result = walk(pages, "dial:accept")
    assert line.posted("/voice/fallback") == []
    assert line.posted("/voice/after")[0]["DialBridged"] == "false"
    assert "🔊 Fin" in lines and result.failures == 1


def test_a_loop_ends_at_max_steps():
    """A line that redirects forever is cut off, and the call is still completed."""
    pages = {"/voice/incoming": "<Response><Redirect>/voice/incoming</Redirect></Response>"}
    with pytest.raises(TooManySteps):
        walk(pages, "", max_steps=5)


def test_a_script_answering_the_wrong_question_stops():
    """rec:… at a Gather is a mistake in the script."""
    with pytest.raises(ScriptError, match="cannot answer the <Gather>"):
        walk({"/voice/incoming": GATHER}, "rec:20")


def test_a_dry_run_names_the_requests_without_sending_them():
    """plan() (the benchmark's flows): one document walked, every request only noted."""
    record = read_twiml(b'<Response><Say>x</Say><Record action="/voice/rec?c=1" '
                        b'recordingStatusCallback="rec-status"/></Response>')
    walked = plan(record, "/voice/report/severity?t=1", Answer("record", seconds=9))
    assert [q.kind for q in walked.asked] == ["record"] and walked.ended == ""
    assert walked.next.url == "http://localhost/voice/rec?c=1"
    assert walked.next.params["RecordingDuration"] == "9"
    [status] = walked.callbacks(leg=False)  # due a moment later, still part of the plan
    assert status.path == "/voice/report/rec-status"
    assert status.params["RecordingSid"] == walked.next.params["RecordingSid"]
    dial = plan(read_twiml(dial_pages()["/voice/incoming"].encode()), "/voice/incoming",
                Answer("dial", "accept"))
    assert [r.path for r in dial.leg_documents()] == ["/voice/w"]
    assert [r.params["CallStatus"] for r in dial.callbacks(leg=True)] == [
        "initiated", "ringing", "in-progress", "completed"]
    assert (dial.next.path, dial.next.params["DialBridged"]) == ("/voice/after", "true")
    gather = read_twiml(GATHER.encode())
    assert plan(gather, "/voice/incoming", Answer("silence")).next.path == "/voice/again"
    posted = plan(gather, "/voice/incoming", Answer.form({"Digits": "123"})).next
    assert posted.url.endswith("/voice/next?t=2") and posted.params["Digits"] == "123"
    hangup = plan(read_twiml(b"<Response><Hangup/></Response>"), "/voice/x")
    assert (hangup.ended, hangup.next, hangup.requests) == ("hangup", None, [])
    with pytest.raises(ScriptError, match="cannot answer the <Gather>"):
        plan(gather, "/voice/incoming", Answer("record", seconds=3))


def test_colours_only_when_asked():
    """ANSI codes with color=True, none without."""
    plain, coloured = [], []
    Output(plain.append).line("say", "🔊 Hola")
    Output(coloured.append, color=True).line("say", "🔊 Hola")
    assert plain == ["🔊 Hola"]
    assert coloured[0].startswith("\x1b[") and coloured[0].endswith("\x1b[0m")


# --- whole calls through the application (SQLite and PostgreSQL) -----------------------------


def call(runner, *args, ok=True):
    """Run `flask call` in-process; return its stdout."""
    result = runner.invoke(args=["call", *[str(a) for a in args]])
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
        assert "\x1b[" not in result.output  # not a terminal: plain text
    return result


def case_digits(text: str) -> list[str]:
    """The case numbers read digit by digit in a transcript."""
    return [m.replace(", ", "") for m in CASE_DIGITS.findall(text)]


@pytest.fixture
def analysts(db):
    """Two available analysts."""
    rows = []
    for i, phone in enumerate(["+15005550101", "+15005550102"]):
        analyst = add_analyst(db, f"Analista {i + 1}", phone, "184263", utcnow())
        rows.append(set_analyst_status(db, analyst, "available", utcnow()))
    db.commit()
    return rows


def test_new_fault_out_of_hours(runner, session):
    """Menu 2 at night: identification, recording; the case is stored and read back."""
    out = call(runner, "--at", OUT_OF_HOURS, "--script", REPORT).stdout
    assert "fuera de nuestro horario" in out and "Volvemos a atenderle mañana" in out
    case = session.scalars(select(Case)).one()
    assert case_digits(out) == [case.number, case.number]
    assert f"Su número de caso es {', '.join(case.number)}" in out
    assert (case.company_name, case.caller_name, case.caller_position) == (
        "Empresa Demo", "Ana Prueba", "Gerente")
    assert case.severity == 1 and case.status != "incomplete"
    recording = session.scalars(select(Recording).where(Recording.case_id == case.id)).one()
    assert recording.kind == "description"
    call_row = session.scalars(select(Call)).one()
    assert call_row.status == "completed" and call_row.duration > 20
    assert "☎  caller hangs up (end of script)" in out


def test_case_lookup_by_keys_and_by_voice(runner, session):
    """The case reported is found by its keyed number and by its spoken digits."""
    call(runner, "--at", OUT_OF_HOURS, "--script", REPORT)
    number = session.scalars(select(Case)).one().number
    keyed = call(runner, "--from", "+584145550111", "--at", "2026-12-08 10:00",
                 "--script", f"1;{number}#").stdout
    spoken_words = " ".join(SPANISH[d] for d in number)
    said = call(runner, "--from", "+584145550112", "--at", "2026-12-08 10:00",
                "--script", f"1;say:{spoken_words}").stdout
    for out in (keyed, said):
        assert f"Caso {', '.join(number)}." in out
        assert "Su caso fue recibido" in out
    assert f"caller says “{spoken_words}”" in said


def test_menu_zero_in_hours_an_analyst_accepts(runner, session, analysts):
    """In hours, 0: the analyst hears the whisper on their side, accepts, the call is answered."""
    out = call(runner, "--at", IN_HOURS, "--script", "0;dial:accept").stdout
    case = session.scalars(select(Case)).one()
    assert "📞 ringing +15005550101" in out
    whisper = [line for line in out.splitlines() if "🎧" in line]
    assert whisper and all(line.startswith("   │ ") for line in whisper)
    assert f"caso {', '.join(case.number)}" in whisper[0]
    assert "   │ ☏ callee presses 1" in out and "the calls are bridged" in out
    session.expire_all()
    call_row = session.scalars(select(Call)).one()
    assert call_row.outcome == "answered"
    assert call_row.answered_by == f"analyst:{analysts[0].id}"
    attempt = session.scalars(select(DialAttempt)).one()
    assert attempt.outcome == "accepted"
    # No call held; free again once the wrap-up after the conversation has passed.
    analyst = session.get(Analyst, analysts[0].id)
    assert analyst.lease_call_sid is None
    assert analyst.lease_until is None or analyst.lease_until > attempt.ended_at


def test_a_decline_then_the_next_analyst(runner, session, analysts):
    """The first analyst presses 2; the caller waits; the second one takes the call."""
    out = call(runner, "--at", IN_HOURS, "--script", "0;dial:decline;-;dial:accept").stdout
    assert "   │ ☏ callee presses 2" in out and "Seguimos buscando" in out
    assert "📞 ringing +15005550102" in out
    session.expire_all()
    attempts = session.scalars(select(DialAttempt).order_by(DialAttempt.seq)).all()
    assert [(a.analyst_id, a.outcome) for a in attempts] == [
        (analysts[0].id, "declined"), (analysts[1].id, "accepted")]
    assert session.scalars(select(Call)).one().answered_by == f"analyst:{analysts[1].id}"


def test_carnival_monday_is_closed(runner):
    """2027-02-08 is Carnival Monday: the greeting says closed, and why."""
    out = call(runner, "--at", "2027-02-08 09:00", "--script", "hangup").stdout
    assert "Mon 2027-02-08 09:00 Caracas time" in out
    assert "cerrados por ser feriado" in out and "Carnaval" in out
    assert "Si es una emergencia, marque 0" in out


def test_forwarded_line_and_withheld_caller_id(runner, session):
    """--line arrives as ForwardedFrom; an anonymous caller is an unknown caller."""
    call(runner, "--from", "anonymous", "--line", "(0212) 471.32.39", "--script", "hangup")
    row = session.scalars(select(Call)).one()
    assert row.forwarded_from == "+582124713239"
    assert row.from_raw == "anonymous" and row.from_number is None


def test_interactive_call(runner):
    """Without --script the answers are typed; end of input hangs up."""
    result = runner.invoke(args=["call", "--at", OUT_OF_HOURS], input="nonsense\n*\n")
    assert result.exit_code == 0, result.output
    assert "'nonsense' is not an answer" in result.output
    assert "☎  caller presses *" in result.output
    assert "caller hangs up (end of input)" in result.output


def test_url_with_at_is_refused(runner, session):
    """--at moves this process's clock only."""
    result = call(runner, "--url", "http://127.0.0.1:9", "--at", IN_HOURS, ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --at") and "--url" in result.stderr
    assert session.scalars(select(Call)).all() == []


def test_bad_script_answer_is_refused_before_calling(runner, session):
    """A bad answer: one error line naming it, and no call placed."""
    result = call(runner, "--script", "2;say:Empresa;rec:abc", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --script answer 3: 'rec:abc'")
    assert result.stdout == ""
    assert session.scalars(select(Call)).all() == []


def test_wrong_question_ends_the_call_with_an_error(runner, session):
    """A script that answers a menu with a recording stops, hanging up cleanly."""
    result = call(runner, "--script", "rec:20", ok=False)
    assert result.exit_code == 1 and "cannot answer the <Gather>" in result.stderr
    assert session.scalars(select(Call)).one().status == "completed"


def test_unreachable_server(runner):
    """--url to nothing: a clear error."""
    result = call(runner, "--url", "http://127.0.0.1:9", "--script", "-", ok=False)
    assert result.exit_code == 1 and "error: cannot reach http://127.0.0.1:9" in result.stderr


# --- the README cannot rot -------------------------------------------------------------------


def readme_quickstart() -> tuple[list[str], str]:
    """The README's quickstart `call` command (its arguments) and the transcript shown."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Try the line without a phone", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w*)\n(.*?)```", section, flags=re.S)
    command = next(line for lang, body in blocks if lang == "sh" for line in body.splitlines()
                   if line.startswith("flask --app wsgi call "))
    transcript = next(body for lang, body in blocks if lang == "text")
    return shlex.split(command, comments=True)[3:], transcript


def normalised(transcript: str) -> str:
    """A transcript with its case numbers (random) replaced."""
    return CASE_DIGITS.sub("N, N, N, N, N, N, N", transcript).strip()


def update_readme(transcript: str) -> None:
    """Paste a new quickstart transcript (and its case number) into the README."""
    path = ROOT / "README.md"
    head, rest = path.read_text(encoding="utf-8").split("## Try the line without a phone", 1)
    section, tail = rest.split("\n## ", 1)
    section = re.sub(r"```text\n.*?```", lambda _m: f"```text\n{transcript.rstrip()}\n```",
                     section, count=1, flags=re.S)
    number = case_digits(transcript)[0]
    section = re.sub(r'"1;\d{7}#"', f'"1;{number}#"', section)
    path.write_text(f"{head}## Try the line without a phone{section}\n## {tail}",
                    encoding="utf-8")


def test_readme_quickstart_transcript_is_real(runner):
    """The README's quickstart, run on the demo data, prints the README's transcript.

    After a change of prompts: `UPDATE_README=1 pytest tests/test_simulator.py -k readme`.
    """
    args, shown = readme_quickstart()
    assert args[0] == "call" and "--script" in args
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    out = call(runner, *args[1:]).stdout
    if os.environ.get("UPDATE_README") == "1":
        update_readme(out)
        shown = readme_quickstart()[1]
    assert normalised(out) == normalised(shown)
    assert len(set(case_digits(shown))) == 1  # one case, read twice


def readme_more_calls() -> list[list[list[str]]]:
    """The README's "other calls worth hearing": each example as its `call` commands (an
    example may chain two with &&), as argument lists."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("Other calls worth hearing", 1)[1]
    body = re.search(r"```sh\n(.*?)```", section, flags=re.S).group(1)
    examples = []
    for line in body.splitlines():
        commands = [shlex.split(part, comments=True) for part in line.split(" && ")]
        examples.append([command[3:] for command in commands])
    return examples


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_readme_more_calls_work_in_any_order(runner, seed):
    """Issue 14: each example calls from a phone of its own, so any order works (after the
    quickstart, whose case number one of them keys)."""
    examples = readme_more_calls()
    assert len(examples) >= 6
    callers = [command[command.index("--from") + 1] for example in examples
               for command in example]
    assert all(command[0] == "call" and "--from" in command
               for example in examples for command in example)
    assert len(set(callers)) == len(examples)  # a phone of its own (a chained pair shares it)
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    args, _shown = readme_quickstart()
    call(runner, *args[1:])
    random.Random(seed).shuffle(examples)
    for example in examples:
        for command in example:
            out = call(runner, *command[1:]).stdout
            assert "⚠" not in out, (command, out)
        if any("+15005550201" in command for command in example):
            assert "Gracias por llamar a CCO Apoyo Empresarial, Ana Prueba." in out
        if len(example) == 2:
            assert "¿Llama por su caso abierto" in out, out


# --- against a real server ---------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_calling_a_running_gunicorn(tmp_path):
    """gunicorn with gunicorn.conf.py on a temporary SQLite database; the call goes over HTTP,
    signed with the development token both read from instance/dev-token."""
    port = free_port()
    env = {**os.environ, "IVR_ENV": "development", "TWILIO_AUTH_TOKEN": "",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'line.sqlite3'}",
           "SPOOL_DIR": str(tmp_path / "spool"), "PUBLIC_BASE_URL": "", "PROXY_HOPS": "0",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1", "NO_COLOR": "1"}

    def flask(*args: str) -> subprocess.CompletedProcess:
        """`flask --app wsgi ...` in a process of its own."""
        return subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=60)

    assert flask("init-db").returncode == 0
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket"],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # answering (404): up
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        # No --token: in development the server and the simulator read instance/dev-token.
        done = flask("call", "--url", f"http://127.0.0.1:{port}", "--script", "-;hangup")
        assert done.returncode == 0, (done.stdout, done.stderr)
        assert (ROOT / "instance" / "dev-token").stat().st_mode & 0o777 == 0o600
        assert f"· server http://127.0.0.1:{port}" in done.stdout
        assert "🔊 Gracias por llamar a CCO Apoyo Empresarial" in done.stdout
        assert "☎  caller stays silent" in done.stdout and "No escuché su respuesta" in done.stdout
        for wrong_token in ("wrong", "development-token"):  # the old built-in one too
            wrong = flask("call", "--url", f"http://127.0.0.1:{port}", "--token", wrong_token,
                          "--script", "hangup")
            assert wrong.returncode == 1 and "signature was refused" in wrong.stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
    logged = log.read_text()
    assert '"POST /voice/incoming HTTP/1.1" 200' in logged
    assert '"POST /voice/status HTTP/1.1" 204' in logged
    assert "X-Twilio-Signature" not in logged and "CallSid=" not in logged
