"""Text that reaches TwiML: the characters XML 1.0 cannot carry, found and removed.

XML 1.0 allows tab, newline, carriage return, U+0020–U+D7FF, U+E000–U+FFFD and
U+10000–U+10FFFF, nothing else: one form feed in a contact's name or a closure's reason
makes the whole TwiML document unparsable, and Twilio then drops the caller to the Fallback
URL. Spoken text is cleaned with `strip_forbidden`; the command line refuses such input with
`check_text`, which names the character.

`fill` puts values into a prompt without doubling its punctuation: a company registered as
"Farmacia El Ávila, C.A." said at the end of a sentence is not followed by a second full stop.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from ivr.domain.errors import InputError

# The complement of XML 1.0's Char production (lone surrogates included: a Python str may
# hold them, and they cannot even be encoded as UTF-8).
_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Forbidden:
    """A character XML 1.0 forbids, and where it is (0-based)."""

    char: str
    position: int

    def __str__(self) -> str:
        """E.g. "U+000C at position 13" (counted from 1, as a person counts)."""
        return f"U+{ord(self.char):04X} at position {self.position + 1}"


class ForbiddenCharacter(InputError):
    """Text with a character that TwiML (XML 1.0) cannot carry."""

    def __init__(self, what: str, found: Forbidden):
        """What the text is ("--reason"), and the first bad character in it."""
        self.what = what
        self.found = found
        super().__init__(f"{what}: character {found} is not allowed (a control character "
                         "or a non-character); remove it")


def strip_forbidden(text: str) -> str:
    """The text without the characters XML 1.0 forbids (the rest is kept as it is)."""
    return _FORBIDDEN.sub("", text)


def find_forbidden(text: str) -> Forbidden | None:
    """The first character XML 1.0 forbids in the text, or None when there is none."""
    match = _FORBIDDEN.search(text)
    return None if match is None else Forbidden(match.group(), match.start())


def check_text(text: str, what: str) -> str:
    """The text unchanged, or ForbiddenCharacter naming `what` and the bad character."""
    found = find_forbidden(text)
    if found is not None:
        raise ForbiddenCharacter(what, found)
    return text


# Marks that end a sentence: after a value that ends with one, the template's own full stop
# would be a second one ("C.A.." , "¡Hola!.").
_SENTENCE_ENDS = (".", "!", "?", "…")
_FORMATTER = string.Formatter()


def fill(template: str, **values) -> str:
    """`template.format(**values)`, except that a full stop right after a placeholder is left
    out when the value already ends a sentence ("de {company}." with "Farmacia, C.A.")."""
    out: list[str] = []
    skip_stop = False
    for literal, field, spec, conversion in _FORMATTER.parse(template):
        if skip_stop and literal.startswith("."):
            literal = literal[1:]
        out.append(literal)
        skip_stop = False
        if field is None:
            continue
        value = _FORMATTER.get_field(field, (), values)[0]
        value = _FORMATTER.convert_field(value, conversion)
        text = _FORMATTER.format_field(value, spec or "")
        out.append(text)
        skip_stop = text.rstrip().endswith(_SENTENCE_ENDS)
    return "".join(out)
