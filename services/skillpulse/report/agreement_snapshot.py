"""The agreement report's audit snapshot (Art. 12), the way `snapshot` keeps the yearly
one: its parameters re-collect the same report, its figures are `agreement_figures`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from skillpulse.report.agreement_collect import AgreementReport, collect_agreement_report
from skillpulse.report.agreement_rows import agreement_figures
from skillpulse.report.collect import ReportSources
from skillpulse.report.figures import ReportFigure
from skillpulse.report.snapshot import ReportSnapshot, SnapshotError, WrittenReport, report_snapshot

KIND = "agreement"


def agreement_parameters(report: AgreementReport) -> dict[str, Any]:
    """The agreement, the platforms and the generation time (a running agreement ends on the
    last day with data then)."""
    return {"agreement": report.period.name, "platforms": list(report.platforms),
            "from": report.period.start.isoformat(), "to": report.period.end.isoformat(),
            "generated_at": report.generated_at.isoformat()}


def agreement_snapshot(report: AgreementReport, snapshot_id: uuid.UUID, written: WrittenReport) -> ReportSnapshot:
    return report_snapshot(KIND, snapshot_id, agreement_parameters(report), agreement_figures(report),
                           report.freshness, report.generated_at, written)


def recompute_agreement(sources: ReportSources, snapshot: ReportSnapshot) -> list[ReportFigure]:
    """The figures the same agreement report would state now (for `report verify`)."""
    given = snapshot.parameters
    try:
        name, generated_at = str(given["agreement"]), datetime.fromisoformat(given["generated_at"])
    except (KeyError, TypeError, ValueError):
        raise SnapshotError(f"snapshot {snapshot.snapshot_id}: its parameters are not an agreement report's") from None
    report = collect_agreement_report(sources, name=name, platforms=tuple(snapshot.scope.platforms), now=generated_at)
    return agreement_figures(report)
