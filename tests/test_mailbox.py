"""The support mailbox as a channel (rule 1.1 b): mails open and follow cases, loops are never
answered, nothing is handled twice; read from a real IMAP server (Dovecot), both databases."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from aiosmtpd.controller import Controller

from ivr.domain.case_numbers import random_case_number
from ivr.domain.mail import html_to_text, parse_mail
from ivr.domain.statuses import CaseStatus, MailOutcome
from ivr.services import directory, mail_reader, mailbox, outbox, senders
from ivr.store.tx import transaction
from tests.cli_support import ok, refused, table
from tests.console_support import Console, make_user

# A Thursday at 10:00 in Caracas (14:00 UTC): the centre is open.
NOW = datetime(2027, 2, 11, 14, 0)
OWN = "ayuda@ccoapoyo.com"
CLIENT = "maria.perez@farmaciaavila.com"


def mail(subject="La impresora no imprime", body="Desde esta mañana la impresora no imprime.",
         sender=f"María Pérez <{CLIENT}>", **headers) -> bytes:
    """A mail as a client's mail program sends it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = OWN
    message["Subject"] = subject
    message["Message-ID"] = headers.pop("message_id", make_msgid(domain="farmaciaavila.com"))
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return bytes(message)


def engine(app):
    """The application's engine."""
    return app.extensions["ivr"].engine


def rules(app) -> mailbox.MailboxRules:
    """The mailbox rules of the test application."""
    return mailbox.rules(app.extensions["ivr"].settings)


def handle(app, raw: bytes, now: datetime = NOW) -> mailbox.Handled:
    """Handle one mail in its own transaction, as the reader does."""
    parsed = parse_mail(raw, frozenset({OWN}))
    with transaction(engine(app)) as tx:
        return mailbox.handle_mail(tx, app.extensions["ivr"].schedules.get(tx), rules(app),
                                   parsed, now)


def answers(app) -> list[dict]:
    """The e-mail answers waiting in the outbox."""
    return [json.loads(p) for (p,) in table(
        app, "SELECT payload FROM outbox WHERE kind = 'email' ORDER BY id")]


@pytest.fixture
def known_client(app):
    """Farmacia El Ávila with a 4-hour contract, and María Pérez, its contact with this
    e-mail address (in other capitals) and a phone."""
    with transaction(engine(app)) as tx:
        company = directory.add_company(tx, "Farmacia El Ávila", 4, NOW)
        directory.add_contact(tx, company.name, "María Pérez", "0212-555-0101", "Administradora",
                              "Maria.Perez@FarmaciaAvila.com", NOW)
    return company


# --- opening and following cases --------------------------------------------------------------


def test_known_sender_opens_a_case_and_is_answered(app, known_client):
    """A contact's mail opens a received case of their company, callback to their phone, due
    by the contract, and an answer with the number and the due time goes to the outbox."""
    handled = handle(app, mail())
    assert handled.outcome == MailOutcome.CASE and handled.answered
    [(status, company_id, name, email, callback, due, origin)] = table(
        app, "SELECT status, company_id, caller_name, email, callback_number, due_at,"
        " origin_call_sid FROM cases")
    assert (status, company_id, name) == (CaseStatus.RECEIVED, known_client.id, "María Pérez")
    assert email == "Maria.Perez@FarmaciaAvila.com" and callback == "+582125550101"
    assert origin.startswith("MAIL") and due is not None
    [answer] = answers(app)
    assert answer["to"] == CLIENT and answer["from"] == OWN
    assert answer["subject"] == f"Caso {handled.case_number}: La impresora no imprime"
    assert handled.case_number in answer["body"] and "le llamará hoy antes de" in answer["body"]
    assert answer["headers"]["Auto-Submitted"] == "auto-replied"
    assert answer["headers"]["In-Reply-To"].endswith("@farmaciaavila.com>")
    [(subject, body, outcome, answer_id)] = table(
        app, "SELECT subject, body, outcome, answer_id FROM mails")
    assert (subject, outcome) == ("La impresora no imprime", "case")
    assert body == "Desde esta mañana la impresora no imprime."
    assert answer_id == answer["message_id"]


def test_unknown_sender_opens_a_case_and_is_asked_for_the_company(app):
    """A sender nobody knows still opens a case; the answer asks for company and phone."""
    handled = handle(app, mail(sender="Pedro <pedro@gmail.com>"))
    assert handled.outcome == MailOutcome.CASE
    [(company_id, name, callback)] = table(
        app, "SELECT company_id, caller_name, callback_number FROM cases")
    assert (company_id, name, callback) == (None, "Pedro", None)
    [answer] = answers(app)
    assert "nombre de su empresa y un número de teléfono" in answer["body"]


def test_mail_quoting_the_case_in_its_subject_is_a_note(app, known_client):
    """'Caso 3052530' in a subject (any spacing) adds the mail to that case: no new case."""
    first = handle(app, mail())
    number = first.case_number
    spaced = f"{number[:3]} {number[3:]}"
    follow = handle(app, mail(subject=f"RE: Caso N° {spaced} sigue sin imprimir",
                              body="Sigue igual."))
    assert follow.outcome == MailOutcome.NOTE and follow.case_number == number
    assert table(app, "SELECT count(*) FROM cases") == [(1,)]
    [(notes,)] = table(app, "SELECT notes FROM cases")
    assert "Correo de maria.perez@farmaciaavila.com: RE: Caso N°" in notes
    assert len(answers(app)) == 1  # a follow-up is not answered again


def test_reply_to_our_answer_is_a_note_on_its_case(app, known_client):
    """A reply whose In-Reply-To is our answer's Message-ID joins the case, whatever its
    subject says."""
    first = handle(app, mail())
    [answer] = answers(app)
    follow = handle(app, mail(subject="gracias", body="Ya reinicié el equipo.",
                              In_Reply_To=answer["message_id"]))
    assert (follow.outcome, follow.case_number) == (MailOutcome.NOTE, first.case_number)


def test_references_to_an_earlier_mail_join_its_case(app, known_client):
    """A mail whose References name a mail of the case joins it too."""
    first_id = make_msgid(domain="farmaciaavila.com")
    first = handle(app, mail(message_id=first_id))
    follow = handle(app, mail(subject="otra cosa", References=f"<x@y.com> {first_id}"))
    assert (follow.outcome, follow.case_number) == (MailOutcome.NOTE, first.case_number)


def test_a_case_number_with_a_wrong_check_digit_opens_a_new_case(app, known_client):
    """A mistyped number is no case: the mail opens its own (nothing lost)."""
    first = handle(app, mail())
    number = first.case_number
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    follow = handle(app, mail(subject=f"Caso {wrong}"))
    assert follow.outcome == MailOutcome.CASE and follow.case_number != number


# --- loops, machines and abuse ----------------------------------------------------------------


@pytest.mark.parametrize(("sender", "headers", "why"), [
    (OWN, {}, "propio buzón"),
    (f"Ayuda <{OWN.upper()}>", {}, "propio buzón"),
    (CLIENT, {"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
    (CLIENT, {"Precedence": "bulk"}, "Precedence"),
    (CLIENT, {"Precedence": "auto_reply"}, "Precedence"),
    ("MAILER-DAEMON@mx.farmaciaavila.com", {}, "rebote"),
    ("postmaster@farmaciaavila.com", {}, "rebote"),
], ids=["own", "own-capitals", "auto-submitted", "bulk", "auto-reply", "daemon", "postmaster"])
def test_loops_and_machines_are_kept_but_never_answered(app, sender, headers, why):
    """Our own answers, auto-replies, lists and bounces: no case, no answer, kept as skipped."""
    handled = handle(app, mail(sender=sender, **headers))
    assert handled.outcome == MailOutcome.SKIPPED and why in handled.reason
    assert table(app, "SELECT count(*) FROM cases") == [(0,)] and answers(app) == []
    assert table(app, "SELECT outcome FROM mails") == [("skipped",)]


def test_auto_submitted_no_is_a_person(app):
    """Auto-Submitted: no is what a person's mail program may say: handled as usual."""
    assert handle(app, mail(Auto_Submitted="no")).outcome == MailOutcome.CASE


def test_a_bounce_report_is_skipped(app):
    """A delivery status notification (multipart/report) from a named sender is a bounce."""
    report = EmailMessage()
    report["From"] = "Sistema de correo <correo@farmaciaavila.com>"
    report["To"] = OWN
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = make_msgid()
    report.set_content("No se pudo entregar.")
    report.make_mixed()
    report.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    assert handle(app, bytes(report)).outcome == MailOutcome.SKIPPED


def test_the_same_mail_read_twice_opens_one_case(app, known_client):
    """The second reading of a Message-ID does nothing: one case, one answer."""
    raw = mail()
    first = handle(app, raw)
    again = handle(app, raw)
    assert again.again and again.case_number == first.case_number
    assert table(app, "SELECT count(*) FROM cases") == [(1,)] and len(answers(app)) == 1


def test_a_mail_without_message_id_read_twice_is_still_one(app):
    """Without a Message-ID, the bytes themselves name the mail."""
    raw = mail().replace(b"Message-ID", b"X-Old-ID")
    handle(app, raw)
    assert handle(app, raw).again
    assert table(app, "SELECT count(*) FROM cases") == [(1,)]


def test_a_sender_is_answered_a_few_times_an_hour(app):
    """The fourth mail within an hour from one sender is set aside, unanswered, no case; an
    hour later the sender is answered again."""
    outcomes = [handle(app, mail(sender="spam@example.com", subject=f"n{i}"),
                       NOW + timedelta(minutes=i)).outcome for i in range(4)]
    assert outcomes == [MailOutcome.CASE] * 3 + [MailOutcome.ASIDE]
    later = handle(app, mail(sender="spam@example.com"), NOW + timedelta(minutes=70))
    assert later.outcome == MailOutcome.CASE
    assert len(answers(app)) == 4 and table(app, "SELECT count(*) FROM cases") == [(4,)]


def test_no_text_from_an_unknown_sender_is_set_aside(app, runner):
    """An empty mail from nobody we know is kept for the coordinator, and listed for them."""
    handled = handle(app, mail(sender="x@unknown.example", subject="", body=""))
    assert handled.outcome == MailOutcome.ASIDE and "sin texto" in handled.reason
    assert table(app, "SELECT count(*) FROM cases") == [(0,)]
    lines = ok(runner, "mailbox", "list", "--aside")
    assert any("aside" in line and "x@unknown.example" in line for line in lines)


def test_no_text_from_a_known_contact_still_opens_a_case(app, known_client):
    """A contact's empty mail (an attachment only, say) is theirs to follow: a case."""
    assert handle(app, mail(subject="", body="")).outcome == MailOutcome.CASE


# --- contents --------------------------------------------------------------------------------


def test_attachments_are_kept_up_to_the_limit(app, known_client):
    """A small attachment is kept with its bytes; one over the limit is listed without them."""
    limit = rules(app).attachment_max_bytes
    message = EmailMessage()
    message["From"] = CLIENT
    message["Subject"] = "Con capturas"
    message["Message-ID"] = make_msgid()
    message.set_content("Adjunto capturas.")
    message.add_attachment(b"\x89PNG small", maintype="image", subtype="png",
                           filename="pantalla.png")
    message.add_attachment(b"x" * (limit + 1), maintype="application", subtype="zip",
                           filename="../../registro.zip")
    handle(app, bytes(message))
    rows = table(app, "SELECT filename, content_type, size, content FROM mail_attachments"
                 " ORDER BY id")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("pantalla.png", "image/png", 10), ("registro.zip", "application/zip", limit + 1)]
    assert bytes(rows[0][3]) == b"\x89PNG small" and rows[1][3] is None


def test_html_only_mail_is_kept_as_text(app):
    """An HTML-only mail's text is kept, without tags, scripts or styles."""
    message = EmailMessage()
    message["From"] = CLIENT
    message["Subject"] = "HTML"
    message["Message-ID"] = make_msgid()
    message.set_content("<html><head><style>p{color:red}</style></head><body>"
                        "<p>La red <b>no</b> funciona</p><script>alert(1)</script>"
                        "<div>Gracias &amp; saludos</div></body></html>", subtype="html")
    handle(app, bytes(message))
    [(body,)] = table(app, "SELECT body FROM mails")
    assert body == "La red no funciona\n\nGracias & saludos"
    assert "<" not in body and "alert" not in body


def test_non_utf8_mails_are_read(app):
    """A Latin-1 mail with its charset declared, and one declaring none (Windows-1252 bytes),
    keep their accents or at least their text; a NUL byte never reaches the database."""
    latin = (b"From: " + CLIENT.encode() + b"\r\nSubject: =?iso-8859-1?q?Facturaci=F3n?=\r\n"
             b"Message-ID: <l1@farmaciaavila.com>\r\nContent-Type: text/plain; "
             b"charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
             b"El m\xf3dulo de facturaci\xf3n no abre.\x00\r\n")
    bare = (b"From: " + CLIENT.encode() + b"\r\nSubject: sin charset\r\n"
            b"Message-ID: <l2@farmaciaavila.com>\r\n\r\nCaf\xe9 \x93roto\x94\r\n")
    handle(app, latin)
    handle(app, bare)
    rows = table(app, "SELECT subject, body FROM mails ORDER BY id")
    assert rows[0] == ("Facturación", "El módulo de facturación no abre.")
    assert rows[1][0] == "sin charset" and rows[1][1].startswith("Caf")


def test_html_to_text_keeps_paragraphs():
    """Paragraphs stay apart, a line break is one line."""
    assert html_to_text("<p>uno</p><p>dos<br>tres</p>") == "uno\n\ndos\ntres"


def test_case_number_in_subject_needs_a_valid_check_digit():
    """Only numbers the line could have issued are taken from a subject."""
    number = random_case_number()
    assert parse_mail(mail(subject=f"[Caso {number}] x")).case_number_in_subject() == number
    assert parse_mail(mail(subject="Caso 1234567 x")).case_number_in_subject() in (
        None, "1234567") and parse_mail(mail(subject="sin caso")).case_number_in_subject() \
        is None


# --- the reader against a real IMAP server ----------------------------------------------------


def configure(app, server) -> None:
    """Point the application at the test's Dovecot."""
    state = app.extensions["ivr"]
    state.settings = dataclasses.replace(state.settings, imap_url=server.url)


def test_run_once_reads_the_inbox_and_moves_what_it_handled(app, runner, dovecot,
                                                            known_client):
    """`mailbox run-once`: a new case, a follow-up, a bounce and an empty mail from a stranger;
    each moved out of the inbox (to Apartados for the coordinator's)."""
    configure(app, dovecot)
    dovecot.deliver(mail())
    dovecot.deliver(mail(sender="MAILER-DAEMON@mx.example.com", subject="Undelivered"))
    dovecot.deliver(mail(sender="nadie@example.com", subject="", body=""))
    lines = ok(runner, "mailbox", "run-once")
    assert lines == ["1 new cases, 0 notes, 1 skipped, 1 set aside, 0 read before"]
    assert dovecot.folder_count("INBOX") == 0
    assert dovecot.folder_count("Procesados") == 2 and dovecot.folder_count("Apartados") == 1
    [(number,)] = table(app, "SELECT number FROM cases")
    dovecot.deliver(mail(subject=f"Re: Caso {number}", body="¿Alguna novedad?"))
    assert ok(runner, "mailbox", "run-once") == [
        "0 new cases, 1 notes, 0 skipped, 0 set aside, 0 read before"]
    assert table(app, "SELECT outcome FROM mails ORDER BY id")[-1] == ("note",)
    assert table(app, "SELECT count(*) FROM worker_leases") == [(0,)]  # given back


def test_a_mail_handled_but_not_moved_is_not_handled_twice(app, runner, dovecot):
    """The reader died after the commit and before the move: the next round finds the mail
    again, recognises it, and only moves it."""
    configure(app, dovecot)
    raw = mail()
    handle(app, raw)  # the round that died
    dovecot.deliver(raw)
    assert ok(runner, "mailbox", "run-once") == [
        "0 new cases, 0 notes, 0 skipped, 0 set aside, 1 read before"]
    assert table(app, "SELECT count(*) FROM cases") == [(1,)] and len(answers(app)) == 1
    assert dovecot.folder_count("INBOX") == 0


def test_two_readers_at_once_one_reads(app, dovecot):
    """While one reader holds the lease, another started elsewhere reads nothing; once it is
    given back, the other reads."""
    configure(app, dovecot)
    dovecot.deliver(mail())
    with transaction(engine(app)) as tx:
        assert mailbox.take_lease(tx, "server-a:1", NOW + timedelta(minutes=5), NOW)
    connect = mail_reader.open_mailbox(dovecot.url)
    schedules = app.extensions["ivr"].schedules.get
    busy = mail_reader.read_once(engine(app), connect, rules(app), schedules,
                                 lambda: NOW, "server-b:2")
    assert busy.busy_with == "server-a:1" and dovecot.folder_count("INBOX") == 1
    with transaction(engine(app)) as tx:
        mailbox.drop_lease(tx, "server-a:1")
    done = mail_reader.read_once(engine(app), connect, rules(app), schedules,
                                 lambda: NOW, "server-b:2")
    assert done.count(MailOutcome.CASE) == 1 and dovecot.folder_count("INBOX") == 0


def test_two_readers_racing_for_the_lease_one_wins(app):
    """Readers asking for the lease at the same moment: exactly one gets it."""
    results = []

    def take(holder):
        with transaction(engine(app)) as tx:
            results.append(mailbox.take_lease(tx, holder, NOW + timedelta(minutes=5), NOW))

    threads = [threading.Thread(target=take, args=(f"server-{i}:1",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


def test_an_expired_lease_is_taken_over(app):
    """A reader that died leaves a lease that runs out: another takes it then."""
    with transaction(engine(app)) as tx:
        assert mailbox.take_lease(tx, "dead:1", NOW + timedelta(minutes=5), NOW)
        assert not mailbox.take_lease(tx, "new:2", NOW + timedelta(minutes=9),
                                      NOW + timedelta(minutes=4))
        assert mailbox.take_lease(tx, "new:2", NOW + timedelta(minutes=10),
                                  NOW + timedelta(minutes=5))


def test_mail_server_down_then_back_loses_nothing(app, runner, dovecot):
    """The server down: run-once says so and exits 1, nothing changes; back: the mail waiting
    is read."""
    configure(app, dovecot)
    dovecot.deliver(mail())
    dovecot.stop()
    try:
        message = refused(runner, "mailbox", "run-once")
    finally:
        dovecot.start()
    assert "mail server 127.0.0.1" in message
    assert table(app, "SELECT count(*) FROM mails") == [(0,)]
    assert table(app, "SELECT count(*) FROM worker_leases") == [(0,)]
    assert ok(runner, "mailbox", "run-once")[0].startswith("1 new cases")


def test_work_reads_new_mail_as_it_arrives(app, dovecot):
    """`mailbox work` keeps its connection, waits with IDLE, and reads a mail delivered while
    it waits; stopping gives the lease back."""
    configure(app, dovecot)
    stop = threading.Event()
    said: list[str] = []
    worker = threading.Thread(target=mail_reader.work, args=(
        engine(app), mail_reader.open_mailbox(dovecot.url), rules(app),
        app.extensions["ivr"].schedules.get, lambda: NOW, stop, 5, said.append))
    worker.start()
    try:
        dovecot.deliver(mail())
        for _ in range(40):
            if any("1 new cases" in s for s in said):
                break
            threading.Event().wait(0.1)
    finally:
        stop.set()
        worker.join(timeout=5)
    assert not worker.is_alive()
    assert any("1 new cases" in s for s in said), said
    assert table(app, "SELECT count(*) FROM worker_leases") == [(0,)]


def test_run_once_without_imap_url_says_so(runner):
    """No IMAP_URL: an error that says what to set."""
    assert "IMAP_URL is not set" in refused(runner, "mailbox", "run-once")


# --- the console ---------------------------------------------------------------------------


def test_case_page_shows_the_mail_as_text_and_its_attachments(app, known_client):
    """The analyst sees the mail that opened the case — an HTML mail as text, never markup —
    and downloads its attachment (always as a download); one over the limit is named only."""
    message = EmailMessage()
    message["From"] = CLIENT
    message["Subject"] = "Pantalla <b>azul</b>"
    message["Message-ID"] = make_msgid()
    message.set_content("<p>Sale <script>alert('x')</script>una pantalla azul</p>",
                        subtype="html")
    message.add_attachment(b"<html><script>alert(1)</script></html>", maintype="text",
                           subtype="html", filename="captura.html")
    message.add_attachment(b"x" * (rules(app).attachment_max_bytes + 1),
                           maintype="application", subtype="zip", filename="grande.zip")
    number = handle(app, bytes(message)).case_number
    make_user(app)
    console = Console(app)
    console.login()
    page = console.get(f"/console/cases/{number}").get_data(as_text=True)
    assert f"Correo de {CLIENT}" in page and "(abrió el caso)" in page
    assert "identificado solo por el remitente" in page and "Llegó por" in page
    assert "número oculto" not in page
    assert "«Pantalla &lt;b&gt;azul&lt;/b&gt;»" in page
    assert "Sale una pantalla azul" in page and "<script>alert" not in page
    [(kept_id,)] = table(app, "SELECT id FROM mail_attachments WHERE content IS NOT NULL")
    assert f'href="/console/attachments/{kept_id}"' in page
    assert "grande.zip" in page and "no guardado: supera el tamaño permitido" in page
    download = console.get(f"/console/attachments/{kept_id}")
    assert download.status_code == 200
    assert download.mimetype == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "captura.html" in download.headers["Content-Disposition"]
    assert download.data == b"<html><script>alert(1)</script></html>"
    [(big_id,)] = table(app, "SELECT id FROM mail_attachments WHERE content IS NULL")
    assert console.get(f"/console/attachments/{big_id}").status_code == 404
    assert Console(app).get(f"/console/attachments/{kept_id}").status_code in (302, 401)


def test_a_follow_up_mail_appears_on_its_case(app, known_client):
    """The follow-up's text is on the case's page, after the first mail."""
    number = handle(app, mail()).case_number
    handle(app, mail(subject=f"Caso {number}", body="Ya probé reiniciar."))
    make_user(app)
    console = Console(app)
    console.login()
    page = console.get(f"/console/cases/{number}").get_data(as_text=True)
    assert page.index("Desde esta mañana") < page.index("Ya probé reiniciar.")


# --- the answer, sent -------------------------------------------------------------------------


class Received:
    """What a plain SMTP server on loopback received."""

    def __init__(self):
        """Nothing yet."""
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        """Keep the message as sent."""
        self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"


def test_the_answer_goes_out_from_the_mailbox_and_its_reply_joins_the_case(app, known_client):
    """The outbox sends the answer over SMTP from the mailbox's address with the Message-ID
    kept on the mail, In-Reply-To and Auto-Submitted; read back by the mailbox (a loop) it is
    skipped; the client's reply to it is a note on the case."""
    received = Received()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        first = handle(app, mail())
        sender = senders.SmtpSender(f"smtp://127.0.0.1:{port}?tls=off",
                                    "Notificaciones <notificaciones@ccoapoyo.com>")
        delivery = outbox.run_once(engine(app), sender, NOW)
    finally:
        controller.stop()
    assert len(delivery.sent) == 1
    [raw] = received.messages
    answer = message_from_bytes(raw, policy=policy.default)
    [(answer_id, original)] = table(app, "SELECT answer_id, message_id FROM mails")
    assert answer["From"] == OWN and answer["To"] == CLIENT
    assert answer["Message-ID"] == answer_id and answer["In-Reply-To"] == original
    assert answer["Auto-Submitted"] == "auto-replied"
    assert f"caso número {first.case_number}" in answer.get_content()
    assert handle(app, raw).outcome == MailOutcome.SKIPPED
    reply = handle(app, mail(subject="Re: su caso", body="Gracias.", In_Reply_To=answer_id))
    assert (reply.outcome, reply.case_number) == (MailOutcome.NOTE, first.case_number)
