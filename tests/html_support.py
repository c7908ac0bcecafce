"""Reading server-rendered pages in tests: the text of elements picked by tag and class
(the standard library's HTML parser; no dependency)."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Picker(HTMLParser):
    """Collects the text inside every element that matches a tag and a class."""

    def __init__(self, tag: str, cls: str | None):
        super().__init__(convert_charrefs=True)
        self.tag, self.cls = tag, cls
        self.depth = 0  # open elements inside the current match (0: not in one)
        self.current: list[str] = []
        self.found: list[str] = []
        self.attrs: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            if tag == self.tag and self._matches(attrs):
                self.attrs.append(dict(attrs))
            if self.depth and tag == "br":
                self.current.append("\n")
            return
        if self.depth:
            self.depth += 1
            self.current.append(" ")  # cells and items read apart
        elif tag == self.tag and self._matches(attrs):
            self.depth = 1
            self.current = []
            self.attrs.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag in VOID or not self.depth:
            return
        self.depth -= 1
        if not self.depth:
            self.found.append(" ".join("".join(self.current).split(" ")).strip())

    def handle_data(self, data):
        if self.depth:
            self.current.append(data)

    def _matches(self, attrs) -> bool:
        classes = (dict(attrs).get("class") or "").split()
        return self.cls is None or self.cls in classes


def texts(page: str, tag: str, cls: str | None = None) -> list[str]:
    """The text of each element `tag` (with class `cls`), whitespace folded."""
    picker = _Picker(tag, cls)
    picker.feed(page)
    return [" ".join(t.split()) for t in picker.found]


def attributes(page: str, tag: str, cls: str | None = None) -> list[dict]:
    """The attributes of each element `tag` (with class `cls`)."""
    picker = _Picker(tag, cls)
    picker.feed(page)
    return picker.attrs
