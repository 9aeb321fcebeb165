"""The report's section of manual Annex 2 inputs: each shown as given, with its source,
marked MANUAL; a missing one says "not provided" and has no progress."""

from __future__ import annotations

from skillpulse.report.html_parts import (
    NOT_PROVIDED,
    Cell,
    figure_cell,
    number,
    paragraph,
    progress_cell,
    row,
    section,
    table,
)
from skillpulse.report.manual_inputs import ManualFigure

MANUAL_BADGE = "MANUAL"
_HEADERS = ("Id", "Indicator", "Value", "Unit", "Target", "Target period", "Progress", "Source", "Notes")


def _manual_row(figure: ManualFigure) -> str:
    indicator, entry = figure.indicator, figure.entry
    described = Cell(indicator.title, "indicator", note=f"« {indicator.agreement_text} » — value: "
                                                        f"{indicator.value_meaning}")
    head = [Cell(indicator.id), described]
    tail = [Cell(indicator.unit, "unit"), figure_cell(indicator.target, "target"),
            Cell(indicator.target_period, "target-period")]
    if entry is None:
        cells = [*head, Cell(NOT_PROVIDED, "value", css_class="missing"), *tail, Cell("—", "progress"),
                 Cell(NOT_PROVIDED, "source", css_class="missing"), Cell("", "notes")]
        return row(cells, data_manual=indicator.key, data_status="not-provided")
    value = Cell(number(entry.value), "value", entry.value, css_class="num", badge=MANUAL_BADGE)
    cells = [*head, value, *tail, progress_cell(figure.progress_pct),
             Cell(entry.source, "source"), Cell(entry.notes, "notes")]
    return row(cells, data_manual=indicator.key, data_status="manual")


def manual_section(figures: list[ManualFigure]) -> str:
    provided = sum(figure.entry is not None for figure in figures)
    intro = paragraph(
        f"These Annex 2 indicators are not usage telemetry: their values are {MANUAL_BADGE} inputs from the "
        "manual-inputs file given to `skillpulse report --manual-inputs`, shown as given with their source, "
        f"never computed or estimated here. {provided} of {len(figures)} provided; a missing one reads "
        f"“{NOT_PROVIDED}”.")
    return section("Other Annex 2 indicators (manual inputs)", "manual", intro,
                   table(_HEADERS, [_manual_row(figure) for figure in figures], data_table="manual"))
