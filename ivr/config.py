"""Configuration read from the environment, checked once at start-up.

The service and the operator's commands read the same settings: the process's environment,
over the file named by `IVR_ENV_FILE` when it is set (KEY=VALUE lines, as systemd's
EnvironmentFile reads them). So `IVR_ENV_FILE=/etc/ivr.env flask --app wsgi …` acts on the
service's database, not on a new local one.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from ivr.domain.phones import parse_phone

DEFAULT_FALLBACK_NUMBERS = ("+584140143913", "+584140320151")  # the procedure's rule 1.2 cells
# Rule 1.1's lines, (0212) 471.32.39 and (0212) 714.39.34.
DEFAULT_PUBLISHED_NUMBERS = ("+582124713239", "+582127143934")
# Development mode's own secrets, made once per checkout in the instance folder.
DEV_TOKEN_FILE = "dev-token"  # noqa: S105 - a file name, not a secret
DEV_SECRET_KEY_FILE = "dev-secret-key"  # noqa: S105 - a file name, not a secret
MIN_SECRET_KEY_LENGTH = 32
# The built-in token of earlier versions: public in the repository's history, so never trusted.
RETIRED_TOKENS = frozenset({"development-token"})
DEFAULT_TWILIO_API_URL = "https://api.twilio.com"
ENV_FILE_VARIABLE = "IVR_ENV_FILE"
_ENV_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")
_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")


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
    # The line's own numbers: a caller ID equal to one of them is no caller ID at all.
    published_numbers: tuple[str, ...] = DEFAULT_PUBLISHED_NUMBERS
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
    case_misses_per_call: int = 3  # case numbers that are no case, then no more lookups
    case_misses_per_day: int = 10  # per caller ID (withheld ones together): then a person
    pin_failures_to_lock: int = 5  # wrong PINs for one analyst within pin_lock_minutes…
    pin_lock_minutes: int = 15  # …lock their phone menu this long
    spool_dir: str | None = None
    db_connect_timeout: int = 2
    # The account whose recordings operators download (recordings get), and the API's base.
    twilio_account_sid: str | None = None
    twilio_api_url: str = DEFAULT_TWILIO_API_URL
    # The outbox: a message not sent within this age expires (never sent late).
    outbox_max_age_minutes: int = 60
    # The caller ID a call back shows the client (a Twilio number or a verified caller ID).
    callback_caller_id: str | None = None
    # Calls back to one case's client per day (Caracas) placed from the console.
    callback_attempts_per_day: int = 3
    # Messages: the SMS sender (a Twilio number or a Messaging Service MG…), WhatsApp (a
    # `whatsapp:+…` sender and an approved template's ContentSid per message kind), e-mail.
    sms_from: str | None = None
    whatsapp_from: str | None = None
    whatsapp_templates: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}))
    smtp_url: Secret = field(default_factory=lambda: Secret(""))
    smtp_from: str = "CCO Apoyo Empresarial <notificaciones@ccoapoyo.com>"
    smtp_ca_file: str | None = None
    cases_notify_to: str | None = None  # the team's address for case summaries
    coordinator_email: str | None = None  # told when an emergency alert goes unanswered
    # Urgent cases are due this long after they were opened, at any hour.
    urgent_callback_minutes: int = 60
    # Emergency alerts: a round (SMS to every emergency phone, then calls in order) lasts
    # this long; after this many rounds without anyone taking the case, the coordinator.
    alert_round_minutes: int = 15
    alert_max_rounds: int = 3
    alert_call_minutes: int = 2  # between the calls of a round (the phone rings, the alert)
    overdue_warn_minutes: int = 30
    # The hold queue (rule 4): the longest a caller waits on the line before the callback
    # queue takes the case (0: no hold queue, callers go straight to the callback queue);
    # an analyst's time after a call before the next caller is offered; how often a waiting
    # caller hears their place; how long a caller waits for an analyst with the fault's skill
    # before anyone free is offered them (rule 8).
    hold_max_wait_minutes: int = 10
    wrap_up_seconds: int = 30
    hold_announce_seconds: int = 35
    skill_wait_seconds: int = 60
    # After an analyst hangs up, ask a caller still on the line "Del 1 al 5, ¿cómo le atendimos?"
    satisfaction_question: bool = False
    # The support mailbox (rule 1.1 b): where it is read (imaps://user:password@host/ or
    # imap://…, STARTTLS), its own address (never answered; the answers' sender), the largest
    # attachment kept, and how many answers one sender gets in an hour.
    imap_url: Secret = field(default_factory=lambda: Secret(""))
    mailbox_address: str = "ayuda@ccoapoyo.com"
    mailbox_attachment_max_kb: int = 5120
    mailbox_answers_per_hour: int = 3
    # Where each setting came from: the environment, the env file, the instance folder, or
    # nothing (the default); and the env file read, if any.
    env_file: str | None = None
    origins: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}),
                                       compare=False)


def _whole(env: dict, name: str) -> int | None:
    """A whole-number setting as given (None when unset), failing with a message that names it."""
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


def _int(env: dict, name: str, default: int) -> int:
    """Read a positive integer setting, failing with a message that names it."""
    value = _whole(env, name)
    if value is None:
        return default
    if value <= 0:
        raise ConfigError(f"{name} must be positive, not {value}")
    return value


def _int_within(env: dict, name: str, default: int, low: int, high: int) -> int:
    """Read a whole-number setting that must lie between `low` and `high`, inclusive."""
    value = _whole(env, name)
    if value is None:
        return default
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _flag(env: dict, name: str) -> bool:
    """Read an on/off setting (1, true, yes, on / 0, false, no, off; unset is off)."""
    raw = (env.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} is on or off (1/0, true/false, yes/no), not {raw!r}")


def _phone_list(name: str, raw: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """Parse an ordered, comma-separated list of phone numbers (FALLBACK_NUMBERS…)."""
    if not raw:
        return default
    numbers = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        number = parse_phone(part)
        if number is None:
            raise ConfigError(f"{name}: {part!r} is not a valid phone number")
        numbers.append(number)
    if not numbers:
        raise ConfigError(f"{name} is set but lists no phone number")
    return tuple(numbers)


def _caller_id(raw: str | None) -> str | None:
    """CALLBACK_CALLER_ID in E.164 (national formats accepted), or None when unset."""
    raw = (raw or "").strip()
    if not raw:
        return None
    number = parse_phone(raw)
    if number is None:
        raise ConfigError(f"CALLBACK_CALLER_ID: {raw!r} is not a valid phone number (a Twilio "
                          "number or a verified caller ID, e.g. +582124713239)")
    return number


def normalise_database_url(url: str) -> str:
    """Point postgres URLs at the psycopg 3 driver; leave others alone."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def read_env_file(path: str) -> dict[str, str]:
    """KEY=VALUE lines of an env file (blank lines, # comments, `export` and quotes allowed),
    or ConfigError naming the file and the line."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        raise ConfigError(f"{ENV_FILE_VARIABLE}={path}: no such file (create it, or unset "
                          f"{ENV_FILE_VARIABLE})") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise ConfigError(f"{ENV_FILE_VARIABLE}={path}: cannot read it ({reason})") from None
    values = {}
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_LINE.fullmatch(line)
        if match is None:
            raise ConfigError(f"{path}, line {number}: not a KEY=VALUE line")
        name, value = match.groups()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[name] = value
    return values


def load_settings(env: dict | None = None, instance_path: str = "instance") -> Settings:
    """Build Settings from the environment (over IVR_ENV_FILE's, when set); outside
    development, secrets are required."""
    env = dict(os.environ if env is None else env)
    env_file = (env.get(ENV_FILE_VARIABLE) or "").strip() or None
    from_file = read_env_file(env_file) if env_file else {}
    origins = dict.fromkeys(from_file, env_file)
    origins.update((name, "environment") for name in env if name in SETTING_NAMES)
    env = {**from_file, **env}
    mode = env.get("IVR_ENV") or "development"
    if mode not in ("development", "production", "testing"):
        raise ConfigError("IVR_ENV must be development, testing or production")
    token = env.get("TWILIO_AUTH_TOKEN", "")
    secret = env.get("SECRET_KEY", "")
    if token in RETIRED_TOKENS:
        raise ConfigError(
            f"TWILIO_AUTH_TOKEN={token} is the old public development token: unset it "
            "(development makes its own in instance/dev-token) or set Twilio's Auth Token")
    if mode == "development":
        # No built-in token: one made at random for this checkout, which the call simulator
        # reads too; development mode also listens on loopback only (wsgi, gunicorn.conf.py).
        if not token.strip():
            token = instance_secret(instance_path, DEV_TOKEN_FILE)
            origins["TWILIO_AUTH_TOKEN"] = os.path.join(instance_path, DEV_TOKEN_FILE)
        if not secret.strip():
            secret = instance_secret(instance_path, DEV_SECRET_KEY_FILE)
            origins["SECRET_KEY"] = os.path.join(instance_path, DEV_SECRET_KEY_FILE)
    else:
        problems = _secret_problems(mode, token, secret)
        if problems:
            raise ConfigError("; ".join(problems))
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
    account_sid = (env.get("TWILIO_ACCOUNT_SID") or "").strip() or None
    if account_sid and not _ACCOUNT_SID.fullmatch(account_sid):
        raise ConfigError("TWILIO_ACCOUNT_SID must be AC followed by 32 hexadecimal digits "
                          "(Twilio Console, Account Info)")
    api_url = (env.get("TWILIO_API_URL") or "").strip().rstrip("/") or DEFAULT_TWILIO_API_URL
    api_parts = urlsplit(api_url)
    if api_parts.scheme not in ("http", "https") or not api_parts.netloc:
        raise ConfigError(f"TWILIO_API_URL must be like {DEFAULT_TWILIO_API_URL}, "
                          f"not {api_url!r}")
    smtp_url = (env.get("SMTP_URL") or "").strip()
    if smtp_url:
        smtp_parts = urlsplit(smtp_url)
        if smtp_parts.scheme not in ("smtp", "smtps") or not smtp_parts.hostname:
            raise ConfigError("SMTP_URL must be like smtp://user:password@mail.example.com:587 "
                              "(STARTTLS) or smtps://…:465")
    return Settings(
        env=mode,
        database_url=normalise_database_url(env.get("DATABASE_URL") or default_db),
        twilio_auth_token=Secret(token),
        secret_key=Secret(secret),
        public_base_url=base,
        proxy_hops=_int(env, "PROXY_HOPS", 0) if env.get("PROXY_HOPS") not in (None, "", "0")
        else 0,
        fallback_numbers=_phone_list("FALLBACK_NUMBERS", env.get("FALLBACK_NUMBERS"),
                                     DEFAULT_FALLBACK_NUMBERS),
        published_numbers=_phone_list("PUBLISHED_NUMBERS", env.get("PUBLISHED_NUMBERS"),
                                      DEFAULT_PUBLISHED_NUMBERS),
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
        case_misses_per_call=_int(env, "CASE_MISSES_PER_CALL", Settings.case_misses_per_call),
        case_misses_per_day=_int(env, "CASE_MISSES_PER_DAY", Settings.case_misses_per_day),
        pin_failures_to_lock=_int(env, "PIN_FAILURES_TO_LOCK", Settings.pin_failures_to_lock),
        pin_lock_minutes=_int(env, "PIN_LOCK_MINUTES", Settings.pin_lock_minutes),
        spool_dir=env.get("SPOOL_DIR") or os.path.join(os.path.abspath(instance_path), "spool"),
        db_connect_timeout=_int(env, "DB_CONNECT_TIMEOUT", Settings.db_connect_timeout),
        twilio_account_sid=account_sid,
        twilio_api_url=api_url,
        outbox_max_age_minutes=_int(env, "OUTBOX_MAX_AGE_MINUTES",
                                    Settings.outbox_max_age_minutes),
        callback_caller_id=_caller_id(env.get("CALLBACK_CALLER_ID")),
        callback_attempts_per_day=_int(env, "CALLBACK_ATTEMPTS_PER_DAY",
                                       Settings.callback_attempts_per_day),
        sms_from=(env.get("SMS_FROM") or "").strip() or None,
        whatsapp_from=_whatsapp_from(env.get("WHATSAPP_FROM")),
        whatsapp_templates=MappingProxyType(_pairs("WHATSAPP_TEMPLATES",
                                                   env.get("WHATSAPP_TEMPLATES"))),
        smtp_url=Secret(smtp_url),
        smtp_from=(env.get("SMTP_FROM") or "").strip() or Settings.smtp_from,
        smtp_ca_file=(env.get("SMTP_CA_FILE") or "").strip() or None,
        cases_notify_to=(env.get("CASES_NOTIFY_TO") or "").strip() or None,
        coordinator_email=(env.get("COORDINATOR_EMAIL") or "").strip() or None,
        urgent_callback_minutes=_int(env, "URGENT_CALLBACK_MINUTES",
                                     Settings.urgent_callback_minutes),
        alert_round_minutes=_int(env, "ALERT_ROUND_MINUTES", Settings.alert_round_minutes),
        alert_max_rounds=_int(env, "ALERT_MAX_ROUNDS", Settings.alert_max_rounds),
        alert_call_minutes=_int(env, "ALERT_CALL_MINUTES", Settings.alert_call_minutes),
        overdue_warn_minutes=_int(env, "OVERDUE_WARN_MINUTES", Settings.overdue_warn_minutes),
        hold_max_wait_minutes=_int_within(env, "HOLD_MAX_WAIT_MINUTES",
                                          Settings.hold_max_wait_minutes, 0, 120),
        wrap_up_seconds=_int_within(env, "WRAP_UP_SECONDS", Settings.wrap_up_seconds, 0, 900),
        hold_announce_seconds=_int_within(env, "HOLD_ANNOUNCE_SECONDS",
                                          Settings.hold_announce_seconds, 30, 45),
        skill_wait_seconds=_int_within(env, "SKILL_WAIT_SECONDS", Settings.skill_wait_seconds,
                                       0, 3600),
        satisfaction_question=_flag(env, "SATISFACTION_QUESTION"),
        imap_url=Secret(_imap_url(env.get("IMAP_URL"))),
        mailbox_address=_mail_address(env.get("MAILBOX_ADDRESS"), Settings.mailbox_address),
        mailbox_attachment_max_kb=_int(env, "MAILBOX_ATTACHMENT_MAX_KB",
                                       Settings.mailbox_attachment_max_kb),
        mailbox_answers_per_hour=_int(env, "MAILBOX_ANSWERS_PER_HOUR",
                                      Settings.mailbox_answers_per_hour),
        env_file=env_file,
        origins=MappingProxyType(origins),
    )


def _whatsapp_from(raw: str | None) -> str | None:
    """The WhatsApp sender as Twilio wants it (`whatsapp:+E164`), or None when unset."""
    raw = (raw or "").strip()
    if not raw:
        return None
    number = parse_phone(raw.removeprefix("whatsapp:"))
    if number is None:
        raise ConfigError(f"WHATSAPP_FROM: {raw!r} is not a phone number (whatsapp:+1…)")
    return f"whatsapp:{number}"


def _pairs(name: str, raw: str | None) -> dict[str, str]:
    """`key=value,key=value` (WHATSAPP_TEMPLATES), or ConfigError naming the bad part."""
    pairs = {}
    for part in (raw or "").split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(f"{name}: {part!r} is not kind=ContentSid")
        pairs[key.strip()] = value.strip()
    return pairs
def _imap_url(raw: str | None) -> str:
    """IMAP_URL checked: imaps://user:password@host[:port][/folder] or imap://… ("" unset)."""
    url = (raw or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
        raise ConfigError("IMAP_URL must be like imaps://ayuda%40ccoapoyo.com:password@"
                          "mail.example.com/INBOX (user and password URL-encoded)")
    return url


def _mail_address(raw: str | None, default: str) -> str:
    """An e-mail address setting, in lower case."""
    value = (raw or "").strip().lower() or default
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ConfigError(f"MAILBOX_ADDRESS must be an e-mail address, not {value!r}")
    return value


def _secret_problems(mode: str, token: str, secret: str) -> list[str]:
    """What is wrong with the token and secret key outside development, one line each."""
    problems = []
    if not token.strip():
        problems.append(
            f"TWILIO_AUTH_TOKEN is not set (or blank) with IVR_ENV={mode}: set it to the Auth "
            "Token of the Twilio Console (Account, API keys & tokens), see README, Configuration")
    if mode == "production" and len(secret.strip()) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters with "
            f"IVR_ENV=production (it has {len(secret.strip())}): set it to the output of "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'")
    return problems


def instance_secret(instance_path: str, name: str) -> str:
    """The secret kept in the instance folder's file `name`, made once if it is not there."""
    directory = os.path.abspath(instance_path)
    path = os.path.join(directory, name)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        return _read_secret(path)
    except FileNotFoundError:
        pass
    except OSError as error:  # a symlink, a directory, no permission
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    value = secrets.token_hex(32)
    # Written in full to a private temporary file (O_EXCL: never an existing file or a
    # symlink; 0600 from the start), then linked to its name, which fails if the name exists:
    # two processes starting at once both end up with the one that was linked first, and
    # nobody ever reads a half-written file.
    temporary = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as error:
        raise ConfigError(f"cannot create {path}: {error.strerror}") from None
    try:
        try:
            os.write(fd, (value + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(temporary, path)
    except FileExistsError:
        return _read_secret(path)
    except OSError as error:
        raise ConfigError(f"cannot create {path}: {error.strerror}") from None
    finally:
        os.unlink(temporary)
    return value


def _read_secret(path: str) -> str:
    """A secret file's value, refused when other users can read it or when it is blank."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    try:
        mode = os.fstat(fd).st_mode
        raw = os.read(fd, 4096)
    finally:
        os.close(fd)
    if mode & 0o077:
        raise ConfigError(f"{path} is open to other users: chmod 600 {path}")
    value = raw.decode("ascii", errors="replace").strip()
    if not value:
        raise ConfigError(f"{path} is empty: delete it and a new one is made")
    return value


def is_loopback(host: str) -> bool:
    """Whether a host (an address or "localhost") is this machine's loopback interface."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


# Each setting's variable and the Settings attribute it fills, in the README's order.
SETTING_NAMES: dict[str, str] = {
    "IVR_ENV": "env",
    "DATABASE_URL": "database_url",
    "TWILIO_AUTH_TOKEN": "twilio_auth_token",
    "TWILIO_ACCOUNT_SID": "twilio_account_sid",
    "TWILIO_API_URL": "twilio_api_url",
    "SECRET_KEY": "secret_key",
    "PUBLIC_BASE_URL": "public_base_url",
    "PROXY_HOPS": "proxy_hops",
    "FALLBACK_NUMBERS": "fallback_numbers",
    "PUBLISHED_NUMBERS": "published_numbers",
    "VOICE": "voice",
    "VOICE_LANGUAGE": "voice_language",
    "SPEECH_LANGUAGE": "speech_language",
    "GATHER_TIMEOUT": "gather_timeout",
    "RECORD_MAX_SECONDS": "record_max_seconds",
    "DIAL_TIMEOUT": "dial_timeout",
    "DIAL_TIME_LIMIT": "dial_time_limit",
    "HUNT_MAX_ATTEMPTS": "hunt_max_attempts",
    "HUNT_MAX_SECONDS": "hunt_max_seconds",
    "MISSED_CALLS_TO_AWAY": "missed_calls_to_away",
    "SPOOL_DIR": "spool_dir",
    "DB_CONNECT_TIMEOUT": "db_connect_timeout",
    "OUTBOX_MAX_AGE_MINUTES": "outbox_max_age_minutes",
    "CALLBACK_CALLER_ID": "callback_caller_id",
    "CALLBACK_ATTEMPTS_PER_DAY": "callback_attempts_per_day",
    "SMS_FROM": "sms_from",
    "WHATSAPP_FROM": "whatsapp_from",
    "WHATSAPP_TEMPLATES": "whatsapp_templates",
    "SMTP_URL": "smtp_url",
    "SMTP_FROM": "smtp_from",
    "SMTP_CA_FILE": "smtp_ca_file",
    "CASES_NOTIFY_TO": "cases_notify_to",
    "COORDINATOR_EMAIL": "coordinator_email",
    "URGENT_CALLBACK_MINUTES": "urgent_callback_minutes",
    "ALERT_ROUND_MINUTES": "alert_round_minutes",
    "ALERT_MAX_ROUNDS": "alert_max_rounds",
    "ALERT_CALL_MINUTES": "alert_call_minutes",
    "OVERDUE_WARN_MINUTES": "overdue_warn_minutes",
    "HOLD_MAX_WAIT_MINUTES": "hold_max_wait_minutes",
    "WRAP_UP_SECONDS": "wrap_up_seconds",
    "HOLD_ANNOUNCE_SECONDS": "hold_announce_seconds",
    "SKILL_WAIT_SECONDS": "skill_wait_seconds",
    "SATISFACTION_QUESTION": "satisfaction_question",
    "IMAP_URL": "imap_url",
    "MAILBOX_ADDRESS": "mailbox_address",
    "MAILBOX_ATTACHMENT_MAX_KB": "mailbox_attachment_max_kb",
    "MAILBOX_ANSWERS_PER_HOUR": "mailbox_answers_per_hour",
}


def shown_database_url(url: str) -> str:
    """A database URL as it may be printed: no password, in the URL or in its query."""
    if url.startswith("sqlite"):
        return url  # a file: no credentials (and urlsplit would fold sqlite:////abs paths)
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    query = "&".join(pair for pair in parts.query.split("&")
                     if pair and "password" not in pair.split("=", 1)[0].lower())
    return parts._replace(netloc=netloc, query=query).geturl()


def describe_settings(settings: Settings) -> list[tuple[str, str, str]]:
    """(variable, value as it may be shown, where it came from) for every setting: secrets
    masked, the database without its password."""
    rows = []
    for name, attribute in SETTING_NAMES.items():
        value = getattr(settings, attribute)
        if isinstance(value, Secret):
            shown = f"set ({len(value)} characters, hidden)" if value else "NOT SET"
        elif name == "DATABASE_URL":
            shown = shown_database_url(value)
        elif isinstance(value, tuple):
            shown = ",".join(value)
        elif isinstance(value, Mapping):
            shown = ",".join(f"{k}={v}" for k, v in value.items()) or "-"
        elif value is None:
            shown = "-"
        else:
            shown = str(value)
        rows.append((name, shown, settings.origins.get(name, "default")))
    return rows
