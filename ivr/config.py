"""Configuration read from the environment, checked once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ivr.domain.phones import parse_phone

DEFAULT_FALLBACK_NUMBERS = ("+584140143913", "+584140320151")  # the procedure's rule 1.2 cells


class ConfigError(RuntimeError):
    """The environment does not describe a runnable application."""


class Secret(str):
    """A string that never shows its value in reprs or logs."""

    def __repr__(self) -> str:
        """Hide the value."""
        return "Secret('**********')"


@dataclass(frozen=True)
class Settings:
    """Everything the application reads from the environment."""

    env: str = "development"
    database_url: str = ""
    twilio_auth_token: Secret = field(default_factory=lambda: Secret(""))
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    public_base_url: str | None = None
    proxy_hops: int = 0
    fallback_numbers: tuple[str, ...] = DEFAULT_FALLBACK_NUMBERS
    voice: str = "Polly.Mia-Neural"
    voice_language: str = "es-MX"
    speech_language: str = "es-US"
    gather_timeout: int = 6
    record_max_seconds: int = 120
    dial_timeout: int = 20
    dial_time_limit: int = 3600
    hunt_max_attempts: int = 3
    hunt_max_seconds: int = 90
    missed_calls_to_away: int = 3
    spool_dir: str | None = None
    db_connect_timeout: int = 2


def _int(env: dict, name: str, default: int) -> int:
    """Read a positive integer setting, failing with a message that names it."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, not {value}")
    return value


def _fallback_numbers(raw: str | None) -> tuple[str, ...]:
    """Parse the ordered, comma-separated FALLBACK_NUMBERS list."""
    if not raw:
        return DEFAULT_FALLBACK_NUMBERS
    numbers = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        number = parse_phone(part)
        if number is None:
            raise ConfigError(f"FALLBACK_NUMBERS: {part!r} is not a valid phone number")
        numbers.append(number)
    if not numbers:
        raise ConfigError("FALLBACK_NUMBERS is set but lists no phone number")
    return tuple(numbers)


def normalise_database_url(url: str) -> str:
    """Point postgres URLs at the psycopg 3 driver; leave others alone."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_settings(env: dict | None = None, instance_path: str = "instance") -> Settings:
    """Build Settings from the environment; outside development, secrets are required."""
    env = dict(os.environ if env is None else env)
    mode = env.get("IVR_ENV", "development")
    if mode not in ("development", "production", "testing"):
        raise ConfigError("IVR_ENV must be development, testing or production")
    token = env.get("TWILIO_AUTH_TOKEN", "")
    secret = env.get("SECRET_KEY", "")
    if mode == "production":
        missing = [n for n, v in (("TWILIO_AUTH_TOKEN", token), ("SECRET_KEY", secret)) if not v]
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)} must be set when IVR_ENV=production "
                "(see README, Configuration)"
            )
    if mode == "development":
        # A fixed, public development token lets `make run` answer signed test calls.
        token = token or "development-token"
        secret = secret or "development-secret"
    default_db = "sqlite:///" + os.path.join(os.path.abspath(instance_path), "ivr.sqlite3")
    base = (env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None
    if base:
        parts = urlsplit(base)
        # Twilio signs scheme://host/path?query: a base with no host, or with its own query
        # or fragment, can never rebuild the URL Twilio signed.
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
                or parts.fragment or "?" in base or "#" in base:
            raise ConfigError(
                f"PUBLIC_BASE_URL must be like https://ivr.example.com, not {base!r}")
    return Settings(
        env=mode,
        database_url=normalise_database_url(env.get("DATABASE_URL") or default_db),
        twilio_auth_token=Secret(token),
        secret_key=Secret(secret),
        public_base_url=base,
        proxy_hops=_int(env, "PROXY_HOPS", 0) if env.get("PROXY_HOPS") not in (None, "", "0")
        else 0,
        fallback_numbers=_fallback_numbers(env.get("FALLBACK_NUMBERS")),
        voice=env.get("VOICE") or Settings.voice,
        voice_language=env.get("VOICE_LANGUAGE") or Settings.voice_language,
        speech_language=env.get("SPEECH_LANGUAGE") or Settings.speech_language,
        gather_timeout=_int(env, "GATHER_TIMEOUT", Settings.gather_timeout),
        record_max_seconds=_int(env, "RECORD_MAX_SECONDS", Settings.record_max_seconds),
        dial_timeout=_int(env, "DIAL_TIMEOUT", Settings.dial_timeout),
        dial_time_limit=_int(env, "DIAL_TIME_LIMIT", Settings.dial_time_limit),
        hunt_max_attempts=_int(env, "HUNT_MAX_ATTEMPTS", Settings.hunt_max_attempts),
        hunt_max_seconds=_int(env, "HUNT_MAX_SECONDS", Settings.hunt_max_seconds),
        missed_calls_to_away=_int(env, "MISSED_CALLS_TO_AWAY", Settings.missed_calls_to_away),
        spool_dir=env.get("SPOOL_DIR") or os.path.join(os.path.abspath(instance_path), "spool"),
        db_connect_timeout=_int(env, "DB_CONNECT_TIMEOUT", Settings.db_connect_timeout),
    )
