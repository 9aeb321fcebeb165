"""Small HTML builders that escape every text and attribute they are given.

Figures carry `data-field` / `data-value` attributes (the machine-readable value next to
the formatted text), so tests and auditors can read the report without scraping prose."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

NOT_PROVIDED = "not provided"


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def attributes(**values: object) -> str:
    """` name="value"` pairs; underscores become dashes (data_kpi → data-kpi), a trailing one
    is dropped (class_ → class); None is left out."""
    return "".join(f' {name.rstrip("_").replace("_", "-")}="{escape(value)}"' for name, value in values.items()
                   if value is not None)


def number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def progress(value: float, target: float | None) -> float | None:
    """Same rounding as the contract summary's progress_pct."""
    return round(100 * value / target, 1) if target else None


@dataclass(frozen=True)
class Cell:
    text: str
    field: str | None = None  # data-field: what the cell holds
    value: object = None  # data-value: the raw figure, when the text is formatted
    code: bool = False  # a command line
    css_class: str | None = None
    badge: str | None = None  # e.g. MANUAL, before the text
    note: str | None = None  # a smaller line under the text

    def render(self) -> str:
        inner = f"<code>{escape(self.text)}</code>" if self.code else escape(self.text)
        if self.badge:
            inner = f'<span class="manual">{escape(self.badge)}</span>{inner}'
        if self.note:
            inner += f'<br><span class="agreement">{escape(self.note)}</span>'
        return f"<td{attributes(class_=self.css_class, data_field=self.field, data_value=self.value)}>{inner}</td>"


def figure_cell(value: float, field: str = "value") -> Cell:
    return Cell(number(value), field, value, css_class="num")


def progress_cell(progress_pct: float | None) -> Cell:
    return Cell(percent(progress_pct), "progress", progress_pct, css_class="num")


def command_cell(command: str) -> Cell:
    return Cell(command, "command", code=True)


def row(cells: Iterable[Cell], **attrs: object) -> str:
    return f"<tr{attributes(**attrs)}>{''.join(cell.render() for cell in cells)}</tr>"


def table(headers: Iterable[str], rows: Iterable[str], **attrs: object) -> str:
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    return f"<table{attributes(**attrs)}><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows) + \
        "\n</tbody></table>"


def section(title: str, name: str, *parts: str) -> str:
    return f"<section{attributes(data_section=name)}><h2>{escape(title)}</h2>\n" + "\n".join(parts) + "\n</section>"


def paragraph(text: str, **attrs: object) -> str:
    return f"<p{attributes(**attrs)}>{escape(text)}</p>"


def chart(data_uri: str, alt: str, caption: str, command: str, name: str) -> str:
    return (f"<figure{attributes(data_chart=name)}><img{attributes(src=data_uri, alt=alt)}>"
            f"<figcaption>{escape(caption)} Reproduce: <code>{escape(command)}</code></figcaption></figure>")
