"""Menu 2: a new fault, from the first step to the read-back; nothing lost on a hangup."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from ivr.domain.business_hours import to_caracas
from ivr.domain.clock import utcnow
from ivr.services.directory import add_company, add_contact
from ivr.store.models import Call, Case, Recording
from tests.conftest import call_params, spoken, twiml
from tests.walk import CALLER, Walk, ask, assert_no_phone, redirect_to, split


def follow(twilio, sid, root, **answer):
    """Answer the document's Gather (or follow its Redirect) the way Twilio would."""
    gather = root.find("Gather")
    record = root.find("Record")
    if record is not None:
        url = record.get("action")
    elif gather is not None and answer:
        url = gather.get("action")
    else:
        url = root.find("Redirect").text
    return twiml(twilio.post(url, call_params(sid, **answer)))


def test_full_report_closed_hours(twilio, clock, session):
    """An unknown caller reports a fault at night and leaves with a case and a due time."""
    clock("2026-12-07 20:00")
    sid = twilio.new_sid()
    root = twiml(twilio.post("/voice/incoming", call_params(sid)))
    root = follow(twilio, sid, root, Digits="2")  # the menu answers with the report itself
    case = session.scalars(select(Case)).one()
    assert case.status == "incomplete"
    assert ", ".join(case.number) in spoken(root)
    root = follow(twilio, sid, root, SpeechResult="Empresa Demo")
    root = follow(twilio, sid, root, SpeechResult="María Pérez")
    root = follow(twilio, sid, root, SpeechResult="Gerente de sistemas")
    root = follow(twilio, sid, root, SpeechResult="maria punto perez arroba example punto com")
    assert "Anotamos el correo maria punto perez arroba example punto com" in spoken(root)
    root = follow(twilio, sid, root, Digits="1")  # same number
    root = follow(twilio, sid, root, Digits="1")  # operation stopped
    assert root.find("Record") is not None
    root = follow(twilio, sid, root, RecordingSid="RE1", RecordingUrl="https://x/RE1",
                  RecordingDuration="31", Digits="#")
    assert "le llamará mañana antes de las" in spoken(root)
    session.expire_all()
    case = session.scalars(select(Case)).one()
    assert (case.company_name, case.caller_name, case.caller_position) == (
        "Empresa Demo", "María Pérez", "Gerente de sistemas")
    assert case.email == "maria.perez@example.com"
    assert case.callback_number == "+584125550123"
    assert case.severity == 1 and case.status == "received"
    assert case.out_of_hours and case.due_at is not None
    rec = session.scalars(select(Recording)).one()
    assert (rec.case_id, rec.kind, rec.duration) == (case.id, "description", 31)


def test_hangup_during_recording_keeps_everything(twilio, clock, session):
    """Digits=hangup on the Record action still stores the recording and completes the case."""
    clock("2026-12-07 20:00")
    sid = twilio.new_sid()
    twiml(twilio.post("/voice/report?r=1", call_params(sid)))
    case = session.scalars(select(Case)).one()
    response = twilio.post(f"/voice/report/recorded?c={case.id}", call_params(
        sid, RecordingSid="RE2", RecordingUrl="https://x/RE2", RecordingDuration="12",
        Digits="hangup", CallStatus="completed"))
    twiml(response)
    for _ in range(3):  # replays
        twilio.post(f"/voice/report/recorded?c={case.id}", call_params(
            sid, RecordingSid="RE2", RecordingUrl="https://x/RE2", RecordingDuration="12",
            Digits="hangup", CallStatus="completed"))
    twilio.post(f"/voice/recording-status?c={case.id}&k=description", call_params(
        sid, RecordingSid="RE2", RecordingStatus="completed", RecordingUrl="https://x/RE2"))
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    rec = session.scalars(select(Recording)).one()
    assert rec.status == "completed" and rec.case_id == case.id
    assert session.get(Case, case.id).status == "received"


# --- the rest of menu 2, step by step -------------------------------------------------------

OPEN, CLOSED = "2026-12-07 09:00", "2026-12-07 20:00"  # a Monday in Caracas
CONTACT = "+584145550123"
UNKNOWN_CALLERS = ["anonymous", "+266696687"]

# An unknown caller's answers, one per question, and what each one stores on the case.
STEPS = [
    ("/voice/report/field", {"SpeechResult": "Empresa Demo"}, {"company_name": "Empresa Demo"}),
    ("/voice/report/field", {"SpeechResult": "María Pérez"}, {"caller_name": "María Pérez"}),
    ("/voice/report/field", {"SpeechResult": "Jefa de compras"},
     {"caller_position": "Jefa de compras"}),
    ("/voice/report/email", {"SpeechResult": "maria arroba example punto com"},
     {"email": "maria@example.com"}),
    ("/voice/report/callback", {"Digits": "2"}, {}),
    ("/voice/report/callback-number", {"Digits": "04141234567"},
     {"callback_number": "+584141234567"}),
    ("/voice/report/extension", {"Digits": "25"}, {"callback_extension": "25"}),
    ("/voice/report/severity", {"Digits": "1"}, {"severity": 1}),
]
STORED = [column for _path, _answer, stored in STEPS for column in stored]


def the_case(session, sid, seq=1) -> Case:
    """The case of report `seq` of a call, freshly read."""
    session.expire_all()
    return session.scalars(
        select(Case).where(Case.origin_call_sid == sid, Case.origin_seq == seq)).one()


def cases_count(session) -> int:
    """How many cases exist."""
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Case))


def recordings(session) -> list[Recording]:
    """Every recording, freshly read."""
    session.expire_all()
    return list(session.scalars(select(Recording).order_by(Recording.id)))


def add_known_contact(db, email=None, phone=CONTACT):
    """A company with one contact the line recognises by caller ID."""
    add_company(db, "Empresa Demo", None, utcnow())
    contact = add_contact(db, "Empresa Demo", "Ana Prueba", phone, "Gerente", email, utcnow())
    db.commit()
    return contact


def answer_fields(walk, case_id):
    """Answer company, name and cargo by speech."""
    for field, (_path, answer, _stored) in zip(("company", "name", "position"), STEPS[:3],
                                               strict=True):
        ask(walk.root, "/voice/report/field", f=field, c=case_id, t=1)
        walk.answer(**answer)


def check_record(root, action_path, case_id, kind, max_length):
    """A <Record> for this case, tracked by a status callback, with a redirect on silence."""
    record = root.find("Record")
    assert record is not None
    path, args = split(record.get("action"))
    assert (path, args["c"]) == (action_path, str(case_id))
    assert (record.get("maxLength"), record.get("finishOnKey")) == (str(max_length), "#")
    assert record.get("playBeep") == "true" and int(record.get("timeout")) > 0
    callback_path, callback_args = split(record.get("recordingStatusCallback"))
    assert (callback_path, callback_args) == ("/voice/recording-status",
                                              {"c": str(case_id), "k": kind})
    assert root.find("Redirect").text == record.get("action")
    return record


def test_report_start_opens_the_case_first(twilio, clock, session):
    """Nobody free: the report's first step (the menu's own answer, no Redirect) opens the
    case, reads its number and asks for the company."""
    clock(OPEN)
    walk = Walk(twilio)
    walk.post("/voice/incoming")
    walk.answer(Digits="2")
    case = the_case(session, walk.sid)
    assert (case.status, case.callback_state, case.caller_number) == ("incomplete", "pending",
                                                                      CALLER)
    assert case.due_at is not None and not case.out_of_hours
    assert session.get(Call, walk.sid).case_id == case.id
    assert f"Su número de caso es {', '.join(case.number)}." in walk.words
    gather = ask(walk.root, "/voice/report/field", f="company", c=case.id, t=1)
    assert gather.get("input") == "dtmf speech" and gather.get("language") == "es-US"
    assert "¿De qué empresa nos llama?" in spoken(gather)


@pytest.mark.parametrize("when", [OPEN, CLOSED])
@pytest.mark.parametrize(
    ("same_number", "severity"),
    [({"Digits": "1"}, {"Digits": "2"}),
     ({"SpeechResult": "Sí, por favor.", "Confidence": "0.91"},
      {"SpeechResult": "está parcialmente afectada"})],
    ids=["keys", "speech"],
)
def test_full_report_by_keys_and_speech(twilio, clock, session, when, same_number, severity):
    """A whole report, open or closed: in hours on to a person, closed the callback promise."""
    clock(when)
    walk = Walk(twilio)
    walk.post("/voice/report?r=1")
    case = the_case(session, walk.sid)
    answer_fields(walk, case.id)
    ask(walk.root, "/voice/report/email", c=case.id)
    walk.silence()  # no e-mail: silence skips it
    gather = ask(walk.root, "/voice/report/callback", c=case.id, t=1)
    assert "¿Le llamamos a este mismo número?" in spoken(gather)
    walk.answer(**same_number)
    gather = ask(walk.root, "/voice/report/severity", c=case.id, t=1)
    assert "marque 1 si su operación está detenida" in spoken(gather)
    walk.answer(**severity)
    check_record(walk.root, "/voice/report/recorded", case.id, "description", 120)
    assert "qué equipo y qué programa" in spoken(walk.root)
    walk.answer(RecordingSid="RE-desc", RecordingUrl="https://x/RE-desc",
                RecordingDuration="40", Digits="#")
    assert f"registrado con el número de caso {', '.join(case.number)}" in spoken(walk.root)
    if when == OPEN:
        # Put through at once (no Redirect): nobody is free in this test, so the promise.
        assert "todos nuestros especialistas están ocupados" in spoken(walk.root)
        assert walk.root.find("Hangup") is not None
    else:
        # Due: 4 business hours from 20:00 are tomorrow at 14:30 (wording: tests/test_callbacks).
        assert re.search(r"Un especialista le llamará .*mañana.* las dos y media de la tarde",
                         spoken(walk.root))
        ask(walk.root, "/voice/report/after", c=case.id, t=1)
    case = the_case(session, walk.sid)
    assert (case.status, case.severity, case.callback_number) == ("received", 2, CALLER)
    assert (case.email, case.callback_extension) == (None, None)
    assert case.out_of_hours is (when == CLOSED)
    assert [(r.kind, r.case_id) for r in recordings(session)] == [("description", case.id)]
    assert_no_phone(walk.words, CALLER)


def test_company_ending_in_a_full_stop_is_said_with_one(twilio, clock, db):
    """Issue 14's glitch: "…de Farmacia El Ávila, C.A.." is said with one full stop."""
    add_company(db, "Farmacia El Ávila, C.A.", 4, utcnow())
    add_contact(db, "Farmacia El Ávila, C.A.", "Rosa Linares", CONTACT, None, None, utcnow())
    db.commit()
    clock(CLOSED)
    walk = Walk(twilio, caller=CONTACT)
    walk.post("/voice/report?r=1")
    assert "Tenemos sus datos, Rosa Linares, de Farmacia El Ávila, C.A. " in walk.words + " "
    assert ".." not in walk.words


@pytest.mark.parametrize("email", [None, "ana@example.com"])
def test_known_contact_skips_what_is_known(twilio, clock, db, session, email):
    """A known contact is greeted by name; company, name, cargo (and a known e-mail) skipped."""
    contact = add_known_contact(db, email)
    clock(CLOSED)
    walk = Walk(twilio, caller=CONTACT)
    walk.post("/voice/report?r=1")
    case = the_case(session, walk.sid)
    assert "Tenemos sus datos, Ana Prueba, de Empresa Demo." in walk.words
    if email is None:
        ask(walk.root, "/voice/report/email", c=case.id)
        walk.answer(SpeechResult="ana punto prueba arroba empresa punto com punto ve")
    ask(walk.root, "/voice/report/callback", c=case.id, t=1)
    walk.answer(Digits="1")
    walk.answer(Digits="3")
    walk.answer(RecordingSid="RE-k", RecordingUrl="https://x/RE-k", RecordingDuration="9",
                Digits="#")
    case = the_case(session, walk.sid)
    assert (case.contact_id, case.company_id) == (contact.id, contact.company_id)
    assert (case.company_name, case.caller_name, case.caller_position) == (
        "Empresa Demo", "Ana Prueba", "Gerente")
    assert case.email == (email or "ana.prueba@empresa.com.ve")
    assert (case.callback_number, case.severity, case.status) == (CONTACT, 3, "received")
    assert_no_phone(walk.words, CONTACT)


@pytest.mark.parametrize("caller", UNKNOWN_CALLERS)
def test_unknown_caller_id_must_key_a_number(twilio, clock, session, caller):
    """Anonymous or unparsable caller IDs skip 'same number' and key one, validated."""
    clock(OPEN)
    walk = Walk(twilio, caller=caller)
    walk.post("/voice/report?r=1")
    case = the_case(session, walk.sid)
    assert case.caller_number is None
    answer_fields(walk, case.id)
    walk.silence()  # no e-mail
    gather = ask(walk.root, "/voice/report/callback-number", c=case.id, t=1)
    assert (gather.get("input"), gather.get("finishOnKey")) == ("dtmf", "#")
    assert "mismo número" not in walk.words
    walk.answer(Digits="12345")
    assert "Ese número de teléfono no es válido." in spoken(walk.root)
    ask(walk.root, "/voice/report/callback-number", c=case.id, t=2)
    walk.answer(Digits="02124713239")
    ask(walk.root, "/voice/report/extension", c=case.id)
    walk.silence()  # no extension
    ask(walk.root, "/voice/report/severity", c=case.id, t=1)
    case = the_case(session, walk.sid)
    assert (case.callback_number, case.callback_extension) == ("+582124713239", None)
    assert_no_phone(walk.words, "+582124713239")


def test_silence_at_the_callback_number_asked_three_times(twilio, clock, session):
    """No number keyed is asked for again, three times at most, then severity."""
    clock(CLOSED)
    walk = Walk(twilio, caller="anonymous")
    walk.post("/voice/report?r=1")
    case = the_case(session, walk.sid)
    for attempt in (1, 2, 3):
        root = walk.post(f"/voice/report/callback-number?t={attempt}&c={case.id}")
        if attempt < 3:
            ask(root, "/voice/report/callback-number", c=case.id, t=attempt + 1)
            assert "No escuché" in spoken(root)
    ask(walk.root, "/voice/report/severity", c=case.id, t=1)
    assert "no logramos entendernos" in spoken(walk.root)
    assert the_case(session, walk.sid).callback_number is None


@pytest.mark.parametrize(("caller", "kept", "words"), [
    ("anonymous", None, "Guarde su número de caso"),
    ("+584125550123", "+584125550123", "Le llamaremos al número desde el que nos llama"),
])
@pytest.mark.parametrize("bad", ["0019005550100", "0088121234567", "09001234567", "0414123"])
def test_number_we_cannot_call_is_asked_again_once_then_refused(twilio, clock, session, caller,
                                                                 kept, words, bad):
    """Premium, satellite, foreign or short numbers: asked again once, then refused with a
    clear prompt; the case keeps the caller ID (when there is one)."""
    clock(CLOSED)
    walk = Walk(twilio, caller=caller)
    walk.post("/voice/report?r=1")
    case = the_case(session, walk.sid)
    root = walk.post(f"/voice/report/callback-number?t=1&c={case.id}", Digits=bad)
    ask(root, "/voice/report/callback-number", c=case.id, t=2)
    assert "Ese número de teléfono no es válido" in spoken(root)
    root = walk.post(f"/voice/report/callback-number?t=2&c={case.id}", Digits=bad)
    ask(root, "/voice/report/severity", c=case.id, t=1)
    assert words in spoken(root)
    assert the_case(session, walk.sid).callback_number == kept


def test_keyed_callback_numbers_are_normalised(twilio, clock, session):
    """Keyed numbers with or without trunk or country code are stored in E.164."""
    clock(OPEN)
    for keyed, stored in [("04141234567", "+584141234567"), ("584141234567", "+584141234567"),
                          ("4141234567", "+584141234567"), ("02124713239", "+582124713239")]:
        walk = Walk(twilio, caller="anonymous")
        walk.post("/voice/report?r=1")
        case = the_case(session, walk.sid)
        walk.post(f"/voice/report/callback-number?t=1&c={case.id}", Digits=keyed)
        walk.answer(Digits="102")
        case = the_case(session, walk.sid)
        assert (case.callback_number, case.callback_extension) == (stored, "102"), keyed


@pytest.mark.parametrize("other", [{"Digits": "2"}, {"SpeechResult": "No."}])
def test_callback_on_another_number(twilio, clock, session, other):
    """A caller with a caller ID may still ask to be called on another number."""
    clock(OPEN)
    walk = Walk(twilio)
    walk.post("/voice/report?r=1")
    case = the_case(session, walk.sid)
    walk.post(f"/voice/report/callback?t=1&c={case.id}", **other)
    ask(walk.root, "/voice/report/callback-number", c=case.id, t=1)
    walk.answer(Digits="04241112233")
    walk.answer(Digits="7")
    ask(walk.root, "/voice/report/severity", c=case.id, t=1)
    case = the_case(session, walk.sid)
    assert (case.caller_number, case.callback_number, case.callback_extension) == (
        CALLER, "+584241112233", "7")


def test_callback_not_understood_falls_back_to_caller_id(twilio, clock, session):
    """Three answers that are neither yes nor no: the caller ID is the number to call."""
    clock(OPEN)
    walk = Walk(twilio)
    walk.post("/voice/report?r=1")
    case = the_case(session, walk.sid)
    walk.post(f"/voice/report/callback?t=1&c={case.id}", Digits="9")
    ask(walk.root, "/voice/report/callback", c=case.id, t=2)
    assert "no le entendí" in spoken(walk.root)
    walk.silence()
    ask(walk.root, "/voice/report/callback", c=case.id, t=3)
    assert "No escuché" in spoken(walk.root)
    walk.answer(SpeechResult="patatas fritas")
    ask(walk.root, "/voice/report/severity", c=case.id, t=1)
    assert the_case(session, walk.sid).callback_number == CALLER


@pytest.mark.parametrize(("index", "hangup"), [(0, False), (1, True), (2, False)])
def test_speech_failing_twice_records_the_answer(twilio, clock, session, index, hangup):
    """Two tries without speech: a short recording keeps the answer, then the next question."""
    field = ("company", "name", "position")[index]
    clock(CLOSED)
    walk = Walk(twilio)
    walk.post("/voice/report?r=1")
    case = the_case(session, walk.sid)
    for _path, answer, _stored in STEPS[:index]:
        walk.answer(**answer)
    walk.silence()
    ask(walk.root, "/voice/report/field", f=field, c=case.id, t=2)
    assert "no le entendí" in spoken(walk.root)
    walk.silence()
    record = check_record(walk.root, "/voice/report/field-recorded", case.id, field, 10)
    assert split(record.get("action"))[1]["f"] == field
    if hangup:
        root = walk.answer(RecordingSid="RE-f", RecordingUrl="https://x/RE-f",
                           RecordingDuration="3", Digits="hangup", CallStatus="completed")
        assert len(root) == 0
    else:
        walk.answer(RecordingSid="RE-f", RecordingUrl="https://x/RE-f", RecordingDuration="3",
                    Digits="#")
        if index < 2:
            ask(walk.root, "/voice/report/field", f=("name", "position")[index], c=case.id, t=1)
        else:
            ask(walk.root, "/voice/report/email", c=case.id)
    [rec] = recordings(session)
    assert (rec.kind, rec.case_id, rec.duration, rec.url) == (field, case.id, 3, "https://x/RE-f")
    case = the_case(session, walk.sid)
    assert (case.status, case.callback_state) == ("incomplete", "pending")
    assert getattr(case, ("company_name", "caller_name", "caller_position")[index]) is None


@pytest.mark.parametrize("steps", range(len(STEPS) + 1))
def test_hangup_at_each_step_keeps_the_case(twilio, clock, session, steps):
    """Whatever step the caller hangs up at, the case stays with everything given so far."""
    clock(CLOSED)
    walk = Walk(twilio)
    walk.post("/voice/report?r=1")
    for path, answer, _stored in STEPS[:steps]:
        assert split(walk.root.find("Gather").get("action"))[0] == path
        walk.answer(**answer)
    walk.hang_up()
    given = {column: value for _p, _a, stored in STEPS[:steps] for column, value in stored.items()}
    case = the_case(session, walk.sid)
    assert cases_count(session) == 1
    assert (case.status, case.callback_state) == ("incomplete", "pending")
    assert case.due_at is not None
    assert {c: getattr(case, c) for c in STORED} == {c: given.get(c) for c in STORED}
    assert session.get(Call, walk.sid).status == "completed"


@pytest.mark.parametrize(
    ("severity", "answers", "due"),
    [(1, [{"Digits": "1"}, {"SpeechResult": "Está todo parado, es urgente."}],
      "2026-12-07 11:00"),
     (2, [{"Digits": "2"}, {"SpeechResult": "parcialmente"}], "2026-12-07 15:00"),
     (3, [{"Digits": "3"}, {"SpeechResult": "Es una consulta."}], "2026-12-08 10:00")],
)
def test_severity_sets_the_due_time(twilio, clock, session, severity, answers, due):
    """Severity by key or by voice; the callback is due sooner the worse it is."""
    clock(OPEN)
    for answer in answers:
        walk = Walk(twilio)
        walk.post("/voice/report?r=1")
        case = the_case(session, walk.sid)
        walk.post(f"/voice/report/severity?t=1&c={case.id}", **answer)
        check_record(walk.root, "/voice/report/recorded", case.id, "description", 120)
        case = the_case(session, walk.sid)
        assert case.severity == severity, answer
        assert to_caracas(case.due_at).strftime("%Y-%m-%d %H:%M") == due


def test_severity_retries_then_records_anyway(twilio, clock, session):
    """No severity after three tries: the description is still recorded."""
    clock(OPEN)
    walk = Walk(twilio)
    walk.post("/voice/report?r=1")
    case = the_case(session, walk.sid)
    walk.post(f"/voice/report/severity?t=1&c={case.id}", Digits="7")
    ask(walk.root, "/voice/report/severity", c=case.id, t=2)
    walk.silence()
    ask(walk.root, "/voice/report/severity", c=case.id, t=3)
    walk.answer(SpeechResult="no sé")
    check_record(walk.root, "/voice/report/recorded", case.id, "description", 120)
    assert the_case(session, walk.sid).severity is None


EMAILS = [
    ({"SpeechResult": "maria punto perez arroba example punto com"}, "maria.perez@example.com"),
    ({"SpeechResult": "ana guion bajo ruiz arroba empresa punto com punto ve."},
     "ana_ruiz@empresa.com.ve"),
    ({"SpeechResult": "no tengo correo"}, None),
    ({"Digits": ""}, None),  # only the # key
    ({}, None),  # silence
]


def test_email_is_optional(twilio, clock, session):
    """An e-mail said aloud is stored; anything else skips it without insisting."""
    clock(OPEN)
    for answer, email in EMAILS:
        walk = Walk(twilio)
        walk.post("/voice/report?r=1")
        case = the_case(session, walk.sid)
        walk.post(f"/voice/report/email?c={case.id}", **answer)
        ask(walk.root, "/voice/report/callback", c=case.id, t=1)
        assert the_case(session, walk.sid).email == email, answer


def test_replayed_webhooks_change_nothing(twilio, clock, session):
    """Each webhook posted three times: one case, the same number, one recording per sid."""
    clock(CLOSED)
    walk = Walk(twilio)
    starts = [walk.post("/voice/report?r=1") for _ in range(3)]
    assert len({spoken(root) for root in starts}) == 1
    case = the_case(session, walk.sid)
    for _ in range(3):
        walk.post(f"/voice/report/field?t=1&f=company&c={case.id}", SpeechResult="Empresa Demo")
        walk.post(f"/voice/report/severity?t=1&c={case.id}", Digits="1")
        walk.post(f"/voice/report/recorded?c={case.id}", RecordingSid="RE-r",
                  RecordingUrl="https://x/RE-r", RecordingDuration="8", Digits="#")
        twilio.post(f"/voice/recording-status?c={case.id}&k=description", call_params(
            walk.sid, RecordingSid="RE-r", RecordingStatus="completed"))
    assert cases_count(session) == 1
    case = the_case(session, walk.sid)
    assert (case.company_name, case.severity, case.status) == ("Empresa Demo", 1, "received")
    assert [(r.recording_sid, r.status, r.duration) for r in recordings(session)] == [
        ("RE-r", "completed", 8)]


@pytest.mark.parametrize("order", ["callback-first", "after-call-ended", "callback-only"])
def test_recording_callback_in_any_order(twilio, clock, session, order):
    """The recording status callback may come before the action, after the call, or alone."""
    clock(CLOSED)
    walk = Walk(twilio)
    walk.post("/voice/report?r=1")
    case = the_case(session, walk.sid)
    status_url = f"/voice/recording-status?c={case.id}&k=description"
    callback = call_params(walk.sid, RecordingSid="RE-o", RecordingStatus="completed",
                           RecordingUrl="https://x/RE-o", RecordingDuration="15")
    action = {"RecordingSid": "RE-o", "RecordingUrl": "https://x/RE-o",
              "RecordingDuration": "15", "Digits": "hangup", "CallStatus": "completed"}
    if order == "callback-first":
        assert twilio.post(status_url, callback).status_code == 204
        walk.post(f"/voice/report/recorded?c={case.id}", **action)
    elif order == "after-call-ended":
        walk.post(f"/voice/report/recorded?c={case.id}", **action)
        walk.hang_up()
        assert twilio.post(status_url, callback).status_code == 204
    else:
        walk.hang_up()
        assert twilio.post(status_url, callback).status_code == 204
    assert twilio.post(status_url, callback).status_code == 204  # and a replay
    [rec] = recordings(session)
    assert (rec.case_id, rec.kind, rec.status, rec.duration) == (case.id, "description",
                                                                 "completed", 15)
    assert the_case(session, walk.sid).status == (
        "incomplete" if order == "callback-only" else "received")


def test_recording_callback_for_unknown_call_is_kept(twilio, session):
    """A callback for a call (or case) never seen is stored once, answered 204, never 500."""
    queries = ["", "?k=description", "?c=999999&k=description", "?c=abc&k=x"]
    sids = {}
    for i, query in enumerate(queries):
        params = call_params(twilio.new_sid(), RecordingSid=f"RE-u{i}", RecordingStatus="absent")
        sids[f"RE-u{i}"] = params["CallSid"]
        for _ in range(3):
            assert twilio.post(f"/voice/recording-status{query}", params).status_code == 204
    assert [(r.recording_sid, r.call_sid, r.case_id, r.status) for r in recordings(session)] == [
        (sid, call_sid, None, "absent") for sid, call_sid in sids.items()]
    for params in [{}, {"RecordingSid": "RE-x"}, {"RecordingStatus": "completed"}]:
        response = twilio.post("/voice/recording-status?k=description",
                               call_params(twilio.new_sid(), **params))
        assert response.status_code == 204
    assert len(recordings(session)) == len(queries)


def test_two_reports_in_one_call_are_two_cases(twilio, clock, db, session):
    """Back to the menu after a report and 2 again: a second case with its own number."""
    add_known_contact(db, email="ana@example.com")
    clock(CLOSED)
    walk = Walk(twilio, caller=CONTACT)
    numbers = []
    walk.post("/voice/incoming")
    for seq in (1, 2):
        walk.answer(Digits="2")  # the menu answers with report `seq` itself
        case = the_case(session, walk.sid, seq)
        assert ", ".join(case.number) in walk.words
        numbers.append(case.number)
        walk.answer(Digits="1")
        walk.answer(Digits=str(seq))
        walk.answer(RecordingSid=f"RE-{seq}", RecordingUrl="https://x", Digits="#")
        ask(walk.root, "/voice/report/after", c=case.id, t=1)
        walk.answer(Digits="2")
        assert redirect_to(walk.root) == ("/voice/menu", {"t": "1", "again": "1"})
        walk.silence()
        ask(walk.root, "/voice/menu", t=1)
    assert cases_count(session) == 2 and numbers[0] != numbers[1]
    first, second = the_case(session, walk.sid, 1), the_case(session, walk.sid, 2)
    assert (first.severity, second.severity) == (1, 2)
    assert {r.case_id for r in recordings(session)} == {first.id, second.id}


AFTER_REPORT = [
    ({"Digits": "1"}, "number"), ({"SpeechResult": "repetir el número"}, "number"),
    ({"Digits": "2"}, "menu"), ({"SpeechResult": "volver al menú principal"}, "menu"),
    ({}, "goodbye"), ({"Digits": "9"}, "goodbye"),
]


def test_after_the_report(twilio, clock, session):
    """After a closed-hours report: hear the number again, go back to the menu, or goodbye."""
    clock(CLOSED)
    walk = Walk(twilio)
    walk.post("/voice/report?r=1")
    case = the_case(session, walk.sid)
    for answer, then in AFTER_REPORT:
        root = walk.post(f"/voice/report/after?t=1&c={case.id}", **answer)
        if then == "number":
            assert ", ".join(case.number) in spoken(root), answer
            ask(root, "/voice/report/after", c=case.id, t=2)
        elif then == "menu":
            assert redirect_to(root) == ("/voice/menu", {"t": "1", "again": "1"}), answer
        else:
            assert "Hasta luego" in spoken(root) and root[-1].tag == "Hangup", answer
    root = walk.post(f"/voice/report/after?t=3&c={case.id}", Digits="1")
    assert ", ".join(case.number) in spoken(root) and root[-1].tag == "Hangup"


LOST_STEPS = [
    "/voice/report/field?t=1&f=company&c=999999", "/voice/report/field?t=1&f=salary&c={id}",
    "/voice/report/field-recorded?f=name&c=0", "/voice/report/email?c=abc",
    "/voice/report/callback?t=1", "/voice/report/callback-number?c=999999",
    "/voice/report/extension?c=999999", "/voice/report/severity?c=-1",
    "/voice/report/recorded?c=999999", "/voice/report/after?c=",
]


def test_report_step_without_its_case_goes_back_to_the_menu(twilio, clock, session):
    """A step whose case does not exist answers TwiML back to the menu, never an error."""
    clock(OPEN)
    walk = Walk(twilio)
    walk.post("/voice/report?r=1")
    case_id = the_case(session, walk.sid).id
    for path in LOST_STEPS:
        root = walk.post(path.format(id=case_id), SpeechResult="hola", Digits="1")
        assert redirect_to(root)[0] == "/voice/menu", path
    assert cases_count(session) == 1
