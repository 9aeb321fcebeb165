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
FEED_BADGE = "FEED"
OVERRIDE_BADGE = "MANUAL OVERRIDE"
_HEADERS = ("Id", "Indicator", "Value", "Unit", "Target", "Target period", "Progress", "Source", "Notes")


def _manual_row(figure: ManualFigure) -> str:
    indicator, entry = figure.indicator, figure.entry
    described = Cell(indicator.title, "indicator", note=f"« {indicator.agreement_text} » — value: "
                                                        f"{indicator.value_meaning}")
    head = [Cell(indicator.id), described]
    tail = [Cell(indicator.unit, "unit"), figure_cell(indicator.target, "target"),
            Cell(indicator.target_period, "target-period")]
    if entry is None and figure.measured is None:
        cells = [*head, Cell(NOT_PROVIDED, "value", css_class="missing"), *tail, Cell("—", "progress"),
                 Cell(NOT_PROVIDED, "source", css_class="missing"), Cell("", "notes")]
        return row(cells, data_manual=indicator.key, data_status="not-provided")
    measured = figure.measured
    if entry is None and measured is not None:
        value = Cell(number(measured.value), "value", measured.value, css_class="num", badge=FEED_BADGE)
        cells = [*head, value, *tail, progress_cell(figure.progress_pct), Cell(measured.source, "source"),
                 Cell(f"Reproduce: {measured.command}", "notes")]
        return row(cells, data_manual=indicator.key, data_status="measured")
    assert entry is not None
    badge = MANUAL_BADGE if measured is None else OVERRIDE_BADGE
    notes = entry.notes if measured is None else " — ".join(filter(None, (
        entry.notes, f"overrides the {number(measured.value)} measured ({measured.source}; {measured.command})")))
    value = Cell(number(entry.value), "value", entry.value, css_class="num", badge=badge)
    cells = [*head, value, *tail, progress_cell(figure.progress_pct),
             Cell(entry.source, "source"), Cell(notes, "notes")]
    return row(cells, data_manual=indicator.key, data_status=figure.status)


def manual_section(figures: list[ManualFigure]) -> str:
    provided = sum(figure.entry is not None for figure in figures)
    intro = paragraph(
        f"These Annex 2 indicators are not usage telemetry: their values are {MANUAL_BADGE} inputs from the "
        "manual-inputs file given to `skillpulse report --manual-inputs`, shown as given with their source, "
        f"never computed or estimated here. {provided} of {len(figures)} provided; a missing one reads "
        f"“{NOT_PROVIDED}”. MV2 is counted from the blog's feed when it has been polled ({FEED_BADGE}, "
        f"`skillpulse sources blog`); a manual MV2 then overrides it, marked {OVERRIDE_BADGE} with the "
        "measured figure beside it.")
    return section("Other Annex 2 indicators (manual inputs)", "manual", intro,
                   table(_HEADERS, [_manual_row(figure) for figure in figures], data_table="manual"))
