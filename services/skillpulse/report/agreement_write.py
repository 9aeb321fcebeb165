"""`skillpulse report --agreement 2026-2029`: the agreement report file(s), from the stack
or the store (the same sources as the yearly report)."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from skillpulse.config import Settings
from skillpulse.report.agreement_collect import AgreementReport, collect_agreement_report
from skillpulse.report.agreement_render import render_agreement_html
from skillpulse.report.agreement_snapshot import agreement_snapshot
from skillpulse.report.collect import ReportSources
from skillpulse.report.pdf import find_chromium, print_pdf
from skillpulse.report.snapshot import WrittenReport, save_snapshot, with_snapshot_footer
from skillpulse.report.sources import cli_sources


def write_agreement_report(settings: Settings, *, name: str, platforms: tuple[str, ...], out: Path,
                           pdf: Path | None = None, now: datetime | None = None,
                           sources: ReportSources | None = None) -> AgreementReport:
    browser = find_chromium() if pdf is not None else None  # a missing browser fails before any query
    report = collect_agreement_report(sources or cli_sources(settings), name=name, platforms=platforms, now=now)
    out.parent.mkdir(parents=True, exist_ok=True)
    snapshot_id = uuid.uuid4()  # named in the footer; the file's hash is taken after the last byte is written
    out.write_text(with_snapshot_footer(render_agreement_html(report), snapshot_id), encoding="utf-8")
    if pdf is not None and browser is not None:
        print_pdf(out, pdf, browser)
    save_snapshot(settings, agreement_snapshot(report, snapshot_id, WrittenReport(out, pdf)))  # Art. 12
    return report
