"""The audit trail of reports (agreement Art. 12): every report written stores a snapshot
(kind, parameters, every figure it states, the data watermark, the software version and
the SHA-256 of the final bytes), so that `skillpulse report verify FILE` can tell, years
later, whether the file is ours, unmodified, and which figures the store now computes
differently. Snapshots hold aggregates only.

The snapshot goes where the figures came from: into the stack that `skillpulse up` runs on
the data dir (its process holds the embedded store: POST /v1/report-snapshots with the
operator token), else straight into the store."""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from skillpulse.report.collect import AnnualReport
from skillpulse.report.errors import ReportError
from skillpulse.report.figures import ReportFigure
from skillpulse.report.html_parts import escape
from skillpulse.report.reproduce import kpi_command

if TYPE_CHECKING:
    from skillpulse.config import Settings
    from skillpulse.report.freshness import Freshness
    from skillpulse.report.manual_inputs import ManualInputs

SNAPSHOT_ROUTE = "/v1/report-snapshots"
MAX_FIGURES = 5000  # the agreement report per month over four years is a few hundred
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
# What the footer of a report says, and what `verify` reads back from a file.
SNAPSHOT_ATTRIBUTE = "data-snapshot-id"
_SNAPSHOT_IN_FILE = re.compile(rb'data-snapshot-id="([0-9a-f-]{36})"')


class SnapshotError(ReportError):
    """A snapshot cannot be stored or found."""


# What the store's Date and DateTime types hold (a TTL is a DateTime): beyond, refused.
StoreDate = Annotated[date, Field(ge=date(1970, 1, 1), le=date(2105, 12, 31))]
StoreMoment = Annotated[AwareDatetime, Field(ge=datetime(1970, 1, 1, tzinfo=UTC),
                                             le=datetime(2105, 12, 31, tzinfo=UTC))]


class SnapshotScope(BaseModel):
    """The events a report read: its platforms, up to its last day (`parameters` of every kind)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)
    platforms: Annotated[list[Annotated[str, Field(max_length=253)]], Field(min_length=1, max_length=16)]
    start: StoreDate = Field(alias="from")
    end: StoreDate = Field(alias="to")


class ReportSnapshot(BaseModel):
    """One generated report, as stored in `report_snapshots` (migration 0013) and as the
    body of POST /v1/report-snapshots. `parameters` always holds "platforms", "from" and
    "to" (the scope of the events the report read), plus what its kind needs to re-collect."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    snapshot_id: uuid.UUID
    kind: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
    parameters: dict[str, Any]
    figures: Annotated[list[ReportFigure], Field(max_length=MAX_FIGURES)]
    data_watermark: StoreMoment | None  # newest stored_at of the events read; None: none stored, or not known
    software_version: Annotated[str, Field(max_length=64)]
    file_sha256: Sha256
    pdf_sha256: Sha256 | None = None
    generated_at: StoreMoment

    @field_validator("parameters")
    @classmethod
    def _has_a_scope(cls, parameters: dict[str, Any]) -> dict[str, Any]:
        SnapshotScope.model_validate(parameters)
        return parameters

    @field_validator("figures")
    @classmethod
    def _finite(cls, figures: list[ReportFigure]) -> list[ReportFigure]:
        if any(figure.value is not None and not math.isfinite(figure.value) for figure in figures):
            raise ValueError("a figure's value is a finite number or null")
        return figures

    @property
    def scope(self) -> SnapshotScope:
        return SnapshotScope.model_validate(self.parameters)


@dataclass(frozen=True)
class WrittenReport:
    """The files a report command wrote (their final bytes are hashed)."""

    html: Path
    pdf: Path | None = None


def software_version() -> str:
    try:
        return version("skillpulse")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def snapshot_id_in(path: Path) -> uuid.UUID | None:
    """The snapshot id a report's footer names (an HTML report of ours), else None."""
    with path.open("rb") as stream:
        found = _SNAPSHOT_IN_FILE.search(stream.read(16 << 20))  # reports are far smaller
    return uuid.UUID(found.group(1).decode()) if found else None


def with_snapshot_footer(document: str, snapshot_id: uuid.UUID) -> str:
    """The rendered page with a footer naming its snapshot. The file's own hash cannot be in
    the file; the id lets `verify` tell a modified report of ours from a stranger's file,
    and lets an auditor holding only a printout find the snapshot."""
    footer = (f'<footer {SNAPSHOT_ATTRIBUTE}="{snapshot_id}"><p>Audit snapshot {escape(str(snapshot_id))} '
              "(agreement Art. 12): <code>skillpulse report verify FILE</code> checks this file against the "
              "figures stored when it was generated and names any that the stored events now change.</p></footer>\n")
    head, body_end, tail = document.rpartition("</body>")
    if not body_end:
        raise ValueError("the document has no </body>")
    return head + footer + body_end + tail


def annual_parameters(report: AnnualReport, manual: ManualInputs | None) -> dict[str, Any]:
    """What re-collects the same yearly report: the year, the platforms, the generation time
    (a year in progress ends on the last day with data then), the manual inputs as given."""
    return {"year": report.year, "platforms": list(report.platforms), "from": report.period.start.isoformat(),
            "to": report.period.end.isoformat(), "generated_at": report.generated_at.isoformat(),
            "manual_inputs": manual.model_dump(mode="json") if manual is not None else None}


def annual_figures(report: AnnualReport) -> list[ReportFigure]:
    """Every figure the yearly report states, keyed by what it is (stable when re-collected)."""
    year, start, end, platforms = report.year, report.period.start, report.period.end, report.platforms

    def command(slug: str, first: date | str = start, last: date | str = end) -> str:
        return kpi_command(slug, first, last, platforms)

    yearly = report.b2_year
    figures = [
        ReportFigure(f"B2@{year}/end", f"B2 active users on {yearly['last_day']}", yearly["last_value"],
                     command("active-users-yearly")),
        ReportFigure(f"B2@{year}/peak", f"B2 active users, peak of {year}", yearly["peak_value"],
                     command("active-users-yearly")),
    ]
    figures += [ReportFigure(f"{item['metric']}@{year}", f"{item['id']} {item['title']} on {item['to']}",
                             item["value"], command(item["metric"], item["from"], item["to"]))
                for item in report.summary["rows"] if item["id"] != "B2"]
    for month in report.months:
        name = month.month.strftime("%Y-%m")
        figures += [ReportFigure(f"logins@{name}", f"Logins in {name}", month.logins,
                                 command("logins", month.month, month.last_day)),
                    ReportFigure(f"mau@{name}", f"MAU on {month.last_day.isoformat()}", month.mau_at_end,
                                 command("mau", month.last_day, month.last_day))]
    figures += [ReportFigure(f"training-funnel@{year}/{item['status']}", f"Users {item['status']} in {year}",
                             item["users"], command("training-funnel")) for item in report.funnel]
    figures += [ReportFigure(f"articles@{month['month']}", f"Blog articles published in {month['month']}",
                             month["articles"], command("articles")) for month in report.articles["months"]]
    figures += [ReportFigure(f"{figure.indicator.key}@{year}", f"{figure.indicator.id} {figure.indicator.title} "
                             f"({figure.status})", figure.value,
                             figure.measured.command if figure.measured else "the manual-inputs file")
                for figure in report.manual]
    return figures


def report_snapshot(kind: str, snapshot_id: uuid.UUID, parameters: dict[str, Any], figures: list[ReportFigure],
                    freshness: Freshness | None, generated_at: datetime, written: WrittenReport) -> ReportSnapshot:
    """The snapshot of any kind of report, once its files are written (their final bytes)."""
    return ReportSnapshot(
        snapshot_id=snapshot_id, kind=kind, parameters=parameters, figures=figures,
        data_watermark=freshness.latest_stored_at if freshness else None, software_version=software_version(),
        file_sha256=file_sha256(written.html), pdf_sha256=file_sha256(written.pdf) if written.pdf else None,
        generated_at=generated_at)


def annual_snapshot(report: AnnualReport, snapshot_id: uuid.UUID, manual: ManualInputs | None,
                    written: WrittenReport) -> ReportSnapshot:
    return report_snapshot("annual", snapshot_id, annual_parameters(report, manual), annual_figures(report),
                           report.freshness, report.generated_at, written)


def save_snapshot(settings: Settings, snapshot: ReportSnapshot) -> None:
    """Into the stack running on the data dir (one process per chdb path), else the store."""
    import httpx

    from skillpulse.stack_client import REQUEST_TIMEOUT_S, client_headers, from_stack_or_store
    from skillpulse.stack_state import find_running_stack

    state = find_running_stack(settings.paths.data_dir)
    if state is None:
        from skillpulse.report.snapshot_store import insert_snapshot

        from_stack_or_store(settings, "", {}, lambda store: insert_snapshot(store, snapshot))
        return
    response = httpx.post(f"{state.url}{SNAPSHOT_ROUTE}", content=snapshot.model_dump_json(),
                          headers={**client_headers(settings), "Content-Type": "application/json"},
                          timeout=REQUEST_TIMEOUT_S)
    if not response.is_success:
        token = " (it refused this command's operator token)" if response.status_code in (401, 403) else ""
        raise SnapshotError(f"the running stack did not store the report's snapshot ({response.status_code}{token}); "
                            "the file is written but `report verify` will not know it: generate it again")
