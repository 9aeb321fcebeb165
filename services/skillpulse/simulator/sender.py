"""Send events to a collector over HTTP, as a platform would: batched, a few requests
in flight, retried with the same event ids when the collector says 503."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class SendReport:
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    accepted_ids: set[str] = field(default_factory=set)
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def events_per_s(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


async def post_batch(client: httpx.AsyncClient, key: str, batch: list[dict[str, Any]], report: SendReport) -> None:
    """POST one batch; on 503 or a broken connection, resend it (same event ids) with backoff."""
    for attempt in range(8):
        try:
            response = await client.post("/v1/events", json=batch, headers={"Authorization": f"Bearer {key}"})
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code != 503:
            break
        report.retries += 1
        await asyncio.sleep(min(0.2 * 2**attempt, 5.0))
    else:
        raise RuntimeError("collector kept answering 503 / unreachable; events not sent")
    report.requests += 1
    if response.status_code not in (202, 422):
        raise RuntimeError(f"collector answered {response.status_code}: {response.text[:300]}")
    body = response.json()
    report.accepted += body["accepted"]
    report.rejected += body["rejected"]
    for result in body["results"]:
        if result["status"] == "accepted":
            report.accepted_ids.add(result["event_id"])
        else:
            report.reasons.update(error["reason"] for error in result["errors"])


async def send_events(
    base_url: str, keys: dict[str, str], events: Iterable[tuple[str, dict[str, Any]]], *,
    batch_size: int = 500, concurrency: int = 4,
) -> SendReport:
    """POST (platform, event) pairs with each platform's key; return what was accepted."""
    report = SendReport()
    started = time.perf_counter()
    slots = asyncio.Semaphore(concurrency)
    tasks: list[asyncio.Task[None]] = []

    async def flush(platform: str, batch: list[dict[str, Any]]) -> None:
        try:
            await post_batch(client, keys[platform], batch, report)
        finally:
            slots.release()

    async def submit(platform: str, batch: list[dict[str, Any]]) -> None:
        await slots.acquire()  # at most `concurrency` requests in flight: back-pressure
        tasks.append(asyncio.create_task(flush(platform, batch)))

    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as client:
        batches: dict[str, list[dict[str, Any]]] = {}
        for platform, event in events:
            batch = batches.setdefault(platform, [])
            batch.append(event)
            report.sent += 1
            if len(batch) >= batch_size:
                await submit(platform, batches.pop(platform))
        for platform, batch in batches.items():
            await submit(platform, batch)
        await asyncio.gather(*tasks)
    report.seconds = time.perf_counter() - started
    return report
