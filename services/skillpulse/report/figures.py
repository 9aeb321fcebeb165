"""The figures a report states, as one flat list: what a snapshot keeps (Art. 12) and what
`skillpulse report verify` recomputes and compares, whatever the kind of report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportFigure:
    key: str  # stable within a kind of report, e.g. "B2@2026-12-31" or "MA4@2026-2029"
    label: str  # what the reader sees, e.g. "B2 on 31 December 2026"
    value: int | float | None  # None: not computable (no data yet, or a manual figure not provided)
    command: str  # the `skillpulse kpi …` command that recomputes it
