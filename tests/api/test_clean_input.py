"""The probes of issue #13 (clean input) through `POST /v1/events`, served in-process on
TestKafkaBroker: each hostile event is refused with its reason, the valid ones are published."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from skillpulse.api.events import create_collector_router
from skillpulse.config import CollectorSettings
from skillpulse.health.stats import CollectorStats
from tests.api.routes import platform_keyring, served
from tests.factories import platform_event

KEY = "sp_tools_clean-input"
AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}


@pytest.fixture
async def client(stats: CollectorStats, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, list[bytes]]]:
    settings = CollectorSettings()  # the default limits: a 1 MiB body, 1000 events
    keys = platform_keyring(tmp_path / "access-keys.json", {KEY: "skilltech.tools"})
    async with served(lambda intake: create_collector_router(settings, keys, intake), settings, stats) as harness:
        yield harness


async def test_hostile_events_are_refused_with_their_reason_and_the_valid_ones_published(client) -> None:
    http, published = client
    events = [
        platform_event("tool_use", tool_id=" canva "),  # accepted as "canva"
        platform_event("tool_use", tool_id="c\u0430nva\u200b"),
        platform_event(organisation_id="school\x00\x07\u202e"),
        platform_event("tool_use", duration_s=1e308),
        platform_event(occurred_at="2150-01-01T00:00:00Z"),
    ]
    body = json.dumps(events).encode()[:-1] + b', ' + json.dumps(platform_event())[:-1].encode() + \
        b', "user_id": "other"}]'  # a duplicate key
    response = await http.post("/v1/events", content=body, headers=AUTH)
    assert response.status_code == 202
    results = response.json()["results"]
    assert [result["status"] for result in results] == ["accepted"] + ["rejected"] * 5
    assert [result["errors"][0]["reason"] for result in results[1:]] == [
        "invisible_character", "control_character", "less_than_equal", "date_out_of_range", "duplicate_key"]
    [record] = [json.loads(value) for value in published]
    assert record["tool_id"] == "canva"
    assert "school" not in response.text and "other" not in response.text  # no value echoed


# Until api/problems.unreadable answers `exc.status`/`exc.reason` (NoEvents: 422 no_events),
# `[]` is a 400 invalid_json; strict, so the line's landing fails this marker and it goes.
async def test_an_empty_array_is_422(client) -> None:
    http, published = client
    empty = await http.post("/v1/events", content=b"[]", headers=AUTH)
    assert (empty.status_code, empty.json()["error"]) == (422, "no_events")
    assert published == []


async def test_nan_or_utf16_is_400(client) -> None:
    http, published = client
    nan = await http.post("/v1/events", content=b'{"duration_s": NaN}', headers=AUTH)
    utf16 = await http.post("/v1/events", content=json.dumps(platform_event()).encode("utf-16"), headers=AUTH)
    assert (nan.status_code, utf16.status_code) == (400, 400)
    assert published == []


async def test_an_event_of_78000_unknown_keys_is_refused_at_once_with_a_small_answer(client) -> None:
    http, published = client
    probe = platform_event() | {f"k{i:05d}": 1 for i in range(78_000)}
    body = json.dumps(probe, separators=(",", ":")).encode()
    assert 800_000 < len(body) <= 1024 * 1024
    response = await http.post("/v1/events", content=body, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["results"][0]["errors"] == [
        {"reason": "too_many_fields", "path": "", "message": "an event has at most 64 fields"}]
    assert len(response.content) < 1000 and published == []


async def test_lone_surrogates_anywhere_give_a_4xx_never_a_500(client) -> None:
    http, published = client
    event = json.dumps(platform_event())[:-1].encode()
    for body in (event + b', "\\udc00": 1}', event.replace(b'"user_id": "', b'"user_id": "\\ud800', 1) + b"}",
                 event.replace(b'"type": "login"', b'"type": "\\udfff"', 1) + b"}"):
        response = await http.post("/v1/events", content=body, headers=AUTH)
        assert response.status_code == 422, body
        assert response.json()["rejected"] == 1
    assert published == []
