"""Storing a batch in the aggregator: housekeeping never fails (nor replays) a batch."""

from __future__ import annotations

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.aggregator import build_batch, service
from skillpulse.aggregator.replays import ReplayGuard
from skillpulse.config import AggregatorSettings
from skillpulse.health.stats import AggregatorStats
from skillpulse.telemetry import DISABLED
from tests.factories import FakeRecord, login


def test_a_failed_memory_release_leaves_the_batch_stored(store: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_store: object) -> bool:
        raise RuntimeError("SYSTEM JEMALLOC PURGE refused")

    monkeypatch.setattr(service, "release_freed_memory", refuse)
    batch = build_batch([FakeRecord(login(f"user-{i}", "2026-03-01T10:00:00+01:00"), i) for i in range(3)])
    # returns: the offsets commit
    service._store(store, batch, AggregatorStats(DISABLED.meter), AggregatorSettings(), ReplayGuard(), DISABLED)
    assert store.query("SELECT count() FROM events").result_rows == [(3,)]
    assert store.query("SELECT count() FROM pipeline_stats").result_rows[0][0] > 0  # the figures went in too
