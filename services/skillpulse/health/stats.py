"""What the services count about themselves, recorded twice: as OpenTelemetry metrics
(exported when an OTLP endpoint is set) and as rows of `pipeline_stats` (so the SRE
dashboard and the KPI board need no metrics backend). Metric names: 0007_pipeline_stats.sql."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from opentelemetry import metrics

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

FRESHNESS_SAMPLE = 1000  # events per batch whose freshness goes to the OTel histogram


class StatsSample(NamedTuple):
    """One figure a service counted. The collector's outcome (accepted, rejected, ...) is
    the metric; on the stats topic a sample travels as a JSON array in this order."""

    metric: str
    platform: str
    reason: str
    value: float


class StatsRow(NamedTuple):
    """A row of `pipeline_stats`: a sample, when and by which service."""

    at: datetime
    service: str
    metric: str
    platform: str
    reason: str
    value: float


STATS_COLUMNS = StatsRow._fields


def store_stats(store: Client, rows: list[StatsRow]) -> None:
    """Insert `pipeline_stats` rows (blocking: run it in a worker thread)."""
    if rows:
        store.insert("pipeline_stats", rows, column_names=STATS_COLUMNS)


def stats_rows(service: str, samples: list[StatsSample], at: datetime | None = None) -> list[StatsRow]:
    when = at or datetime.now(UTC)
    return [StatsRow(when, service, sample.metric, sample.platform, sample.reason, float(sample.value))
            for sample in samples]


class CollectorStats:
    """Events accepted, rejected (per event, 422 reasons) and refused (503) by platform and
    reason. The stack publishes the totals every second to the stats topic; the aggregator
    stores them (the collector holds no store in production)."""

    def __init__(self, meter: metrics.Meter) -> None:
        self._events = meter.create_counter(
            "skillpulse.collector.events", unit="{event}",
            description="events by outcome (accepted, rejected, refused), platform and reason")
        self._pending: Counter[tuple[str, str, str]] = Counter()

    def count(self, outcome: str, platform: str, reason: str = "", events: int = 1) -> None:
        if events:
            self._events.add(events, {"outcome": outcome, "platform": platform, "reason": reason})
            self._pending[(outcome, platform, reason)] += events

    def drain(self) -> list[StatsSample]:
        """The totals since the last call, one sample per outcome, platform and reason."""
        samples = [StatsSample(outcome, platform, reason, total)
                   for (outcome, platform, reason), total in self._pending.items()]
        self._pending.clear()
        return samples

    def restore(self, samples: list[StatsSample]) -> None:
        """Put back totals that could not be published (they go out with the next ones)."""
        for sample in samples:
            self._pending[(sample.metric, sample.platform, sample.reason)] += int(sample.value)


def stats_record(service: str, samples: list[StatsSample]) -> bytes:
    """The stats topic's record: {"service", "at", "samples": [[metric, platform, reason, value], ...]}."""
    return json.dumps({"service": service, "at": datetime.now(UTC).isoformat(), "samples": samples}).encode()


def parse_stats_record(value: bytes) -> list[StatsRow]:
    """A stats record from the topic → `pipeline_stats` rows; ValueError if malformed, naming
    the field or sample at fault and never its value (Python's messages quote the value, and
    the record's producer is not trusted)."""
    where = "the record (JSON object expected)"
    try:
        record = json.loads(value)
        where = "at"
        at = datetime.fromisoformat(record["at"])
        where = "service"
        service = str(record["service"])
        where = "samples"
        samples = []
        for index, sample in enumerate(record["samples"]):
            where = f"samples[{index}] (metric, platform, reason, value expected)"
            metric, platform, reason, number = sample
            samples.append(StatsSample(str(metric), str(platform), str(reason), float(number)))
        return stats_rows(service, samples, at)
    except (TypeError, KeyError, ValueError) as exc:
        raise ValueError(f"malformed stats record: {where}: {type(exc).__name__}") from None


class AggregatorStats:
    """Batch size, insert latency, events stored and dead-lettered, freshness and the
    consumer group's lag."""

    def __init__(self, meter: metrics.Meter) -> None:
        self._batch_size = meter.create_histogram("skillpulse.aggregator.batch.size", unit="{record}",
                                                  description="records per consumed batch")
        self._insert = meter.create_histogram("skillpulse.aggregator.insert.duration", unit="ms",
                                              description="time to store one batch")
        self._events = meter.create_counter("skillpulse.aggregator.events", unit="{event}",
                                            description="events stored or dead-lettered")
        self._freshness = meter.create_histogram("skillpulse.freshness", unit="s",
                                                 description="received by the collector → stored (sampled per batch)")
        self._lag: float | None = None
        meter.create_observable_gauge("skillpulse.aggregator.consumer_lag", [self._observe_lag], unit="{record}",
                                      description="records on the topic not yet committed by the group")

    def _observe_lag(self, _options: metrics.CallbackOptions) -> list[metrics.Observation]:
        return [] if self._lag is None else [metrics.Observation(self._lag)]

    def batch(self, records: int, stored: Counter[str], dead: Counter[str], insert_ms: float,
              received_at: list[datetime]) -> list[StatsRow]:
        """Record one stored batch; return its `pipeline_stats` rows."""
        now = datetime.now(UTC)
        self._batch_size.record(records)
        self._insert.record(insert_ms)
        for platform, events in stored.items():
            self._events.add(events, {"outcome": "stored", "platform": platform})
        for reason, events in dead.items():
            self._events.add(events, {"outcome": "dead_lettered", "reason": reason})
        step = max(1, -(-len(received_at) // FRESHNESS_SAMPLE))  # ceil: at most FRESHNESS_SAMPLE points
        for received in received_at[::step]:
            self._freshness.record((now - received).total_seconds(), {"from": "received"})
        samples = [StatsSample("batch_rows", "", "", records), StatsSample("insert_ms", "", "", insert_ms)]
        samples += [StatsSample("stored", platform, "", events) for platform, events in stored.items()]
        samples += [StatsSample("dead_lettered", "", reason, events) for reason, events in dead.items()]
        return stats_rows("aggregator", samples, now)

    def consumer_lag(self, lag: int) -> list[StatsRow]:
        self._lag = float(lag)
        return stats_rows("aggregator", [StatsSample("consumer_lag", "", "", lag)])
