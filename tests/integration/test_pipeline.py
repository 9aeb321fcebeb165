"""HTTP → tansu → aggregator → chdb, all real, in this process (the stack), with the
broker as a separate process."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import httpx
import pytest

from skillpulse.app import Stack
from skillpulse.config import Settings
from skillpulse.credentials import ensure_api_keys
from skillpulse.kafka import client_options, end_offsets
from skillpulse.kafka.signing import record_signer
from skillpulse.kpi import KpiParams, active_users_series
from skillpulse.stack_client import Pipeline, client_headers
from tests.factories import platform_event

pytestmark = pytest.mark.integration


async def _post(stack: Stack, events: object, key: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as client:
        return await client.post("/v1/events", json=events, headers={"Authorization": f"Bearer {key}"})


async def _wait_stored(stack: Stack, settings: Settings) -> None:
    """Everything sent is stored, and the rollups have caught up (as the CLI waits)."""
    await Pipeline(stack.url, stack.bootstrap, settings, stack).wait_until_stored(timeout_s=60)


def _stored_ids(stack: Stack) -> list[str]:
    assert stack.store is not None
    return [str(row[0]) for row in stack.store.query("SELECT event_id FROM events").result_rows]


async def test_events_travel_the_whole_path_once_each(settings: Settings) -> None:
    key = ensure_api_keys(settings)["skilltech.tools"]
    events = [platform_event(k, user_id=f"user-{i % 40}", occurred_at=f"2026-03-{1 + i % 28:02d}T10:00:00+01:00")
              for i, k in enumerate(["login", "tool_use", "training"] * 400)]
    async with Stack(settings) as stack:
        responses = await asyncio.gather(*(_post(stack, events[i:i + 300], key) for i in range(0, 1200, 300)))
        assert [r.status_code for r in responses] == [202] * 4
        resend = await _post(stack, events[:50], key)  # a client retrying: same event ids
        assert resend.json()["accepted"] == 50
        await _wait_stored(stack, settings)
        stored = _stored_ids(stack)
        assert sorted(stored) == sorted(e["event_id"] for e in events)  # all there, each once
        assert stack.store is not None
        user_ids = stack.store.query("SELECT count() FROM events WHERE user_key LIKE '%user-%'").result_rows
        assert user_ids == [(0,)]
        b2 = active_users_series(stack.store, KpiParams(start=date(2026, 3, 28), end=date(2026, 3, 28)))
        assert b2 == [{"day": "2026-03-28", "active_users": 40}]


async def test_bad_key_and_malformed_events_publish_nothing(settings: Settings) -> None:
    key = ensure_api_keys(settings)["skilltech.tools"]
    async with Stack(settings) as stack:
        before = await end_offsets(stack.bootstrap, settings.kafka.topic)
        unauthorised = await _post(stack, platform_event(), "not-a-key")
        malformed = await _post(stack, [platform_event(occurred_at="soon"), {"type": "login"}], key)
        assert unauthorised.status_code == 401
        assert malformed.status_code == 422 and malformed.json()["rejected"] == 2
        assert await end_offsets(stack.bootstrap, settings.kafka.topic) == before
        async with httpx.AsyncClient(base_url=stack.url) as client:
            assert (await client.get("/readyz")).status_code == 200  # open: no credentials


async def test_poison_record_is_dead_lettered_and_the_partition_flows(settings: Settings) -> None:
    from aiokafka import AIOKafkaProducer

    key = ensure_api_keys(settings)["skilltech.tools"]
    async with Stack(settings) as stack:
        producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, **client_options(settings.kafka))
        await producer.start()
        poison = b"\x00not json"  # signed: the subject is a record the aggregator cannot read
        await producer.send_and_wait(settings.kafka.topic, poison, partition=0,
                                     headers=record_signer(settings).kafka_headers(poison))
        await producer.stop()
        good = [platform_event() for _ in range(30)]
        assert (await _post(stack, good, key)).status_code == 202
        await _wait_stored(stack, settings)
        assert sorted(_stored_ids(stack)) == sorted(e["event_id"] for e in good)
        assert stack.store is not None
        rows = stack.store.query("SELECT reason, kafka_partition FROM rejected_events").result_rows
        assert rows == [("invalid_json", 0)]
        async with httpx.AsyncClient(base_url=stack.url, headers=client_headers(settings)) as client:
            letters = (await client.get("/v1/dead-letters")).json()
            assert [(d["reason"], d["stage"], d["replayed"]) for d in letters] == [
                ("invalid_json", "aggregator", False)]
            replayed = (await client.post("/v1/dead-letters/replay", json={"reason": ""})).json()
            await _wait_stored(stack, settings)
            letters = (await client.get("/v1/dead-letters")).json()
        # Not JSON, so no complete event can be rebuilt from the letter's safe fields: the
        # replay skips it, and it stays pending (dead letters keep no raw record).
        assert replayed == {"replayed": 0, "skipped": 1}
        assert [d["replayed"] for d in letters] == [False]


async def test_kpi_api_serves_the_same_series(settings: Settings) -> None:
    key = ensure_api_keys(settings)["skilltech.tools"]
    async with Stack(settings) as stack:
        events = [platform_event(user_id="u1", occurred_at="2026-01-01T00:30:00+01:00"),
                  platform_event(user_id="u1", occurred_at="2026-01-02T09:00:00+01:00")]
        await _post(stack, events, key)
        await _wait_stored(stack, settings)
        async with httpx.AsyncClient(base_url=stack.url, headers=client_headers(settings)) as client:
            response = await client.get("/v1/kpi/active-users", params={"from": "2026-01-01", "to": "2026-01-02"})
            bad = await client.get("/v1/kpi/active-users", params={"from": "2026-01-02", "to": "2026-01-01"})
        assert response.json() == [{"day": "2026-01-01", "active_users": 0}, {"day": "2026-01-02", "active_users": 1}]
        assert bad.status_code == 422
        assert json.dumps(bad.json())  # a readable error body
        async with httpx.AsyncClient(base_url=stack.url, headers=client_headers(settings)) as client:
            catalogue = (await client.get("/v1/kpi")).json()
            dau = await client.get("/v1/kpi/dau", params={"from": "2026-01-01", "to": "2026-01-02"})
            summary = await client.get("/v1/kpi/summary", params={"as_of": "2026-01-02"})
            unknown = await client.get("/v1/kpi/happiness", params={"from": "2026-01-01", "to": "2026-01-02"})
        assert {m["id"] for m in catalogue} >= {"B2", "MA4", "MC4", "MP2", "DAU", "WAU", "MAU"}
        assert dau.json() == [{"day": "2026-01-01", "users": 1}, {"day": "2026-01-02", "users": 1}]
        assert [r["value"] for r in summary.json()["rows"] if r["id"] == "B2"] == [1]
        assert unknown.status_code == 404
