"""The error every surface turns into a message for the person who typed the input."""

from __future__ import annotations


class InputError(ValueError):
    """Input that cannot be accepted, with a message that says what was wrong and what to do.

    The command line prints it as one `error:` line (exit 1); the console will show it beside
    the form. Services raise it (or a subclass) before they write anything.
    """
