"""Send load at a steady rate for a duration, and keep a ledger of what was acknowledged.

Open loop: a batch leaves every `batch / rate` seconds whether or not earlier ones were
answered (up to `concurrency` in flight), so a slow pipeline shows up as a lower
accepted rate and retries, not as a politely slower sender."""

from __future__ import annotations

import asyncio
import time
from itertools import islice
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from skillpulse.kafka.security import client_options
from skillpulse.kafka.signing import RecordSigner
from skillpulse.loadtest.ledger import Ledger
from skillpulse.loadtest.workload import KafkaRecords, http_events
from skillpulse.sdk import Collector, DeliveryReport, RetryPolicy, encode


async def _paced(rate: float, duration_s: float, batch: int, concurrency: int, ledger: Ledger,
                 send: Any) -> None:
    slots, tasks = asyncio.Semaphore(concurrency), []
    started = time.perf_counter()
    interval = batch / rate

    async def one(size: int) -> None:
        try:
            await send(size)
        finally:
            slots.release()
            ledger.timeline.append((time.perf_counter() - started, len(ledger.acknowledged)))

    tick = 0
    while (elapsed := time.perf_counter() - started) < duration_s:
        await asyncio.sleep(max(0.0, tick * interval - elapsed))
        await slots.acquire()
        tasks.append(asyncio.create_task(one(batch)))
        tick += 1
    await asyncio.gather(*tasks)
    ledger.seconds = time.perf_counter() - started


async def drive_http(url: str, keys: dict[str, str], rate: float, duration_s: float, *, batch: int = 500,
                     concurrency: int = 8) -> Ledger:
    """POST batches of the simulator's live events, one platform per batch, with its key,
    through the SDK's one-request sender (each batch's answer feeds the ledger at once)."""
    ledger, source, report = Ledger(), http_events(), DeliveryReport()
    async with httpx.AsyncClient(base_url=url, timeout=60.0) as http:
        retry = RetryPolicy(attempts=8, max_s=5.0)
        collectors = {platform: Collector(http, key, retry, report) for platform, key in keys.items()}

        async def send(size: int) -> None:
            pairs = list(islice(source, size))
            by_platform: dict[str, list[dict[str, Any]]] = {}
            for platform, event in pairs:
                by_platform.setdefault(platform, []).append(event)
            for platform, events in by_platform.items():
                outcome = await collectors[platform].post([encode(event) for event in events])
                ledger.sent += len(events)
                ledger.acknowledged.update(outcome.accepted_ids)

        await _paced(rate, duration_s, batch, concurrency, ledger, send)
    ledger.rejected, ledger.reasons, ledger.retries = report.rejected, report.reasons, report.retries
    return ledger


async def drive_kafka(bootstrap: str, topic: str, signer: RecordSigner, rate: float, duration_s: float, *,
                      batch: int = 5_000, concurrency: int = 4) -> Ledger:
    """Write records straight to the topic (acks=all), keyed by user and signed like the collector."""
    ledger, records = Ledger(), KafkaRecords()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=1 << 20,
                                # The load test drives the stack's embedded broker: no credentials.
                                max_request_size=8 << 20, **client_options(None))
    await producer.start()
    try:
        async def send(size: int) -> None:
            triples = records.take(size)
            ledger.sent += size
            futures = [await producer.send(topic, value, key=key, headers=signer.kafka_headers(value))
                       for key, value, _ in triples]
            await asyncio.gather(*futures)
            ledger.acknowledged.update(event_id for _, _, event_id in triples)

        await _paced(rate, duration_s, batch, concurrency, ledger, send)
    finally:
        await producer.stop()
    return ledger
