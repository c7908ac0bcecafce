"""The application's one clock: naive UTC, as stored in the database."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (time-machine moves it in tests)."""
    return datetime.now(UTC).replace(tzinfo=None)
