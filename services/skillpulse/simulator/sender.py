"""Send events to a collector over HTTP as a platform would: through the client SDK
(`skillpulse.sdk`), one client per platform key, batched, a few requests in flight,
retried with the same event ids when the collector says "not now"."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from skillpulse.sdk import MAX_EVENTS_PER_REQUEST, AsyncSkillpulseClient, DeliveryReport, RetryPolicy

_CHUNK = 200  # events spooled per call: one transaction each


@dataclass
class SendReport(DeliveryReport):
    seconds: float = 0.0

    @property
    def events_per_s(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


async def send_events(
    base_url: str, keys: dict[str, str], events: Iterable[tuple[str, dict[str, Any]]], *,
    batch_size: int = 500, concurrency: int = 4,
) -> SendReport:
    """POST (platform, event) pairs with each platform's key; return what was accepted.
    CollectorUnavailable when the collector keeps refusing (no spool: nothing is kept)."""
    report = SendReport()
    started = time.perf_counter()
    clients: dict[str, AsyncSkillpulseClient] = {}
    # `concurrency` requests in flight in all: shared among the platforms' clients (more of
    # them only slows an in-process collector down).
    per_client = max(1, concurrency // max(1, len(keys)))
    async with contextlib.AsyncExitStack() as opened:
        pairs = iter(events)
        while chunk := list(islice(pairs, _CHUNK)):
            by_platform: dict[str, list[dict[str, Any]]] = {}
            for platform, event in chunk:
                by_platform.setdefault(platform, []).append(event)
            for platform, platform_events in by_platform.items():
                if platform not in clients:
                    clients[platform] = await opened.enter_async_context(AsyncSkillpulseClient(
                        base_url, keys[platform], batch_size=min(batch_size, MAX_EVENTS_PER_REQUEST),
                        concurrency=per_client, keep_ids=True,
                        report=report, retry=RetryPolicy(attempts=8, max_s=5.0), timeout_s=60.0))
                await clients[platform].send_many(platform_events)
        await asyncio.gather(*(client.flush() for client in clients.values()))  # together, not one by one
    report.seconds = time.perf_counter() - started
    return report
