"""The line's TwiML writer: twilio's `VoiceResponse` method names, its bytes, a third of its CPU.

A measured exception to "libraries first" (STYLE.md 14; bench/OPTIMISATIONS.md, "Returned to
the libraries"): twilio's builder makes an object per verb, then an ElementTree, then
serialises it; this writes each verb's XML as it is added. It covers only the verbs and
keywords the line uses, and uses none of twilio's internals: attribute names are camelCased
here the way TwiML spells them. tests/test_twiml_writer.py is the contract: for every verb and
keyword the line uses, with any text, the document is byte for byte what twilio's public
`VoiceResponse` writes for the same calls. ivr/voice/twiml.py is the seam: importing twilio's
`VoiceResponse` there instead puts the library back, with no other change.
"""

from __future__ import annotations

# The escapes of xml.etree.ElementTree, through which twilio's builder serialises.
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                            "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"})
_NAMES: dict[str, str] = {}  # snake_case keyword -> TwiML attribute name, once each
_SAY_OPENINGS: dict[tuple, str] = {}  # voice, loop, language -> '<Say language=".." ...'


def attribute_name(keyword: str) -> str:
    """A keyword as TwiML names the attribute: num_digits -> numDigits."""
    name = _NAMES.get(keyword)
    if name is None:
        head, *rest = keyword.split("_")
        name = _NAMES[keyword] = head + "".join(part.title() for part in rest)
    return name


def attributes(kwargs: dict) -> str:
    """Attributes as twilio writes them: names sorted, None left out, booleans as true or
    false, values escaped."""
    items = []
    for key, value in kwargs.items():
        if value is None:
            continue
        text = ("true" if value else "false") if value is True or value is False else str(value)
        items.append((attribute_name(key), text))
    items.sort()
    return "".join([f' {name}="{text.translate(_ATTRIBUTE)}"' for name, text in items])


def leaf(name: str, text, kwargs: dict) -> str:
    """A verb with no children: <Name attributes>text</Name>, or <Name attributes />."""
    written = attributes(kwargs) if kwargs else ""
    if not text:
        return f"<{name}{written} />"
    return f"<{name}{written}>{str(text).translate(_TEXT)}</{name}>"


class Verb:
    """A TwiML element whose children are added after it is made (Response, Gather, Dial)."""

    __slots__ = ("name", "opening", "parts")

    def __init__(self, name: str, kwargs: dict):
        """The element's opening tag, written now; children follow as they are added."""
        self.name = name
        self.opening = f"<{name}{attributes(kwargs)}" if kwargs else f"<{name}"
        self.parts: list = []

    def say(self, message=None, voice=None, loop=None, language=None, **kwargs) -> None:
        """<Say>: words in a voice."""
        if kwargs:
            self.parts.append(leaf("Say", message, dict(voice=voice, loop=loop,
                                                        language=language, **kwargs)))
            return
        # Every <Say> of the line has the same voice and language: their text, written once.
        # (Types in the key: 0 == False and 1 == True, but they are written differently.)
        key = (voice, type(voice), loop, type(loop), language, type(language))
        opening = _SAY_OPENINGS.get(key)
        if opening is None:
            if len(_SAY_OPENINGS) > 64:
                _SAY_OPENINGS.clear()
            opening = _SAY_OPENINGS[key] = "<Say" + attributes(
                {"voice": voice, "loop": loop, "language": language})
        self.parts.append(f"{opening}>{str(message).translate(_TEXT)}</Say>" if message
                          else f"{opening} />")

    def play(self, url=None, loop=None, digits=None, **kwargs) -> None:
        """<Play>: a recording by URL."""
        self.parts.append(leaf("Play", url, dict(loop=loop, digits=digits, **kwargs)))

    def pause(self, length=None, **kwargs) -> None:
        """<Pause>: silence."""
        self.parts.append(leaf("Pause", None, dict(length=length, **kwargs)))

    def write(self, out: list[str]) -> None:
        """Append the element and its children to out."""
        if not self.parts:
            out.append(self.opening + " />")
            return
        out.append(self.opening + ">")
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                part.write(out)
        out.append(f"</{self.name}>")


class Gather(Verb):
    """<Gather>: keys or speech, with prompts inside."""

    __slots__ = ()


class Dial(Verb):
    """<Dial>: one or more numbers to ring."""

    __slots__ = ()

    def number(self, phone_number, **kwargs) -> None:
        """<Number>: a phone to ring, with its whisper URL and callbacks."""
        self.parts.append(leaf("Number", phone_number, kwargs))


class VoiceResponse(Verb):
    """<Response>: the document a voice webhook answers."""

    __slots__ = ()

    def __init__(self):
        """An empty document."""
        super().__init__("Response", {})

    def gather(self, **kwargs) -> Gather:
        """<Gather>, returned so that prompts can go inside."""
        gather = Gather("Gather", kwargs)
        self.parts.append(gather)
        return gather

    def dial(self, number=None, **kwargs) -> Dial:
        """<Dial>, returned so that numbers can go inside."""
        dial = Dial("Dial", kwargs)
        if number:
            dial.parts.append(str(number).translate(_TEXT))
        self.parts.append(dial)
        return dial

    def redirect(self, url, method=None, **kwargs) -> None:
        """<Redirect>: fetch the next TwiML from url."""
        self.parts.append(leaf("Redirect", url, dict(method=method, **kwargs)))

    def hangup(self, **kwargs) -> None:
        """<Hangup>."""
        self.parts.append(leaf("Hangup", None, kwargs))

    def record(self, **kwargs) -> None:
        """<Record>: the caller's message."""
        self.parts.append(leaf("Record", None, kwargs))

    def enqueue(self, name=None, **kwargs) -> None:
        """<Enqueue>: the caller waits in the named queue, hearing the waitUrl's TwiML."""
        self.parts.append(leaf("Enqueue", name, kwargs))

    def leave(self, **kwargs) -> None:
        """<Leave>: out of the queue, on to the Enqueue's action."""
        self.parts.append(leaf("Leave", None, kwargs))

    def to_xml(self, xml_declaration: bool = True) -> str:
        """The document, with its XML declaration unless told otherwise."""
        out = ['<?xml version="1.0" encoding="UTF-8"?>'] if xml_declaration else []
        self.write(out)
        return "".join(out)

    def __str__(self) -> str:
        """The document, as twilio's str(response) gives it."""
        return self.to_xml()
