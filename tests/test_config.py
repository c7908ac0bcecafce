"""Settings from the environment: defaults, normalised URLs, and start-up that fails clearly."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.config import (
    DEFAULT_FALLBACK_NUMBERS,
    ConfigError,
    instance_secret,
    is_loopback,
    load_settings,
)
from tests.conftest import call_params

ROOT = Path(__file__).resolve().parent.parent
OLD_PUBLIC_TOKEN = "development-token"  # the built-in token before issue 13

TOKEN = "tw-token-do-not-print-0123456789"
SECRET = "flask-secret-do-not-print-987654"
PRODUCTION = {"IVR_ENV": "production", "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET}


def settings(tmp_path, **env):
    """Settings for a given environment (nothing read from the real one)."""
    return load_settings(env, instance_path=str(tmp_path))


def test_defaults(tmp_path):
    """With nothing set: development, a SQLite file in the instance folder, the rule 1.2 cells."""
    s = settings(tmp_path)
    assert s.env == "development"
    assert s.database_url == f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    assert s.fallback_numbers == ("+584140143913", "+584140320151")
    assert s.fallback_numbers == DEFAULT_FALLBACK_NUMBERS
    assert s.public_base_url is None
    assert s.voice == "Polly.Mia-Neural"
    assert s.speech_language == "es-US"
    assert s.proxy_hops == 0
    assert s.db_connect_timeout > 0


def test_relative_instance_path_gives_absolute_sqlite_file(tmp_path, monkeypatch):
    """A relative instance folder still gives an absolute database path (cwd may change)."""
    monkeypatch.chdir(tmp_path)
    s = load_settings({}, instance_path="instance")
    assert s.database_url == f"sqlite:///{tmp_path / 'instance' / 'ivr.sqlite3'}"


@pytest.mark.parametrize(("given", "expected"), [
    ("postgres://u:p@db.example:5432/ivr", "postgresql+psycopg://u:p@db.example:5432/ivr"),
    ("postgresql://u@127.0.0.1/ivr", "postgresql+psycopg://u@127.0.0.1/ivr"),
    ("postgresql+psycopg://u@127.0.0.1/ivr", "postgresql+psycopg://u@127.0.0.1/ivr"),
    ("sqlite:////var/lib/ivr/ivr.sqlite3", "sqlite:////var/lib/ivr/ivr.sqlite3"),
])
def test_database_url_normalised(tmp_path, given, expected):
    """postgres:// and postgresql:// URLs use the psycopg 3 driver; others are left alone."""
    assert settings(tmp_path, DATABASE_URL=given).database_url == expected


@pytest.mark.parametrize("missing", ["TWILIO_AUTH_TOKEN", "SECRET_KEY"])
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_production_requires_secrets(tmp_path, missing, how):
    """In production a missing token or secret stops start-up, naming the variable."""
    env = dict(PRODUCTION)
    if how == "absent":
        del env[missing]
    else:
        env[missing] = ""
    with pytest.raises(ConfigError, match=missing):
        load_settings(env, instance_path=str(tmp_path))


def test_production_names_both_missing(tmp_path):
    """With neither secret set, the message names both."""
    with pytest.raises(ConfigError) as error:
        settings(tmp_path, IVR_ENV="production")
    assert "TWILIO_AUTH_TOKEN" in str(error.value) and "SECRET_KEY" in str(error.value)


def test_production_with_secrets_keeps_them(tmp_path):
    """Production with both secrets set starts, using exactly those values."""
    s = load_settings(PRODUCTION, instance_path=str(tmp_path))
    assert (s.env, str(s.twilio_auth_token), str(s.secret_key)) == ("production", TOKEN, SECRET)


def test_development_has_working_defaults(tmp_path):
    """Development fills in a token and a secret so `make run` answers signed test calls."""
    s = settings(tmp_path, IVR_ENV="development")
    assert str(s.twilio_auth_token) and str(s.secret_key)


# --- safe defaults (issue 13) ---------------------------------------------------------------


def mode_of(path) -> int:
    """A file's permission bits."""
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("env", [{}, {"IVR_ENV": "development"}, {"IVR_ENV": ""},
                                 {"TWILIO_AUTH_TOKEN": "  ", "SECRET_KEY": ""}])
def test_development_token_is_random_private_and_kept(tmp_path, env):
    """No built-in token: development without one makes a random token once in
    instance/dev-token (mode 0600, whatever the umask) and reads it back on every start."""
    old_umask = os.umask(0o022)
    try:
        first = settings(tmp_path, **env)
    finally:
        os.umask(old_umask)
    token, secret = str(first.twilio_auth_token), str(first.secret_key)
    assert first.env == "development"
    assert token != OLD_PUBLIC_TOKEN and re.fullmatch(r"[0-9a-f]{64}", token)
    assert len(secret) >= 32 and secret != token
    assert (tmp_path / "dev-token").read_text().strip() == token
    assert (tmp_path / "dev-secret-key").read_text().strip() == secret
    assert mode_of(tmp_path / "dev-token") == mode_of(tmp_path / "dev-secret-key") == 0o600
    again = settings(tmp_path, **env)
    assert (str(again.twilio_auth_token), str(again.secret_key)) == (token, secret)
    assert token != str(settings(tmp_path / "elsewhere", **env).twilio_auth_token)


def test_development_uses_a_given_token(tmp_path):
    """A token in the environment wins, and no file is made for it."""
    s = settings(tmp_path, IVR_ENV="development", TWILIO_AUTH_TOKEN=TOKEN, SECRET_KEY=SECRET)
    assert (str(s.twilio_auth_token), str(s.secret_key)) == (TOKEN, SECRET)
    assert not (tmp_path / "dev-token").exists()


def test_development_token_created_once_under_a_race(tmp_path):
    """Workers starting at once all end up with the same token, and no temporary file stays."""
    with ThreadPoolExecutor(16) as pool:
        tokens = set(pool.map(lambda _: instance_secret(str(tmp_path), "dev-token"), range(64)))
    assert len(tokens) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev-token"]


@pytest.mark.parametrize(("content", "mode", "message"), [
    ("0123456789abcdef0123456789abcdef\n", 0o644, "chmod 600"),
    ("0123456789abcdef0123456789abcdef\n", 0o640, "chmod 600"),
    (" \n", 0o600, "is empty"),
])
def test_development_token_file_refused_when_unsafe(tmp_path, content, mode, message):
    """A dev-token others can read, or a blank one, stops start-up with what to do."""
    path = tmp_path / "dev-token"
    path.write_text(content)
    path.chmod(mode)
    with pytest.raises(ConfigError, match=message) as error:
        settings(tmp_path)
    assert "\n" not in str(error.value)


def test_development_token_file_not_followed_through_a_symlink(tmp_path):
    """instance/dev-token is never read through a symlink (it could point at anything)."""
    target = tmp_path / "elsewhere"
    target.write_text("0123456789abcdef0123456789abcdef\n")
    target.chmod(0o600)
    (tmp_path / "dev-token").symlink_to(target)
    with pytest.raises(ConfigError, match="dev-token"):
        settings(tmp_path)


@pytest.mark.parametrize("mode", ["development", "testing", "production"])
def test_old_public_token_refused_everywhere(tmp_path, mode):
    """The old built-in token is public (it is in the history): refused in every mode."""
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        load_settings({"IVR_ENV": mode, "TWILIO_AUTH_TOKEN": OLD_PUBLIC_TOKEN,
                       "SECRET_KEY": SECRET}, instance_path=str(tmp_path))


@pytest.mark.parametrize("blank", ["", " ", "   ", "\t", "\n", " \r\n "])
@pytest.mark.parametrize("mode", ["production", "testing"])
def test_blank_token_refused_outside_development(tmp_path, blank, mode):
    """A token of spaces is no token: one line naming TWILIO_AUTH_TOKEN and where to get it."""
    with pytest.raises(ConfigError) as error:
        load_settings({"IVR_ENV": mode, "TWILIO_AUTH_TOKEN": blank, "SECRET_KEY": SECRET},
                      instance_path=str(tmp_path))
    message = str(error.value)
    assert message.startswith("TWILIO_AUTH_TOKEN") and "Twilio Console" in message
    assert "\n" not in message and "SECRET_KEY" not in message


@pytest.mark.parametrize("secret", ["", "x", "tooShortSecretQZ", "s" * 31, " " * 40,
                                    " " + "s" * 30 + " "])
def test_short_secret_key_refused_in_production(tmp_path, secret):
    """Production needs a SECRET_KEY of at least 32 characters (blanks not counted)."""
    with pytest.raises(ConfigError) as error:
        load_settings({**PRODUCTION, "SECRET_KEY": secret}, instance_path=str(tmp_path))
    message = str(error.value)
    assert message.startswith("SECRET_KEY must be at least 32 characters")
    assert "secrets.token_hex(32)" in message and "\n" not in message
    if len(secret.strip()) > 3:
        assert secret.strip() not in message  # the value is never shown


def test_secret_key_of_32_characters_accepted(tmp_path):
    """32 characters is enough."""
    s = load_settings({**PRODUCTION, "SECRET_KEY": "s" * 32}, instance_path=str(tmp_path))
    assert str(s.secret_key) == "s" * 32


def test_testing_mode_keeps_short_secret_keys(tmp_path):
    """The suite's configs (SECRET_KEY "x") still work in testing mode."""
    s = load_settings({"IVR_ENV": "testing", "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "x"},
                      instance_path=str(tmp_path))
    assert str(s.secret_key) == "x"


@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("::ffff:127.0.0.1", True),
    ("0.0.0.0", False),  # noqa: S104 - an address under test, nothing binds it
    ("", False), ("::", False), ("192.168.1.10", False), ("10.0.0.1", False),
    ("example.com", False), ("2001:db8::1", False),
])
def test_is_loopback(host, expected):
    """Loopback addresses (and localhost), nothing else."""
    assert is_loopback(host) is expected


@pytest.fixture
def default_app(database_url, tmp_path, monkeypatch):
    """The app as `make run` builds it: IVR_ENV, TWILIO_AUTH_TOKEN and SECRET_KEY unset."""
    for name in ("IVR_ENV", "TWILIO_AUTH_TOKEN", "SECRET_KEY", "PUBLIC_BASE_URL", "PROXY_HOPS"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"DATABASE_URL": database_url, "SPOOL_DIR": str(tmp_path / "spool")})
    app.extensions["ivr"].schedules.path = str(tmp_path / "schedule-cache.json")
    yield app
    app.extensions["ivr"].engine.dispose()


def signed_incoming(app, token: str, remote: str = "127.0.0.1"):
    """POST /voice/incoming signed with a token, from a peer address."""
    params = call_params("CA" + os.urandom(16).hex())
    url = "http://localhost/voice/incoming"
    signature = RequestValidator(token).compute_signature(url, params)
    return app.test_client().post("/voice/incoming", data=params,
                                  headers={"X-Twilio-Signature": signature},
                                  environ_base={"REMOTE_ADDR": remote})


def test_default_mode_refuses_the_old_public_token(default_app):
    """The forgery of issue 13: with nothing configured, a webhook signed with the public
    development-token is refused; one signed with instance/dev-token is answered."""
    state = default_app.extensions["ivr"]
    assert state.settings.env == "development"
    assert signed_incoming(default_app, OLD_PUBLIC_TOKEN).status_code == 403
    token = (Path(default_app.instance_path) / "dev-token").read_text().strip()
    assert str(state.settings.twilio_auth_token) == token
    answered = signed_incoming(default_app, token)
    assert answered.status_code == 200 and answered.mimetype == "text/xml"


@pytest.mark.parametrize(("remote", "status"), [
    ("127.0.0.1", 200), ("::1", 200), ("192.0.2.7", 403), ("2001:db8::7", 403),
])
def test_default_mode_answers_loopback_only(default_app, remote, status):
    """Development mode answers only this machine, even a request signed with its token."""
    token = str(default_app.extensions["ivr"].settings.twilio_auth_token)
    response = signed_incoming(default_app, token, remote)
    assert response.status_code == status
    if status == 403:
        assert b"IVR_ENV=production" in response.data


def test_production_mode_answers_other_machines(database_url, tmp_path):
    """The loopback guard is development's only: production serves its proxy wherever it is."""
    app = create_app({**PRODUCTION, "DATABASE_URL": database_url, "PUBLIC_BASE_URL": "",
                      "PROXY_HOPS": "", "SPOOL_DIR": str(tmp_path / "spool")})
    app.extensions["ivr"].schedules.path = str(tmp_path / "schedule-cache.json")
    try:
        assert signed_incoming(app, TOKEN, "192.0.2.7").status_code == 200
    finally:
        app.extensions["ivr"].engine.dispose()


# --- start-up from the command line and gunicorn --------------------------------------------


def clean_env(tmp_path, **extra) -> dict:
    """The process environment without the line's settings, plus these."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("IVR_ENV", "TWILIO_AUTH_TOKEN", "SECRET_KEY", "GUNICORN_BIND",
                        "PUBLIC_BASE_URL", "PROXY_HOPS", "DATABASE_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'line.sqlite3'}",
               SPOOL_DIR=str(tmp_path / "spool"), **extra)
    return env


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    """A command of ours in the repository, its output captured."""
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True,  # noqa: S603
                          timeout=60)


@pytest.mark.parametrize(("extra", "named"), [
    ({"TWILIO_AUTH_TOKEN": " ", "SECRET_KEY": SECRET}, "TWILIO_AUTH_TOKEN"),
    ({"TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "too-short"}, "SECRET_KEY"),
])
def test_flask_cli_refuses_bad_production_settings_in_one_line(tmp_path, extra, named):
    """`flask --app wsgi ...` in production with a blank token or a short key: one error line
    naming the variable, exit 1, nothing created."""
    done = run([sys.executable, "-m", "flask", "--app", "wsgi", "init-db"],
               clean_env(tmp_path, IVR_ENV="production", **extra))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {named}"), done.stderr
    assert not (tmp_path / "line.sqlite3").exists()


@pytest.mark.parametrize(("extra", "args", "expected"), [
    ({"GUNICORN_BIND": "0.0.0.0:5999"}, [], "development mode listens on loopback only"),
    ({"GUNICORN_BIND": "127.0.0.1:5999"}, ["-b", "0.0.0.0:5999"],
     "development mode listens on loopback only, not 0.0.0.0:5999"),
    ({"GUNICORN_BIND": "[::]:5999"}, [], "development mode listens on loopback only"),
    ({"IVR_ENV": "production", "TWILIO_AUTH_TOKEN": "  ", "SECRET_KEY": SECRET}, [],
     "TWILIO_AUTH_TOKEN is not set (or blank)"),
    ({"IVR_ENV": "production", "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "short"}, [],
     "SECRET_KEY must be at least 32 characters"),
])
def test_gunicorn_refuses_to_start(tmp_path, extra, args, expected):
    """gunicorn.conf.py checks the settings in the master before binding: development on a
    non-loopback address (from GUNICORN_BIND or -b), or bad production secrets, stop it."""
    done = run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                "--no-control-socket", *args], clean_env(tmp_path, **extra))
    assert done.returncode == 1, done.stderr
    assert f"Error: {expected}" in done.stderr
    assert "Booting worker" not in done.stderr and "Traceback" not in done.stderr


def test_gunicorn_without_the_config_file_stops_on_bad_settings(tmp_path):
    """`gunicorn wsgi:app` without gunicorn.conf.py: the worker cannot boot, gunicorn stops
    (instead of restarting it forever) and says why."""
    env = clean_env(tmp_path, IVR_ENV="production", TWILIO_AUTH_TOKEN=" ", SECRET_KEY=SECRET)
    empty = tmp_path / "empty.conf.py"  # or gunicorn reads ./gunicorn.conf.py by itself
    empty.write_text("")
    done = run([sys.executable, "-m", "gunicorn", "-c", str(empty), "--no-control-socket",
                "-b", "127.0.0.1:0", "wsgi:app"], env)
    assert done.returncode != 0
    assert "TWILIO_AUTH_TOKEN is not set (or blank)" in done.stderr
    assert done.stderr.count("Booting worker") == 1


def test_make_run_serves_through_gunicorn_on_loopback():
    """`make run`: init-db, demo-data, then the outbox worker (and the mailbox's reader when
    IMAP_URL is set) in the background and gunicorn with the repository's config on
    127.0.0.1:5000 (not Flask's development server); the workers are sent SIGTERM when the
    server stops."""
    done = run(["make", "--no-print-directory", "-n", "run"], dict(os.environ))
    assert done.returncode == 0, done.stderr
    commands = [line for line in done.stdout.splitlines() if "wsgi" in line or "gunicorn" in line]
    assert commands[-5].endswith("flask --app wsgi init-db")
    assert commands[-4].endswith("flask --app wsgi demo-data")
    assert commands[-3] == ".venv/bin/flask --app wsgi outbox work & worker=$!; reader=; \\"
    assert commands[-2] == ('if [ -n "$IMAP_URL" ]; then .venv/bin/flask --app wsgi mailbox '
                            'work & reader=$!; fi; \\')
    assert commands[-1] == "GUNICORN_BIND=127.0.0.1:5000 .venv/bin/gunicorn -c gunicorn.conf.py"
    assert "trap 'kill $worker $reader 2>/dev/null; wait $worker $reader' EXIT;" in done.stdout
    assert not any(" run " in line or line.endswith(" run") for line in commands)


def test_unknown_environment_refused(tmp_path):
    """IVR_ENV must be one of the three known modes."""
    with pytest.raises(ConfigError, match="IVR_ENV"):
        settings(tmp_path, IVR_ENV="prod")


@pytest.mark.parametrize(("raw", "expected"), [
    ("+584140143913", ("+584140143913",)),
    ("(0414) 032.01.51, (0414) 014.39.13", ("+584140320151", "+584140143913")),
    ("0212-471.32.39,+1 415 555 2671", ("+582124713239", "+14155552671")),
    (" 04140143913 , ", ("+584140143913",)),
])
def test_fallback_numbers_parsed_in_order(tmp_path, raw, expected):
    """FALLBACK_NUMBERS: comma-separated, national formats accepted, order kept, E.164 out."""
    assert settings(tmp_path, FALLBACK_NUMBERS=raw).fallback_numbers == expected


@pytest.mark.parametrize("raw", ["+584140143913, not-a-phone", "12345", "anonymous", ",,"])
def test_fallback_numbers_bad_entries_raise(tmp_path, raw):
    """A bad FALLBACK_NUMBERS entry stops start-up, naming the variable."""
    with pytest.raises(ConfigError, match="FALLBACK_NUMBERS"):
        settings(tmp_path, FALLBACK_NUMBERS=raw)


@pytest.mark.parametrize("name", [
    "GATHER_TIMEOUT", "RECORD_MAX_SECONDS", "DIAL_TIMEOUT", "DIAL_TIME_LIMIT",
    "HUNT_MAX_ATTEMPTS", "HUNT_MAX_SECONDS", "MISSED_CALLS_TO_AWAY", "DB_CONNECT_TIMEOUT",
    "PROXY_HOPS",
])
@pytest.mark.parametrize("raw", ["ten", "1.5", "-3"])
def test_bad_integers_name_the_variable(tmp_path, name, raw):
    """A setting that is not a positive whole number fails with a message naming it."""
    with pytest.raises(ConfigError, match=name):
        settings(tmp_path, **{name: raw})


@pytest.mark.parametrize(("name", "attribute"), [
    ("GATHER_TIMEOUT", "gather_timeout"), ("DIAL_TIMEOUT", "dial_timeout"),
    ("PROXY_HOPS", "proxy_hops"), ("DB_CONNECT_TIMEOUT", "db_connect_timeout"),
])
def test_integers_read(tmp_path, name, attribute):
    """A good integer setting is used."""
    assert getattr(settings(tmp_path, **{name: "7"}), attribute) == 7


@pytest.mark.parametrize("env", [
    PRODUCTION,
    {"IVR_ENV": "testing", "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": SECRET},
])
def test_secrets_never_in_repr(tmp_path, env):
    """Neither the token nor the secret key shows in repr() or str() of the settings."""
    s = load_settings(env, instance_path=str(tmp_path))
    for shown in (repr(s), str(s), repr(s.twilio_auth_token), f"{s!r}"):
        assert TOKEN not in shown and SECRET not in shown
    assert str(s.twilio_auth_token) == TOKEN  # still usable where it is needed


@pytest.mark.parametrize(("raw", "expected"), [
    ("https://ivr.example.com", "https://ivr.example.com"),
    ("https://ivr.example.com/", "https://ivr.example.com"),
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ("https://example.com/line", "https://example.com/line"),
    ("", None),
])
def test_public_base_url_accepted(tmp_path, raw, expected):
    """PUBLIC_BASE_URL is an http(s) origin, kept without its trailing slash."""
    assert settings(tmp_path, PUBLIC_BASE_URL=raw).public_base_url == expected


@pytest.mark.parametrize("raw", [
    "ivr.example.com", "ftp://ivr.example.com", "https://", "https:///path",
    "https://ivr.example.com?x=1", "https://ivr.example.com/#top",
])
def test_public_base_url_refused(tmp_path, raw):
    """A PUBLIC_BASE_URL Twilio could not have signed is refused, naming the variable."""
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        settings(tmp_path, PUBLIC_BASE_URL=raw)


@pytest.mark.parametrize("env", [
    {"IVR_ENV": "production", "SECRET_KEY": SECRET, "TWILIO_AUTH_TOKEN": ""},
    {"IVR_ENV": "production", "SECRET_KEY": "", "TWILIO_AUTH_TOKEN": TOKEN},
])
def test_create_app_refuses_production_without_secrets(tmp_path, env):
    """create_app in production with a secret missing raises before serving anything."""
    missing = next(name for name, value in env.items() if value == "")
    with pytest.raises(ConfigError, match=missing):
        create_app({**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    assert not os.path.exists(tmp_path / "x.sqlite3")


def test_create_app_in_production_with_secrets(tmp_path):
    """With both secrets, create_app builds the app with them and the database URL given."""
    url = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    app = create_app({**PRODUCTION, "DATABASE_URL": url, "PUBLIC_BASE_URL": "",
                      "FALLBACK_NUMBERS": "", "SPOOL_DIR": str(tmp_path / "spool")})
    try:
        state = app.extensions["ivr"]
        assert app.config["SECRET_KEY"] == SECRET
        assert not app.config["TESTING"]
        assert str(state.engine.url) == url
        assert state.settings.fallback_numbers == DEFAULT_FALLBACK_NUMBERS
    finally:
        app.extensions["ivr"].engine.dispose()


# --- one configuration for the service and the operator (issue 14) --------------------------


def test_env_file_read_under_the_environment(tmp_path):
    """IVR_ENV_FILE's KEY=VALUE lines are settings; the environment itself wins."""
    env_file = tmp_path / "ivr.env"
    env_file.write_text("IVR_ENV=production\nTWILIO_AUTH_TOKEN='from-the-file'\n"
                        f"SECRET_KEY={SECRET}\nDIAL_TIMEOUT=25\n\n# a comment\n",
                        encoding="utf-8")
    s = settings(tmp_path, IVR_ENV_FILE=str(env_file), DIAL_TIMEOUT="30")
    assert (s.env, str(s.twilio_auth_token), s.dial_timeout) == ("production", "from-the-file",
                                                                 30)
    assert s.env_file == str(env_file)
    assert s.origins["TWILIO_AUTH_TOKEN"] == str(env_file)
    assert s.origins["DIAL_TIMEOUT"] == "environment"


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    ("IVR_ENV=production\nthis is not a setting\n", "line 2: not a KEY=VALUE line"),
    (b"\xff\xfe", "cannot read it"),
])
def test_env_file_problems_name_the_file(tmp_path, content, message):
    """A missing, malformed or unreadable env file stops start-up with one line naming it."""
    env_file = tmp_path / "ivr.env"
    if isinstance(content, bytes):
        env_file.write_bytes(content)
    elif content is not None:
        env_file.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as error:
        settings(tmp_path, IVR_ENV_FILE=str(env_file))
    assert str(env_file) in str(error.value)


def test_flask_cli_with_a_missing_env_file_says_so_in_one_line(tmp_path):
    """The operator's command with a wrong IVR_ENV_FILE: one error line, exit 1."""
    env = {k: v for k, v in os.environ.items() if k not in ("IVR_ENV", "TWILIO_AUTH_TOKEN")}
    env["IVR_ENV_FILE"] = str(tmp_path / "nope.env")
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "analysts", "list"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: IVR_ENV_FILE={tmp_path / 'nope.env'}: no such file (create it, or unset "
        "IVR_ENV_FILE)")


@pytest.mark.parametrize(("name", "raw", "message"), [
    ("TWILIO_ACCOUNT_SID", "AC123", "AC followed by 32 hexadecimal digits"),
    ("TWILIO_API_URL", "ftp://example.com", "TWILIO_API_URL must be like"),
])
def test_twilio_account_settings_checked(tmp_path, name, raw, message):
    """The account SID and API URL used to fetch recordings are checked at start-up."""
    with pytest.raises(ConfigError, match=message):
        settings(tmp_path, **{name: raw})
