"""The services' own figures: the stats topic's JSON stays what collectors already send,
and every sample becomes a `pipeline_stats` row with its columns named."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.health.stats import (
    STATS_COLUMNS,
    AggregatorStats,
    CollectorStats,
    StatsRow,
    StatsSample,
    parse_stats_record,
    stats_record,
    store_stats,
)
from skillpulse.telemetry import DISABLED

# A record as collectors have published it to the stats topic from the start.
PUBLISHED = (b'{"service": "collector", "at": "2026-03-01T10:00:00.250000+00:00", "samples": '
             b'[["accepted", "skilltech.tools", "", 2], ["refused", "skilltech.tools", "overloaded", 3]]}')
AT = datetime(2026, 3, 1, 10, 0, 0, 250_000, tzinfo=UTC)


def test_a_published_stats_record_becomes_named_rows() -> None:
    assert parse_stats_record(PUBLISHED) == [
        StatsRow(at=AT, service="collector", metric="accepted", platform="skilltech.tools", reason="", value=2.0),
        StatsRow(at=AT, service="collector", metric="refused", platform="skilltech.tools", reason="overloaded",
                 value=3.0)]
    assert STATS_COLUMNS == ("at", "service", "metric", "platform", "reason", "value")  # the table's columns


@pytest.mark.parametrize("value", [b"not json", b'{"service": "collector", "samples": []}',
                                   b'{"service": "c", "at": "2026-03-01T10:00:00+00:00", "samples": [["a", "p"]]}'])
def test_a_malformed_stats_record_is_a_value_error(value: bytes) -> None:
    with pytest.raises(ValueError, match="malformed stats record"):
        parse_stats_record(value)


@pytest.mark.parametrize(("value", "where"), [
    (b"\xffsecret", "the record"), (b'["secret"]', "at"),
    (b'{"service": "c", "at": "secret-day", "samples": []}', "at"),
    (b'{"service": "c", "at": "2026-03-01T10:00:00+00:00", "samples": [["a", "p", "r", 1], ["secret", "p", "r"]]}',
     "samples[1]"),
    (b'{"service": "c", "at": "2026-03-01T10:00:00+00:00", "samples": [["a", "p", "r", "secret"]]}', "samples[0]"),
])
def test_a_malformed_stats_record_names_the_field_not_its_value(value: bytes, where: str) -> None:
    with pytest.raises(ValueError, match="malformed stats record") as refused:
        parse_stats_record(value)
    assert where in str(refused.value) and "secret" not in str(refused.value)


def test_the_collectors_counts_go_out_as_before_and_come_back_when_unpublished() -> None:
    stats = CollectorStats(DISABLED.meter)
    stats.count("accepted", "skilltech.tools", events=2)
    stats.count("refused", "skilltech.tools", "overloaded", 3)
    samples = stats.drain()
    refused = StatsSample("refused", "skilltech.tools", "overloaded", 3)
    assert samples == [StatsSample("accepted", "skilltech.tools", "", 2), refused]
    record = json.loads(stats_record("collector", samples))
    assert record["samples"] == json.loads(PUBLISHED)["samples"]  # the wire format is unchanged
    assert parse_stats_record(stats_record("collector", samples))[0].value == 2.0
    assert stats.drain() == []
    stats.restore(samples)  # not published: they go out with the next second's counts
    stats.count("accepted", "skilltech.tools")
    assert stats.drain() == [StatsSample("accepted", "skilltech.tools", "", 3), refused]


def test_a_batch_is_recorded_as_named_rows_and_stored(store: Client) -> None:
    stats = AggregatorStats(DISABLED.meter)
    rows = stats.batch(5, Counter({"skilltech.tools": 4}), Counter({"invalid_json": 1}), 12.5, [])
    assert {row.service for row in rows} == {"aggregator"} and len({row.at for row in rows}) == 1
    assert [(row.metric, row.platform, row.reason, row.value) for row in rows] == [
        ("batch_rows", "", "", 5.0), ("insert_ms", "", "", 12.5), ("stored", "skilltech.tools", "", 4.0),
        ("dead_lettered", "", "invalid_json", 1.0)]
    lag = stats.consumer_lag(7)
    assert [(row.metric, row.value) for row in lag] == [("consumer_lag", 7.0)]
    store_stats(store, rows + lag)
    stored = store.query("SELECT metric, platform, reason, value FROM pipeline_stats ORDER BY metric").result_rows
    assert [tuple(row) for row in stored] == [("batch_rows", "", "", 5.0), ("consumer_lag", "", "", 7.0),
                                              ("dead_lettered", "", "invalid_json", 1.0),
                                              ("insert_ms", "", "", 12.5), ("stored", "skilltech.tools", "", 4.0)]
