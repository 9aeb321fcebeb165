"""`skillpulse report --agreement 2026-2029`: the agreement report file(s), from the stack
or the store (the same sources as the yearly report)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from skillpulse.config import Settings
from skillpulse.report.agreement_collect import AgreementReport, collect_agreement_report
from skillpulse.report.agreement_render import render_agreement_html
from skillpulse.report.pdf import find_chromium, print_pdf
from skillpulse.report.sources import cli_sources


def write_agreement_report(settings: Settings, *, name: str, platforms: tuple[str, ...], out: Path,
                           pdf: Path | None = None, now: datetime | None = None) -> AgreementReport:
    browser = find_chromium() if pdf is not None else None  # a missing browser fails before any query
    report = collect_agreement_report(cli_sources(settings), name=name, platforms=platforms, now=now)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_agreement_html(report), encoding="utf-8")
    if pdf is not None and browser is not None:
        print_pdf(out, pdf, browser)
    return report
