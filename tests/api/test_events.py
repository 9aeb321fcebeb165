"""The collector's HTTP handler against FastStream's TestKafkaBroker (no real broker)."""

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from skillpulse.access import Access
from skillpulse.api.events import create_collector_router
from skillpulse.config import CollectorSettings
from skillpulse.health.stats import CollectorStats
from tests.api.routes import platform_keyring, served
from tests.factories import platform_event

KEY = "sp_tools_test-key"


@pytest.fixture
async def harness(stats: CollectorStats, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, list[bytes]]]:
    settings = CollectorSettings(max_body_bytes=64 * 1024, max_events=50)
    keys = platform_keyring(tmp_path / "access-keys.json", {KEY: "skilltech.tools"})
    async with served(lambda intake: create_collector_router(settings, keys, intake), settings, stats) as harness:
        yield harness


AUTH = {"Authorization": f"Bearer {KEY}"}


async def test_accepts_and_publishes_pseudonymous_records(harness) -> None:
    client, published = harness
    events = [platform_event(user_id="alice@school.lu"), platform_event("tool_use", user_id="alice@school.lu")]
    response = await client.post("/v1/events", json=events, headers=AUTH)
    assert response.status_code == 202
    assert response.json()["accepted"] == 2
    assert [r["status"] for r in response.json()["results"]] == ["accepted", "accepted"]
    assert len(published) == 2
    records = [json.loads(body) for body in published]
    assert all("alice" not in body.decode() for body in published)
    assert {r["platform"] for r in records} == {"skilltech.tools"}
    assert records[0]["user_key"] == records[1]["user_key"]


async def test_platform_in_body_is_refused_not_trusted(harness) -> None:
    client, published = harness
    response = await client.post("/v1/events", json=platform_event(platform="skilltech.cafe"), headers=AUTH)
    assert response.status_code == 422
    assert response.json()["results"][0]["errors"][0]["path"] == "platform"
    assert published == []


async def test_mixed_batch_publishes_only_the_valid(harness) -> None:
    client, published = harness
    response = await client.post("/v1/events", json=[platform_event(), {"type": "login"}], headers=AUTH)
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert body["results"][1]["status"] == "rejected" and len(published) == 1


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"}])
async def test_bad_key_is_401_and_publishes_nothing(harness, headers: dict) -> None:
    client, published = harness
    response = await client.post("/v1/events", json=platform_event(), headers=headers)
    assert response.status_code == 401 and published == []


@pytest.mark.parametrize("access", [Access.VIEWER, Access.OPERATOR])
async def test_a_reading_token_cannot_send_events(access: Access, stats: CollectorStats, tmp_path: Path) -> None:
    settings = CollectorSettings()
    ring = platform_keyring(tmp_path / "access-keys.json", {KEY: "skilltech.tools"})
    token = ring.create(access).token
    async with served(lambda intake: create_collector_router(settings, ring, intake), settings, stats) as (client,
                                                                                                         published):
        response = await client.post("/v1/events", json=platform_event(), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.json()["error"] == "forbidden" and published == []
    assert stats.drain() == [("rejected_requests", "", "not_a_platform_key", 1)]


async def test_oversized_body_and_batch_are_413(harness) -> None:
    client, published = harness
    big = await client.post("/v1/events", content=b"[" + b" " * 70_000 + b"]", headers=AUTH)
    many = await client.post("/v1/events", json=[platform_event() for _ in range(51)], headers=AUTH)
    assert (big.status_code, many.status_code) == (413, 413)
    assert many.json()["error"] == "too_many_events" and published == []


async def test_malformed_json_is_400(harness) -> None:
    client, _ = harness
    response = await client.post("/v1/events", content=b"{oops", headers=AUTH)
    assert response.status_code == 400 and response.json()["error"] == "invalid_json"


async def test_ready_when_the_broker_answers(harness) -> None:
    client, _ = harness
    response = await client.get("/readyz")
    assert response.status_code == 200 and response.json() == {"status": "ready"}


async def test_overload_is_503_with_retry_after_and_publishes_nothing(stats: CollectorStats, tmp_path: Path) -> None:
    settings = CollectorSettings(max_in_flight_events=2)
    keys = platform_keyring(tmp_path / "access-keys.json", {KEY: "skilltech.tools"})
    async with served(lambda intake: create_collector_router(settings, keys, intake), settings, stats) as (client, _):
        response = await client.post("/v1/events", json=[platform_event() for _ in range(3)], headers=AUTH)
        small = await client.post("/v1/events", json=[platform_event() for _ in range(2)], headers=AUTH)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert small.status_code == 202
    assert sorted(stats.drain()) == [("accepted", "skilltech.tools", "", 2),
                                     ("refused", "skilltech.tools", "overloaded", 3)]


async def test_rejections_are_counted_per_platform_and_reason(harness, stats: CollectorStats) -> None:
    client, _ = harness
    await client.post("/v1/events", json=[platform_event(), {"type": "login"}, platform_event(user_id="")],
                      headers=AUTH)
    await client.post("/v1/events", content=b"{oops", headers=AUTH)
    await client.post("/v1/events", json=platform_event(), headers={"Authorization": "Bearer wrong"})
    counts = {(outcome, platform, reason): n for outcome, platform, reason, n in stats.drain()}
    assert counts == {("accepted", "skilltech.tools", ""): 1,
                      ("rejected", "skilltech.tools", "missing"): 1,
                      ("rejected", "skilltech.tools", "string_too_short"): 1,
                      ("rejected_requests", "skilltech.tools", "invalid_json"): 1,
                      ("rejected_requests", "", "invalid_api_key"): 1}
    assert stats.drain() == []  # drained: the next second starts from zero


async def test_a_body_nested_too_deeply_is_400_not_500(harness) -> None:
    client, published = harness
    headers = AUTH | {"Content-Type": "application/json"}
    response = await client.post("/v1/events", content=b"[" * 50_000, headers=headers)
    assert response.status_code == 400 and response.json()["error"] == "invalid_json"
    assert published == []
