"""Structured logs: one JSON object per line, with the fields a webhook adds."""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback

from ivr.domain.phones import mask_phone

FIELDS = ("call", "step", "outcome", "status", "from", "ms")
# One encoder for every line (json.dumps with an option builds a new one per call).
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


class JsonFormatter(logging.Formatter):
    """Format records as JSON lines (time, level, logger, message and webhook fields)."""

    _second: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        """One line of JSON."""
        second = int(record.created)
        cached = self._second  # (second, its text): one tuple, so threads never mix them
        if cached[0] != second:
            cached = self._second = (second, self.formatTime(record, "%Y-%m-%dT%H:%M:%S"))
        data = {
            "time": cached[1],
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for field in FIELDS:
            if hasattr(record, field):
                data[field] = getattr(record, field)
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return _ENCODE(data)


def configure_logging(level: int = logging.INFO) -> None:
    """Send the application's logs to stderr as JSON lines (once per process).

    Only the "ivr" logger is configured: the logging module's switches (which record
    attributes are filled in) are left alone, since other loggers of the process, gunicorn's
    `[%(process)d]` among them, format what those switches fill in.
    """
    logger = logging.getLogger("ivr")
    logger.setLevel(level)
    if any(getattr(h, "ivr_json", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.ivr_json = True
    logger.addHandler(handler)


# Anything that could be a phone number in an error text: 7 or more digits, maybe separated.
_PHONE_LIKE = re.compile(r"\+?\d(?:[ ().-]?\d){6,}")


def scrubbed_traceback(error: BaseException) -> str:
    """The error's traceback with every phone-like number masked (exceptions may quote the
    caller's number: logs must not)."""
    text = "".join(traceback.format_exception(error))
    return _PHONE_LIKE.sub(lambda match: mask_phone(match.group()), text)
