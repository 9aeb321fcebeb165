"""Pipeline health, for SREs: throughput and refusals, freshness, the aggregator's batches
and the consumer group's lag, from `pipeline_stats` and `events` (SQL: health/queries.py)."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.builders import stat, table, timeseries

from skillpulse.dashboards import sql
from skillpulse.dashboards.clickhouse_query import DATASOURCE
from skillpulse.dashboards.panels import (
    NO_SPARKLINE,
    REFRESH,
    last_value,
    table_panel,
    target,
    thresholds,
    time_series,
    to_json,
)

UID = "skillpulse-pipeline-health"
TITLE = "Skilltech Pulse: pipeline health"
_PER_SECOND = "suffix: events/s"


def _series(title: str, raw_sql: str, unit: str, description: str, span: int = 12) -> timeseries.Panel:
    return time_series(title, description, span, height=8).with_target(target(raw_sql, "timeseries")).unit(unit)


def _table(title: str, raw_sql: str, description: str) -> table.Panel:
    return table_panel(title, description, span=12, height=8).with_target(target(raw_sql))


def pipeline_health() -> dict[str, Any]:
    lag_now = (stat.Panel().title("Consumer lag, latest sample").span(4).height(8).datasource(DATASOURCE)
               .description("Records on the events topic not yet committed by the aggregators' group.")
               .with_target(target(sql.CONSUMER_LAG_NOW)).unit("short").reduce_options(last_value())
               .graph_mode(NO_SPARKLINE).thresholds(thresholds((None, "green"), (10_000, "orange"), (100_000, "red"))))
    dashboard = (
        dashboard_builders.Dashboard(TITLE).uid(UID).tags(["skillpulse", "sre"]).refresh(REFRESH)
        .time("now-1h", "now").timezone("browser").editable()
        .description("Collector → Kafka → aggregator → ClickHouse, as the services record it in pipeline_stats "
                     "(schemas/clickhouse/0007_pipeline_stats.sql), and freshness from the events' timestamps.")
        .with_row(dashboard_builders.Row("Throughput"))
        .with_panel(_series("Events accepted per second, by platform", sql.ACCEPTED_RATE, _PER_SECOND,
                            "Events the collector answered 2xx for (the broker acknowledged them)."))
        .with_panel(_series("Events rejected, refused, dead-lettered per second", sql.REJECTED_RATE, _PER_SECOND,
                            "Per outcome, platform and reason: 422 rejections, 503 refusals (overloaded, broker "
                            "unavailable) and records the aggregator dead-lettered."))
        .with_panel(_table("Events per second over the range", sql.EVENT_RATES,
                           "Average rate per service and outcome over the whole range."))
        .with_panel(_table("Rejections by platform and reason", sql.REJECTIONS,
                           "Counts over the range, most frequent first."))
        .with_row(dashboard_builders.Row("Freshness"))
        .with_panel(_series("Freshness p50 / p99", sql.FRESHNESS, "s",
                            "Seconds from received (collector) and from occurred (platform) to stored, for the "
                            "events stored in each interval. Occurred → stored includes how late platforms send.",
                            span=24))
        .with_row(dashboard_builders.Row("Aggregator and Kafka"))
        .with_panel(_series("Batch sizes", sql.BATCH_SIZES, "short",
                            "Batches stored per interval, and their records (average, largest).", span=7))
        .with_panel(_series("Insert latency p50 / p99", sql.INSERT_LATENCY, "ms",
                            "Milliseconds to store one batch.", span=7))
        .with_panel(_series("Kafka consumer lag", sql.CONSUMER_LAG, "short",
                            "Highest lag sample per interval.", span=6))
        .with_panel(lag_now))
    return to_json(dashboard)
