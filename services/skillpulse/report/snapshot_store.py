"""Report snapshots in the store (`report_snapshots`, migration 0013), and what the store
holds now that the snapshot did not see: events stored after its watermark, xAPI voids
(`voided_events`, 0009), erasures (`erasure_receipts`, 0014, when the store has it)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from skillpulse.kpi.params import TIMEZONE
from skillpulse.report.figures import ReportFigure
from skillpulse.report.snapshot import ReportSnapshot, SnapshotScope

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

_COLUMNS = ("snapshot_id", "kind", "parameters", "figures.key", "figures.label", "figures.value",
            "figures.command", "data_watermark", "software_version", "file_sha256", "pdf_sha256", "generated_at")
_FIND = f"""
SELECT {', '.join(_COLUMNS)} FROM report_snapshots
WHERE file_sha256 = {{sha256:String}} OR pdf_sha256 = {{sha256:String}} OR snapshot_id = {{snapshot_id:UUID}}
ORDER BY file_sha256 = {{sha256:String}} OR pdf_sha256 = {{sha256:String}} DESC, generated_at
LIMIT 1"""
# Events are read by Luxembourg day (kpi/params.py): a late event counts when its day is
# on or before the last day the report covers, so also the B2 window and cumulative KPIs.
_LATE_EVENTS = f"""
SELECT toStartOfMonth(toDate(occurred_at, '{TIMEZONE}')) AS month, uniqExact(event_id) FROM events
WHERE platform IN {{platforms:Array(String)}} AND stored_at > {{watermark:DateTime64(3, 'UTC')}}
  AND toDate(occurred_at, '{TIMEZONE}') <= {{last:Date}}
GROUP BY month ORDER BY month"""
_VOIDS = """
SELECT uniqExact(voided_event_id) FROM voided_events
WHERE platform IN {platforms:Array(String)} AND stored_at > {watermark:DateTime64(3, 'UTC')}"""
# An erasure's receipt names the days whose figures it changed (and is rewritten once finished).
_ERASURES = """
SELECT requested_at, platform, arrayDistinct(arrayMap(day -> toStartOfMonth(day), arrayFilter(day -> day <= {last:Date},
       days))) AS months, arraySum(mapValues(rows_removed))
FROM erasure_receipts FINAL
WHERE platform IN {platforms:Array(String)} AND requested_at > {since:DateTime64(3, 'UTC')} AND notEmpty(months)
ORDER BY requested_at"""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # no watermark: nothing was stored, so everything is late


class Erasure(BaseModel):
    erased_on: date
    platform: str
    rows_removed: int  # over every table
    months: list[str]  # "YYYY-MM" of the days it changed, up to the report's last day


class Causes(BaseModel):
    """What changed in the store since a snapshot's watermark, within its scope."""

    late_events: int
    late_events_by_month: dict[str, int]  # "YYYY-MM" → events of that month stored after the watermark
    voided_statements: int
    erasures: list[Erasure] | None  # None: this store keeps no erasure receipts

    def any(self) -> bool:
        return bool(self.late_events or self.voided_statements or self.erasures)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def insert_snapshot(store: Client, snapshot: ReportSnapshot) -> None:
    figures = snapshot.figures
    row = [snapshot.snapshot_id, snapshot.kind, json.dumps(snapshot.parameters, sort_keys=True),
           [f.key for f in figures], [f.label for f in figures],
           [None if f.value is None else float(f.value) for f in figures], [f.command for f in figures],
           snapshot.data_watermark, snapshot.software_version, snapshot.file_sha256, snapshot.pdf_sha256 or "",
           snapshot.generated_at]
    store.insert("report_snapshots", [row], column_names=list(_COLUMNS))


def find_snapshot(store: Client, sha256: str, snapshot_id: uuid.UUID | None) -> ReportSnapshot | None:
    """The snapshot of the file with this SHA-256 (HTML or PDF), else the one the file's
    footer names (the caller then knows the file was modified), else None."""
    found = store.query(_FIND, parameters={"sha256": sha256, "snapshot_id": snapshot_id or uuid.UUID(int=0)})
    if not found.result_rows:
        return None
    (sid, kind, parameters, keys, labels, values, commands, watermark, software, html_hash, pdf_hash,
     generated_at) = found.result_rows[0]
    figures = [ReportFigure(*fields) for fields in zip(keys, labels, values, commands, strict=True)]
    return ReportSnapshot(
        snapshot_id=sid, kind=kind, parameters=json.loads(parameters), figures=figures,
        data_watermark=_utc(watermark) if watermark is not None else None, software_version=software,
        file_sha256=html_hash.decode() if isinstance(html_hash, bytes) else html_hash,
        pdf_sha256=pdf_hash or None, generated_at=_utc(generated_at))


def _erasures(store: Client, scope: SnapshotScope, since: datetime) -> list[Erasure] | None:
    """Erasures requested after `since` (the watermark, as for late events and voids) of days
    the report read; None when the store keeps no receipts (0014)."""
    exists = store.query("SELECT count() FROM system.tables WHERE database = currentDatabase() "
                         "AND name = 'erasure_receipts'").result_rows[0][0]
    if not exists:
        return None
    found = store.query(_ERASURES, parameters={"platforms": list(scope.platforms), "since": since,
                                               "last": scope.end})
    return [Erasure(erased_on=moment.date(), platform=platform, rows_removed=int(removed),
                    months=[month.strftime("%Y-%m") for month in months])
            for moment, platform, months, removed in found.result_rows]


def changes_since(store: Client, snapshot: ReportSnapshot) -> Causes:
    scope, since = snapshot.scope, snapshot.data_watermark or _EPOCH
    parameters: dict[str, Any] = {"platforms": list(scope.platforms), "watermark": since, "last": scope.end}
    late = {month.strftime("%Y-%m"): int(count)
            for month, count in store.query(_LATE_EVENTS, parameters=parameters).result_rows}
    voids = int(store.query(_VOIDS, parameters=parameters).result_rows[0][0])
    return Causes(late_events=sum(late.values()), late_events_by_month=late, voided_statements=voids,
                  erasures=_erasures(store, scope, since))


class SnapshotLookup(BaseModel):
    """What `verify` needs from the store: the file's snapshot and what changed since (the
    answer of GET /v1/report-snapshots, and of `lookup` on an open store)."""

    snapshot: ReportSnapshot | None
    causes: Causes | None


def lookup(store: Client, sha256: str, snapshot_id: uuid.UUID | None) -> SnapshotLookup:
    snapshot = find_snapshot(store, sha256, snapshot_id)
    return SnapshotLookup(snapshot=snapshot, causes=changes_since(store, snapshot) if snapshot else None)
