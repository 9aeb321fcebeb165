"""`skillpulse report verify FILE`: is the file a report we generated, unmodified, and which
of its figures does the store compute differently now, and why where the store can tell
(events stored after the snapshot's watermark, xAPI voids, erasures)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from skillpulse.report.agreement_snapshot import KIND as AGREEMENT_KIND
from skillpulse.report.agreement_snapshot import recompute_agreement
from skillpulse.report.collect import ReportSources, collect_annual_report
from skillpulse.report.figures import ReportFigure
from skillpulse.report.manual_inputs import ManualInputs
from skillpulse.report.snapshot import (
    ReportSnapshot,
    SnapshotError,
    annual_figures,
    file_sha256,
    snapshot_id_in,
    software_version,
)
from skillpulse.report.snapshot_store import Causes, Erasure, SnapshotLookup

Recompute = Callable[[ReportSources, ReportSnapshot], list[ReportFigure]]
Lookup = Callable[[str, uuid.UUID | None], SnapshotLookup]


class VerifyError(SnapshotError):
    """The file cannot be verified: not one of our reports, modified, or of an unknown kind."""


def _recompute_annual(sources: ReportSources, snapshot: ReportSnapshot) -> list[ReportFigure]:
    given = snapshot.parameters
    try:
        manual = ManualInputs.model_validate(given["manual_inputs"]) if given["manual_inputs"] else None
        year, generated_at = int(given["year"]), datetime.fromisoformat(given["generated_at"])
    except (KeyError, TypeError, ValueError):  # a pydantic ValidationError is a ValueError
        raise VerifyError(f"snapshot {snapshot.snapshot_id}: its parameters are not a yearly report's") from None
    report = collect_annual_report(sources, year=year, platforms=tuple(snapshot.scope.platforms), manual=manual,
                                   now=generated_at)
    return annual_figures(report)


# kind → how to recompute its figures from its parameters: a new kind of report is one line.
RECOMPUTE: dict[str, Recompute] = {"annual": _recompute_annual, AGREEMENT_KIND: recompute_agreement}


class FigureChange(BaseModel):
    key: str
    label: str
    before: float | None
    after: float | None  # None too when the figure is no longer in the report
    command: str
    reasons: list[str]


class Verification(BaseModel):
    file: str
    sha256: str
    status: Literal["unchanged", "changed"]
    snapshot_id: uuid.UUID
    kind: str
    generated_at: datetime
    data_watermark: datetime | None
    software_version: str  # the snapshot's
    verified_with: str  # this software's version
    figures: int
    changed: list[FigureChange]
    causes: Causes


def _same(before: float | None, after: float | None) -> bool:
    if before is None or after is None:
        return before is after
    return math.isclose(before, after, rel_tol=1e-9, abs_tol=1e-9)


def _erasure_line(erasure: Erasure) -> str:
    return f"erasure on {erasure.erased_on.isoformat()} ({erasure.platform}): {erasure.rows_removed} rows removed"


def _cause_lines(causes: Causes, month: str | None) -> list[str]:
    """What can explain a figure: for a month's figure, the causes dated in that month if
    any; else every cause in the report's scope (MAU's and B2's windows reach across
    months, and a void is not dated by the event it withdrew)."""
    if month:
        in_month = causes.late_events_by_month.get(month, 0)
        dated = ([f"late events: {in_month} (of {month})"] if in_month else []) + [
            _erasure_line(erasure) for erasure in causes.erasures or () if month in erasure.months]
        if dated:
            return dated
    lines = [f"late events: {causes.late_events}"] if causes.late_events else []
    if causes.voided_statements:
        lines.append(f"voided statements: {causes.voided_statements}")
    return lines + [_erasure_line(erasure) for erasure in causes.erasures or ()]


def _reasons(key: str, causes: Causes, snapshot: ReportSnapshot) -> list[str]:
    period = key.rpartition("@")[2]
    month = period if len(period) == 7 and period[4] == "-" else None  # "YYYY-MM": a month's figure
    lines = _cause_lines(causes, month)
    if lines:
        return lines
    return [f"not known: no late event, void or erasure since the report; the report was made by skillpulse "
            f"{snapshot.software_version}, this is {software_version()}"]


def compare(snapshot: ReportSnapshot, now: list[ReportFigure], causes: Causes) -> list[FigureChange]:
    after = {figure.key: figure for figure in now}
    changes = []
    for figure in snapshot.figures:
        current = after.pop(figure.key, None)
        value = None if current is None else current.value
        if current is None or not _same(figure.value, value):
            changes.append(FigureChange(key=figure.key, label=figure.label, before=figure.value, after=value,
                                        command=figure.command, reasons=_reasons(figure.key, causes, snapshot)))
    changes += [FigureChange(key=figure.key, label=f"{figure.label} (not in the report)", before=None,
                             after=figure.value, command=figure.command,
                             reasons=_reasons(figure.key, causes, snapshot)) for figure in after.values()]
    return changes


def verify_report(path: Path, lookup: Lookup, sources: ReportSources) -> Verification:
    try:
        sha256, named = file_sha256(path), snapshot_id_in(path)
    except OSError as exc:
        raise VerifyError(f"{path}: cannot read it ({exc.strerror})") from None
    found = lookup(sha256, named)
    snapshot, causes = found.snapshot, found.causes
    if snapshot is None or causes is None:
        raise VerifyError(f"{path}: no report snapshot has this file's SHA-256 ({sha256}): it was not generated by "
                          "Skilltech Pulse on this store, or it was changed since")
    if sha256 not in (snapshot.file_sha256, snapshot.pdf_sha256):
        raise VerifyError(f"{path} was modified after it was generated: its snapshot {snapshot.snapshot_id} "
                          f"({snapshot.generated_at.isoformat()}) recorded SHA-256 {snapshot.file_sha256}, the "
                          f"file's is {sha256}")
    recompute = RECOMPUTE.get(snapshot.kind)
    if recompute is None:
        raise VerifyError(f"{path}: a report of kind {snapshot.kind!r}, which this version "
                          f"({software_version()}) cannot recompute")
    changed = compare(snapshot, recompute(sources, snapshot), causes)
    return Verification(file=str(path), sha256=sha256, status="changed" if changed else "unchanged",
                        snapshot_id=snapshot.snapshot_id, kind=snapshot.kind, generated_at=snapshot.generated_at,
                        data_watermark=snapshot.data_watermark, software_version=snapshot.software_version,
                        verified_with=software_version(), figures=len(snapshot.figures), changed=changed,
                        causes=causes)
