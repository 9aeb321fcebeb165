"""Outages in one process (the embedded store opens in one process only): the store
failing for a while, the broker frozen, and a second consumer leaving and rejoining."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest

import skillpulse.aggregator.service as aggregator_service
from skillpulse.aggregator import create_aggregator
from skillpulse.app import Stack
from skillpulse.config import KafkaSettings, Settings
from skillpulse.credentials import ensure_api_keys
from skillpulse.kafka import EmbeddedKafka, wait_until_drained
from skillpulse.store import open_store
from tests.factories import platform_event

pytestmark = pytest.mark.integration

FULL = os.environ.get("SKILLPULSE_FAULTS_FULL") == "1"


async def _post(url: str, key: str, count: int, acknowledged: set[str]) -> int:
    events = [platform_event(user_id=f"user-{i % 97}") for i in range(count)]
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        response = await client.post("/v1/events", json=events, headers={"Authorization": f"Bearer {key}"})
    if response.status_code == 202:
        acknowledged.update(r["event_id"] for r in response.json()["results"] if r["status"] == "accepted")
    return response.status_code


def _stored(stack: Stack) -> dict[str, int]:
    assert stack.store is not None
    return dict(stack.store.query("SELECT toString(event_id), count() FROM events GROUP BY event_id").result_rows)


async def _drained(stack: Stack, settings: Settings) -> None:
    await wait_until_drained(stack.bootstrap, settings.kafka.topic, settings.aggregator.group_id, 300)


def _assert_once_each(stored: dict[str, int], acknowledged: set[str]) -> None:
    assert acknowledged - stored.keys() == set(), "lost"
    assert [event_id for event_id, count in stored.items() if count > 1] == [], "duplicated"


async def test_store_unreachable_for_a_while_then_back(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = aggregator_service.write_batch
    failing = {"on": True, "failures": 0}

    def flaky_write(*args, **kwargs):
        if failing["on"]:
            failing["failures"] += 1
            raise ConnectionError("ClickHouse unreachable (injected)")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(aggregator_service, "write_batch", flaky_write)
    key, acknowledged = ensure_api_keys(settings)["skilltech.tools"], set()
    async with Stack(settings) as stack:
        for _ in range(5):
            assert await _post(stack.url, key, 200, acknowledged) == 202  # Kafka holds them meanwhile
            await asyncio.sleep((60 if FULL else 3) / 5)
        assert failing["failures"] >= 2 and _stored(stack) == {}
        failing["on"] = False
        await _drained(stack, settings)
        _assert_once_each(_stored(stack), acknowledged)


async def test_frozen_broker_gives_503_never_a_false_202(settings: Settings, tmp_path: Path) -> None:
    broker = EmbeddedKafka(tmp_path / "own-broker")
    settings = settings.model_copy(update={"kafka": KafkaSettings(
        bootstrap=broker.start(), topic=settings.kafka.topic, dlq_topic=settings.kafka.dlq_topic, partitions=3)})
    key, acknowledged = ensure_api_keys(settings)["skilltech.tools"], set()
    try:
        async with Stack(settings) as stack:
            assert await _post(stack.url, key, 100, acknowledged) == 202
            assert broker.pid is not None
            os.kill(broker.pid, signal.SIGSTOP)
            try:
                frozen = await _post(stack.url, key, 100, acknowledged)
                await asyncio.sleep(30 if FULL else 2)
            finally:
                os.kill(broker.pid, signal.SIGCONT)
            assert frozen == 503
            assert await _post(stack.url, key, 100, acknowledged) == 202
            await _drained(stack, settings)
            _assert_once_each(_stored(stack), acknowledged)
            assert len(acknowledged) == 200
    finally:
        broker.stop()


async def test_second_consumer_leaves_and_rejoins_mid_stream(settings: Settings) -> None:
    key, acknowledged = ensure_api_keys(settings)["skilltech.tools"], set()
    async with Stack(settings) as stack:
        second_store = open_store(settings)
        try:
            second = create_aggregator(settings, second_store, stack.bootstrap)
            await second.start()
            for round_ in range(6):
                assert await _post(stack.url, key, 300, acknowledged) == 202
                if round_ == 2:
                    await second.stop()  # leaves the group: its partitions move to the first
                if round_ == 4:
                    second = create_aggregator(settings, second_store, stack.bootstrap)
                    await second.start()  # and back: partitions are shared again
            await _drained(stack, settings)
            await second.stop()
        finally:
            second_store.close()
        _assert_once_each(_stored(stack), acknowledged)
