"""A real IMAP server for the tests: Debian's Dovecot, started on a free loopback port with its
own configuration and base_dir under a temporary folder, a Maildir owned by an unprivileged
user (as root, Dovecot logs in but refuses to open mail as root), and stopped at the end,
waiting for its master process to exit. Mail is put into the Maildir as a delivery would.

Skipped when Dovecot is not installed, unless REQUIRE_DOVECOT=1 (as .ci/run sets)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "ayuda"
PASSWORD = "clave-de-prueba-imap"  # noqa: S105 - the test server's own account


def _free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    """One running Dovecot with one mailbox account."""

    def __init__(self):
        """Write the configuration (nothing started yet)."""
        self.root = Path(tempfile.mkdtemp(prefix="ivr-dovecot-"))
        self.root.chmod(0o755)  # the mail user must reach its Maildir below
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        if os.geteuid() == 0:
            owner = pwd.getpwnam("nobody")
            user, group = "nobody", "nogroup"
        else:
            owner = pwd.getpwuid(os.geteuid())
            user, group = owner.pw_name, str(owner.pw_gid)
        self.uid, self.gid = owner.pw_uid, owner.pw_gid
        self.mail = self.root / "mail"
        self.maildir = self.mail / USER / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True)
        for path in (self.mail, self.mail / USER, self.maildir, *self.maildir.iterdir()):
            os.chown(path, self.uid, self.gid)
        for name in ("run", "state"):
            (self.root / name).mkdir()
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (self.root / "dovecot.conf").write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{self.mail}/%u/Maildir
mail_uid = {user}
mail_gid = {group}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={self.mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")

    @property
    def url(self) -> str:
        """IMAP_URL for the account."""
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def start(self) -> None:
        """Start in the foreground (a child process) and wait until it accepts connections."""
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("dovecot exited: " + self.process.stderr.read().decode())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not start listening within 10 s")

    def stop(self) -> None:
        """Stop the master and wait for it (and so its children) to exit."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()
        self.process = None

    def deliver(self, raw: bytes) -> str:
        """Put a mail into the inbox as a delivery agent does: written in tmp, renamed into
        new, owned by the mail user; its file name."""
        name = f"{time.time_ns()}.{uuid.uuid4().hex}.ivr-test"
        temporary = self.maildir / "tmp" / name
        temporary.write_bytes(raw)
        os.chown(temporary, self.uid, self.gid)
        temporary.rename(self.maildir / "new" / name)
        return name

    def folder_count(self, folder: str) -> int:
        """Mails in a folder (INBOX or a subfolder), counted on disk."""
        base = self.maildir if folder == "INBOX" else self.maildir / f".{folder}"
        return sum(len(list((base / sub).glob("*"))) for sub in ("new", "cur")
                   if (base / sub).exists())

    def empty(self) -> None:
        """Remove every mail and folder (between tests)."""
        for sub in ("new", "cur"):
            for path in (self.maildir / sub).glob("*"):
                path.unlink()
        for path in self.maildir.glob(".*"):
            if path.is_dir():
                shutil.rmtree(path)

    def remove(self) -> None:
        """Stop and delete everything."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot_server():
    """The session's Dovecot (skipped without it, a failure under REQUIRE_DOVECOT=1)."""
    if not os.path.exists(DOVECOT):
        if os.environ.get("REQUIRE_DOVECOT") == "1":
            pytest.fail("REQUIRE_DOVECOT=1 but dovecot is not installed (apt-get install "
                        "dovecot-imapd)")
        pytest.skip("dovecot not installed (set REQUIRE_DOVECOT=1 to make this a failure)")
    server = Dovecot()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def dovecot(dovecot_server):
    """The Dovecot server, running, with an empty mailbox."""
    if dovecot_server.process is None:
        dovecot_server.start()
    dovecot_server.empty()
    return dovecot_server
