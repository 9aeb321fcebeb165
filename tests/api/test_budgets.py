"""Request budgets (#13): KPI bounds, ClickHouse limits on the API's reads, the cap on
reads at once, the body read timeout, JSON-only bodies and each platform's ingest rate,
on the real store and a real uvicorn-served stack."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from clickhouse_connect.driver.client import Client
from fastapi import FastAPI, HTTPException

from skillpulse.api.fastapi_errors import answer_in_problem_shape
from skillpulse.api.health import create_health_router
from skillpulse.api.kpi import create_kpi_router
from skillpulse.api.store_reads import StoreReads
from skillpulse.app import Stack
from skillpulse.collector.rate_limit import PlatformRates
from skillpulse.config import QuerySettings, Settings
from skillpulse.credentials import ensure_api_keys
from skillpulse.kafka import end_offsets
from skillpulse.store.client import limit_reads
from tests.factories import platform_event

WORST = {"from": "2016-12-06", "to": "2026-12-01", "window_days": "3660", "min_logins": "10000"}


async def _client(*routers: object) -> httpx.AsyncClient:
    app = FastAPI()
    answer_in_problem_shape(app)  # as the stack's app does
    for router in routers:
        app.include_router(router)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_the_worst_kpi_request_is_refused_with_a_bound_and_no_echo(store: Client) -> None:
    async with await _client(create_kpi_router(store)) as http:
        worst = await http.get("/v1/kpi/active-users", params=WORST)
        threshold = await http.get("/v1/kpi/active-users", params=WORST | {"window_days": "60", "min_logins": "601"})
        unknown = await http.get("/v1/kpi/marker-xyzzy", params=WORST)
        years = await http.get("/v1/kpi/active-users", params={"from": "2000-01-01", "to": "2026-01-01"})
        as_of = await http.get("/v1/kpi/summary", params={"as_of": "0001-01-01"})
        allowed = await http.get("/v1/kpi/active-users", params=WORST | {"window_days": "366", "min_logins": "3660"})
    assert (worst.status_code, threshold.status_code, years.status_code, as_of.status_code) == (422, 422, 422, 422)
    assert "less than or equal to 366\"" in worst.text and "10000" not in worst.text  # the bound, not the input
    assert "at most 10 × window_days" in threshold.text
    assert unknown.status_code == 404 and "xyzzy" not in unknown.text
    assert allowed.status_code == 200 and len(allowed.json()) == 3648  # every day of the range


async def test_a_kpi_read_past_its_time_budget_is_503_not_500(store: Client) -> None:
    limit_reads(store, QuerySettings(max_execution_time_s=0.001))
    heavy = "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 3"
    reads = StoreReads()
    started = time.monotonic()
    with pytest.raises(HTTPException) as stopped:
        await reads.run(store.query, heavy)
    assert stopped.value.status_code == 503 and time.monotonic() - started < 2
    assert stopped.value.detail["error"] == "query_over_budget" and stopped.value.headers == {"Retry-After": "5"}
    assert reads.in_use == 0
    async with await _client(create_kpi_router(store, reads)) as http:  # the route answers it as JSON
        answer = await http.get("/v1/kpi/active-users", params={"from": "2016-12-06", "to": "2026-12-01",
                                                                "window_days": "366", "organisation": "o"})
    assert answer.status_code in (200, 503)  # a small store may answer within a millisecond
    if answer.status_code == 503:
        assert answer.json()["error"] == "query_over_budget"


async def test_a_read_past_its_memory_budget_is_503(store: Client) -> None:
    limit_reads(store, QuerySettings(max_memory_bytes=16 * 1024 * 1024))
    greedy = "SELECT count() FROM (SELECT number % 10000000 AS k, groupArray(number) FROM numbers(50000000) GROUP BY k)"
    with pytest.raises(HTTPException) as stopped:
        await StoreReads().run(store.query, greedy)
    assert stopped.value.status_code == 503


async def test_reads_past_the_cap_are_429_at_once_and_free_again_after(store: Client) -> None:
    reads = StoreReads(QuerySettings(max_concurrent_reads=2))
    release = threading.Event()

    def held() -> None:
        release.wait(10)

    holders = [asyncio.create_task(reads.run(held)) for _ in range(2)]
    await asyncio.sleep(0.1)
    async with await _client(create_health_router(store, reads)) as http:
        started = time.monotonic()
        refused = await http.get("/v1/health/pipeline")
        assert time.monotonic() - started < 0.5  # refused, not queued
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        assert refused.json()["error"] == "too_many_reads"
        release.set()
        await asyncio.gather(*holders)
        assert (await http.get("/v1/health/pipeline")).status_code == 200


def test_a_platform_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    rates = PlatformRates(events_per_s=100, burst=1000, clock=lambda: now[0])
    assert rates.take("a", 1000) is None
    assert rates.take("a", 50) == pytest.approx(0.5)
    assert rates.take("b", 1000) is None  # another platform has its own bucket
    now[0] = 0.5
    assert rates.take("a", 50) is None
    assert PlatformRates.retry_after_s(0.01) == 1 and PlatformRates.retry_after_s(2.2) == 3


@pytest.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    collector = settings.collector.model_copy(update={"body_read_timeout_s": 3.0, "rate_limit_events_per_s": 1.0,
                                                      "rate_limit_burst": 1000})
    async with Stack(settings.model_copy(update={"collector": collector})) as running:
        yield running


async def _trickle(url: str, key: str, seconds_per_byte: float) -> tuple[bytes, float]:
    """A POST whose declared 200-byte body comes one byte every `seconds_per_byte`: the answer, its delay."""
    address = urlsplit(url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    writer.write(f"POST /v1/events HTTP/1.1\r\nHost: {address.hostname}\r\nAuthorization: Bearer {key}\r\n"
                 "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n".encode())
    started = time.monotonic()

    async def drip() -> None:
        with pytest.raises((ConnectionError, OSError)):
            for _ in range(200):
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(seconds_per_byte)

    dripping = asyncio.create_task(drip())
    answer = await asyncio.wait_for(reader.read(4096), timeout=30)
    delay = time.monotonic() - started
    dripping.cancel()
    writer.close()
    return answer, delay


@pytest.mark.integration
async def test_a_stack_refuses_a_trickle_a_non_json_body_and_a_platform_past_its_rate(
        stack: Stack, settings: Settings) -> None:
    keys = ensure_api_keys(settings)
    tools, tube = keys["skilltech.tools"], keys["skilltech.tube"]
    answer, delay = await _trickle(stack.url, tools, seconds_per_byte=2.0)
    assert answer.startswith(b"HTTP/1.1 408") and b"body_read_timeout" in answer
    assert 3.0 <= delay < 5.0

    auth = {"Authorization": f"Bearer {tools}"}
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        text = await http.post("/v1/events", content=b"user_id=x", headers=auth | {"Content-Type": "text/plain"})
        form = await http.post("/v1/events", content=b"{}", headers=auth | {
            "Content-Type": "application/x-www-form-urlencoded"})
        utf16 = await http.post("/v1/events", content='{"type": "login"}'.encode("utf-16"),
                                headers=auth | {"Content-Type": "application/json; charset=utf-16"})
        assert [r.status_code for r in (text, form, utf16)] == [415] * 3
        assert text.json()["error"] == "unsupported_media_type" and "user_id" not in text.text

        full = await http.post("/v1/events", json=[platform_event() for _ in range(1000)], headers=auth)
        assert full.status_code == 202 and full.json()["accepted"] == 1000  # the burst
        after_burst = await end_offsets(stack.bootstrap, settings.kafka.topic)
        limited = await http.post("/v1/events", json=[platform_event() for _ in range(10)], headers=auth)
        assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 11
        assert await end_offsets(stack.bootstrap, settings.kafka.topic) == after_burst  # nothing of it published
        other = await http.post("/v1/events", json=platform_event(),
                                headers={"Authorization": f"Bearer {tube}"})  # its own bucket
        assert other.status_code == 202
        assert (await http.get("/healthz")).status_code == 200
