"""Pipeline health over the last minutes, as one JSON document (board, CLI, API)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from skillpulse.health import queries

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 3)


def _quantiles(values: list[float], count: int) -> dict[str, float | None]:
    """p50, p95 and p99 (the health view leaves the maximum to the load tests)."""
    named = zip(queries.FRESHNESS_QUANTILES, values, strict=True)
    return {name: _number(value) if count else None for name, value in named if name != "max"}


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat(timespec="milliseconds") if value and value.year > 1970 else None


def pipeline_health(store: Client, minutes: float = 5.0, now: datetime | None = None) -> dict[str, Any]:
    to_time = now or datetime.now(UTC)
    from_time = to_time - timedelta(minutes=minutes)
    params = {"from_time": from_time.replace(tzinfo=None), "to_time": to_time.replace(tzinfo=None)}

    def rows(sql: str) -> Sequence[Sequence[Any]]:
        return store.query(sql, parameters=params).result_rows

    rates = {f"{service}.{metric}": _number(per_s) for service, metric, per_s in rows(queries.EVENT_RATES)}
    count, received, occurred, last_stored = rows(queries.FRESHNESS)[0]
    batches, rows_avg, rows_max, insert_p50, insert_p99 = rows(queries.BATCHES)[0]
    lag_latest, lag_peak, lag_at = rows(queries.CONSUMER_LAG)[0]
    return {
        "from": from_time.isoformat(timespec="seconds"), "to": to_time.isoformat(timespec="seconds"),
        "per_second": {"accepted": rates.get("collector.accepted", 0.0),
                       "ignored": rates.get("collector.ignored", 0.0),
                       "rejected": rates.get("collector.rejected", 0.0),
                       "refused": rates.get("collector.refused", 0.0), "stored": rates.get("aggregator.stored", 0.0),
                       "dead_lettered": rates.get("aggregator.dead_lettered", 0.0)},
        "rejections": [{"service": s, "metric": m, "platform": p, "reason": r, "events": int(n)}
                       for s, m, p, r, n in rows(queries.REJECTIONS)],
        "freshness_s": {"events": int(count), "received_to_stored": _quantiles(received, count),
                        "occurred_to_stored": _quantiles(occurred, count), "last_stored_at": _iso(last_stored)},
        "batches": {"count": int(batches), "rows_avg": _number(rows_avg) if batches else None,
                    "rows_max": _number(rows_max) if batches else None,
                    "insert_ms_p50": _number(insert_p50) if batches else None,
                    "insert_ms_p99": _number(insert_p99) if batches else None},
        "consumer_lag": {"latest": _number(lag_latest) if _iso(lag_at) else None,
                         "peak": _number(lag_peak) if _iso(lag_at) else None, "sampled_at": _iso(lag_at)},
    }
