"""`skillpulse report`: the annual KPI report file(s), from the stack or the store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from skillpulse.config import Settings
from skillpulse.report.collect import AnnualReport, collect_annual_report
from skillpulse.report.manual_inputs import load_manual_inputs
from skillpulse.report.pdf import find_chromium, print_pdf
from skillpulse.report.render import render_html
from skillpulse.report.sources import cli_sources


def write_annual_report(settings: Settings, *, year: int, platforms: tuple[str, ...], out: Path,
                        manual_inputs: Path | None = None, pdf: Path | None = None,
                        now: datetime | None = None) -> AnnualReport:
    # Bad input fails before any query: a missing browser, a manual-inputs file that does not validate.
    browser = find_chromium() if pdf is not None else None
    inputs = load_manual_inputs(manual_inputs, year) if manual_inputs is not None else None
    report = collect_annual_report(cli_sources(settings), year=year, platforms=platforms, manual=inputs, now=now)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report), encoding="utf-8")
    if pdf is not None and browser is not None:
        print_pdf(out, pdf, browser)
    return report
