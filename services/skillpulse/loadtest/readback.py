"""After the run: freshness from the stored timestamps, and the raw-insert baseline on the
same rows (the ledger's check is `loadtest.ledger`)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from skillpulse.aggregator.batch import EVENT_COLUMNS
from skillpulse.health import queries as health

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

BASELINE_ROWS = 500_000  # enough for a stable rate, small enough to hold in memory
_SINCE = "received_at >= {since:DateTime64(3)}"


def freshness(store: Client, since: datetime) -> dict[str, dict[str, float]]:
    """Seconds from occurred and from received to stored, of the events stored since
    `since`: p50, p95, p99, max (the pipeline-health query, over the whole run)."""
    _, received, occurred, _ = store.query(health.FRESHNESS, parameters={
        "from_time": since, "to_time": datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)}).result_rows[0]
    return {"received_to_stored_s": dict(zip(health.FRESHNESS_QUANTILES, (round(v, 3) for v in received), strict=True)),
            "occurred_to_stored_s": dict(zip(health.FRESHNESS_QUANTILES, (round(v, 3) for v in occurred), strict=True))}


def raw_insert_baseline(store: Client, since: datetime, batch_rows: int = 50_000) -> dict[str, Any]:
    """clickhouse-connect's columnar insert of the run's rows into a copy of `events` with no
    views attached: the most the store takes from Python, measured on the same machine."""
    columns = store.query(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE {_SINCE} LIMIT {BASELINE_ROWS}",
                          parameters={"since": since}).result_columns
    rows = len(columns[0]) if columns else 0
    store.command("DROP TABLE IF EXISTS loadtest_raw_baseline")
    store.command("CREATE TABLE loadtest_raw_baseline AS events")
    try:
        started = time.perf_counter()
        for start in range(0, rows, batch_rows):
            store.insert("loadtest_raw_baseline", [list(c[start:start + batch_rows]) for c in columns],
                         column_names=EVENT_COLUMNS, column_oriented=True)
        seconds = time.perf_counter() - started
    finally:
        store.command("DROP TABLE IF EXISTS loadtest_raw_baseline")
    return {"rows": rows, "seconds": round(seconds, 3), "events_per_s": round(rows / seconds) if rows else 0}
