"""E-mail rows delivered over SMTP to a real server on loopback (aiosmtpd) that requires
STARTTLS before AUTH, with a certificate made for the test: the received message, its stable
Message-ID, and a message written while the server is down delivered once it is back."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from ivr.domain.clock import utcnow
from ivr.domain.statuses import OutboxStatus
from ivr.services import outbox, senders
from ivr.store import outbox as store
from ivr.store.tx import transaction

USER, PASSWORD = "linea", "clave-de-prueba-123"  # noqa: S105 - the test server's own
MAIL = {"to": "coordinacion@example.com", "subject": "Caso 305 2530: emergencia sin atender",
        "body": "Nadie tomó el caso 305 2530 después de 3 rondas.\nVer en la consola."}


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (openssl), and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the SMTP server's certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",  # noqa: S607
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class Inbox:
    """What the server received."""

    def __init__(self):
        """Empty."""
        self.messages = []
        self.logins = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        """Keep the message with its envelope and whether it came over TLS."""
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content, policy=policy.default),
                              session.ssl is not None))
        return "250 OK"


def authenticator(inbox):
    """Accepts only the test's user and password."""
    def check(server, session, envelope, mechanism, auth_data):
        inbox.logins.append(auth_data.login)
        return AuthResult(success=auth_data.login == USER.encode()
                          and auth_data.password == PASSWORD.encode(), handled=False)
    return check


def free_port() -> int:
    """A port nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(certificate, port: int) -> tuple[Controller, Inbox]:
    """The SMTP server on loopback: STARTTLS required, AUTH only over TLS."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, auth_require_tls=True,
                            authenticator=authenticator(inbox))
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp_server(certificate):
    """A running server; stopped after the test."""
    controller, inbox = start_server(certificate, free_port())
    yield controller, inbox
    controller.stop()


def sender(certificate, port, password=PASSWORD) -> senders.SmtpSender:
    """The line's SMTP sender on the test server (trusting its certificate)."""
    return senders.SmtpSender(f"smtp://{USER}:{password}@127.0.0.1:{port}",
                              "CCO Apoyo Empresarial <notificaciones@ccoapoyo.com>",
                              str(certificate[0]))


def engine(app):
    """The application's engine."""
    return app.extensions["ivr"].engine


def enqueued(app, now, payload=MAIL) -> int:
    """A committed 'email' row; its id."""
    with transaction(engine(app)) as tx:
        return outbox.enqueue(tx, "email", payload, now)


def row(app, message_id):
    """A row as stored now."""
    with transaction(engine(app)) as tx:
        return store.by_id(tx, message_id)


def test_email_is_delivered_over_starttls_with_login(app, smtp_server, certificate):
    """The server gets the message over TLS after AUTH: headers, UTF-8 body, and the row is
    marked with its Message-ID, made from the row (the same on every attempt)."""
    controller, inbox = smtp_server
    now = utcnow()
    message_id = enqueued(app, now)
    smtp = sender(certificate, controller.port)
    assert outbox.run_once(engine(app), senders.Dispatcher({"email": smtp}), now).sent == [
        message_id]
    [(mail_from, rcpt, mail, over_tls)] = inbox.messages
    assert over_tls and inbox.logins == [USER.encode()]
    assert mail_from == "notificaciones@ccoapoyo.com" and rcpt == [MAIL["to"]]
    assert mail["Subject"] == MAIL["subject"]
    assert mail.get_content().replace("\r\n", "\n").strip() == MAIL["body"]
    assert mail["Message-ID"] == senders.message_id_of(message_id, MAIL, smtp.from_)
    assert mail["Message-ID"].startswith(f"<outbox-{message_id}.")
    assert mail["Message-ID"].endswith("@ccoapoyo.com>")
    stored = row(app, message_id)
    assert stored.status == OutboxStatus.SENT and stored.provider_sid == mail["Message-ID"]


def test_mail_written_while_the_server_is_down_goes_once_it_is_back(app, certificate):
    """Connection refused: retried after 30 s, 60 s…; the server starts; the next due round
    delivers it, once."""
    port = free_port()
    now = utcnow()
    message_id = enqueued(app, now)
    dispatcher = senders.Dispatcher({"email": sender(certificate, port)})
    assert outbox.run_once(engine(app), dispatcher, now).retried == [message_id]
    stored = row(app, message_id)
    assert stored.status == OutboxStatus.PENDING and "unreachable" in stored.last_error
    controller, inbox = start_server(certificate, port)
    try:
        assert len(outbox.run_once(engine(app), dispatcher, now + timedelta(seconds=29))) == 0
        later = now + timedelta(seconds=30)
        assert outbox.run_once(engine(app), dispatcher, later).sent == [message_id]
        assert len(inbox.messages) == 1
        assert len(outbox.run_once(engine(app), dispatcher, later + timedelta(hours=1))) == 0
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_wrong_password_is_retried_and_visible(app, smtp_server, certificate):
    """535 on AUTH: a setting to fix, so the row waits (not failed), with the server's answer."""
    controller, inbox = smtp_server
    now = utcnow()
    message_id = enqueued(app, now)
    dispatcher = senders.Dispatcher({"email": sender(certificate, controller.port, "mala")})
    assert outbox.run_once(engine(app), dispatcher, now).retried == [message_id]
    assert "SMTP 535" in row(app, message_id).last_error and inbox.messages == []


def test_untrusted_certificate_sends_nothing(app, smtp_server, certificate):
    """Without the server's certificate in the trust store, STARTTLS fails before the
    password is said: nothing sent, retried."""
    controller, inbox = smtp_server
    now = utcnow()
    message_id = enqueued(app, now)
    untrusting = senders.SmtpSender(f"smtp://{USER}:{PASSWORD}@127.0.0.1:{controller.port}",
                                    "notificaciones@ccoapoyo.com")
    dispatcher = senders.Dispatcher({"email": untrusting})
    assert outbox.run_once(engine(app), dispatcher, now).retried == [message_id]
    assert inbox.messages == [] and inbox.logins == []


def test_email_waits_a_day_before_expiring(app, certificate):
    """An e-mail outlives OUTBOX_MAX_AGE_MINUTES (it is still worth having): expired after
    24 hours only."""
    port = free_port()
    now = utcnow()
    message_id = enqueued(app, now)
    dispatcher = senders.Dispatcher({"email": sender(certificate, port)})
    hour = timedelta(minutes=60)
    assert outbox.run_once(engine(app), dispatcher, now + 2 * hour,
                           max_age=hour).retried == [message_id]
    assert outbox.run_once(engine(app), dispatcher, now + timedelta(hours=25),
                           max_age=hour).expired == [message_id]
