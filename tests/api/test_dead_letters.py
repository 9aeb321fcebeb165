"""`/v1/dead-letters` against the real embedded store and FastStream's TestKafkaBroker."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

import httpx
from clickhouse_connect.driver.client import Client
from fastapi import FastAPI

from skillpulse.api.dead_letters import create_dead_letter_router
from skillpulse.api.fastapi_errors import answer_in_problem_shape
from skillpulse.api.store_reads import StoreReads
from skillpulse.config import QuerySettings
from skillpulse.dead_letters import list_dead_letters
from tests.test_dead_letters import EVENTS_TOPIC, SIGNER, events_topic, store_dead_letters


async def test_lists_and_replays_dead_letters(store: Client) -> None:
    store_dead_letters(store)
    expected = list_dead_letters(store, reason="invalid_json")
    async with events_topic() as (broker, published):
        app = FastAPI()
        app.include_router(create_dead_letter_router(store, broker, EVENTS_TOPIC, SIGNER))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            listed = await client.get("/v1/dead-letters", params={"reason": "invalid_json"})
            replay = await client.post("/v1/dead-letters/replay", json={"reason": "invalid_json"})
            after = await client.get("/v1/dead-letters")
    assert [(letter["reason"], letter["replayed"]) for letter in expected] == [("invalid_json", 0)]
    assert listed.status_code == 200 and listed.json() == expected
    # Not JSON: no complete event can be rebuilt from what the letter keeps, so it is skipped
    # and stays pending (letters hold no raw record to send back).
    assert replay.json() == {"replayed": 0, "skipped": 1} and published == []
    assert sorted((letter["reason"], letter["replayed"]) for letter in after.json()) == [
        ("extra_forbidden", 0), ("invalid_json", 0)]


async def test_limit_is_bounded(store: Client) -> None:
    """`limit=-1` was a 500: a bound outside 1..1000 is 422 now."""
    async with events_topic() as (broker, _):
        app = FastAPI()
        app.include_router(create_dead_letter_router(store, broker, EVENTS_TOPIC, SIGNER))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            answers = {limit: (await client.get("/v1/dead-letters", params={"limit": limit})).status_code
                       for limit in (-1, 0, 1, 1000, 1001, 10**12)}
    assert answers == {-1: 422, 0: 422, 1: 200, 1000: 200, 1001: 422, 10**12: 422}


class CappedRoutes(NamedTuple):
    client: httpx.AsyncClient
    reads: StoreReads
    published: list[Any]
    release: Callable[[], Awaitable[None]]  # frees the one read slot a holder keeps


@asynccontextmanager
async def capped_routes(store: Client) -> AsyncIterator[CappedRoutes]:
    """The dead-letter routes with a read cap of one, held by a read until `release`."""
    reads = StoreReads(QuerySettings(max_concurrent_reads=1))
    held = threading.Event()
    holder = asyncio.create_task(reads.run(held.wait, 10))
    await asyncio.sleep(0.1)

    async def release() -> None:
        held.set()
        await holder

    async with events_topic() as (broker, published):
        app = FastAPI()
        answer_in_problem_shape(app)  # as the stack's app does
        app.include_router(create_dead_letter_router(store, broker, EVENTS_TOPIC, SIGNER, reads))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            yield CappedRoutes(client, reads, published, release)


async def test_the_listing_is_under_the_store_read_cap(store: Client) -> None:
    """The listing waits on the reader handle like a KPI read: past the cap it is 429 at once."""
    async with capped_routes(store) as routes:
        refused = await routes.client.get("/v1/dead-letters")
        await routes.release()
        listed = await routes.client.get("/v1/dead-letters")
    assert refused.status_code == 429 and refused.json()["error"] == "too_many_reads"
    assert listed.status_code == 200 and routes.reads.in_use == 0


async def test_a_replay_is_under_the_read_cap_and_a_store_error_is_a_503(store: Client) -> None:
    """The replay's store read runs in a thread under the cap (429 when it is full); a store
    that fails it answers a problem-shaped 503 with Retry-After, not a 500."""
    store_dead_letters(store)
    async with capped_routes(store) as routes:
        capped = await routes.client.post("/v1/dead-letters/replay", json={})
        await routes.release()
        store.command("RENAME TABLE dead_letter_replays TO dead_letter_replays_gone")
        failed = await routes.client.post("/v1/dead-letters/replay", json={})
    assert capped.status_code == 429 and capped.json()["error"] == "too_many_reads"
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "5"
    assert failed.json() == {"error": "store_unavailable",
                             "message": "the store could not be read or written; retry later"}
    assert routes.published == [] and routes.reads.in_use == 0
