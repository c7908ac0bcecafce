"""Settings from the environment: defaults, normalised URLs, and start-up that fails clearly."""

from __future__ import annotations

import os

import pytest

from ivr import create_app
from ivr.config import DEFAULT_FALLBACK_NUMBERS, ConfigError, load_settings

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
