"""Read a rendered report back: rows of the marked tables, facts, images and tag names,
with the standard library's HTML parser (what a browser would see, entities decoded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Row:
    attrs: dict[str, str | None]
    cells: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # data-field: (text, data-value)
    text: str = ""

    def value(self, name: str) -> str | None:
        return self.cells[name][1]

    def text_of(self, name: str) -> str:
        return self.cells[name][0]


class ReportReader(HTMLParser):
    def __init__(self, document: str) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: dict[tuple[str, str], Row] = {}  # (data-table, first data-* value of the row)
        self.facts: dict[str, tuple[str, str | None]] = {}
        self.images: list[dict[str, str | None]] = []
        self.tags: set[str] = set()
        self.links: list[str] = []  # every href and src
        self._text: list[str] = []
        self._table: str | None = None
        self._row: Row | None = None
        self._cell: tuple[str, str | None, list[str]] | None = None
        self._fact: tuple[str, str, str | None, list[str]] | None = None
        self.feed(document)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.add(tag)
        self.links += [value or "" for name, value in attrs if name in ("href", "src")]
        if tag == "img":
            self.images.append(found)
        elif tag == "table":
            self._table = found.get("data-table")
        elif tag == "tr" and self._table and any(name.startswith("data-") for name, _ in attrs):
            key = next(value for name, value in attrs if name.startswith("data-"))
            self._row = self.rows[(self._table, key or "")] = Row(found)
        elif tag == "td" and self._row is not None and found.get("data-field"):
            self._cell = (found["data-field"] or "", found.get("data-value"), [])
        elif tag in ("dd", "p") and found.get("data-field"):
            self._fact = (tag, found["data-field"] or "", found.get("data-value"), [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._row is not None:
            name, value, parts = self._cell
            self._row.cells[name] = (" ".join("".join(parts).split()), value)
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None
        elif self._fact is not None and tag == self._fact[0]:
            _, name, value, parts = self._fact
            self.facts[name] = (" ".join("".join(parts).split()), value)
            self._fact = None

    def handle_data(self, data: str) -> None:
        self._text.append(data)
        if self._cell is not None:
            self._cell[2].append(data)
        if self._row is not None:
            self._row.text += data
        if self._fact is not None:
            self._fact[3].append(data)

    @property
    def text(self) -> str:
        """All the text of the page, white space collapsed."""
        return " ".join("".join(self._text).split())

    def table(self, name: str) -> dict[str, Row]:
        return {key: row for (table, key), row in self.rows.items() if table == name}
