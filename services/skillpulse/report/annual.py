"""`skillpulse report`: the annual KPI report file(s), from the stack or the store."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from skillpulse.config import Settings
from skillpulse.report.collect import AnnualReport, ReportSources, collect_annual_report
from skillpulse.report.manual_inputs import load_manual_inputs
from skillpulse.report.pdf import find_chromium, print_pdf
from skillpulse.report.render import render_html
from skillpulse.report.snapshot import WrittenReport, annual_snapshot, save_snapshot, with_snapshot_footer
from skillpulse.report.sources import cli_sources


def write_annual_report(settings: Settings, *, year: int, platforms: tuple[str, ...], out: Path,
                        manual_inputs: Path | None = None, pdf: Path | None = None,
                        now: datetime | None = None, sources: ReportSources | None = None) -> AnnualReport:
    # Bad input fails before any query: a missing browser, a manual-inputs file that does not validate.
    browser = find_chromium() if pdf is not None else None
    inputs = load_manual_inputs(manual_inputs, year) if manual_inputs is not None else None
    report = collect_annual_report(sources or cli_sources(settings), year=year, platforms=platforms, manual=inputs,
                                   now=now)
    out.parent.mkdir(parents=True, exist_ok=True)
    snapshot_id = uuid.uuid4()  # named in the footer; the file's hash is taken after the last byte is written
    out.write_text(with_snapshot_footer(render_html(report), snapshot_id), encoding="utf-8")
    if pdf is not None and browser is not None:
        print_pdf(out, pdf, browser)
    save_snapshot(settings, annual_snapshot(report, snapshot_id, inputs, WrittenReport(out, pdf)))  # Art. 12
    return report
