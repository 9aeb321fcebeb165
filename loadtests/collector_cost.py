"""What one event costs the collector's CPU, stage by stage, against `json.loads` of the
same body (the floor) and against the raw broker rate (aiokafka sending the same signed
records one by one), all in the same run on the real embedded broker (memory engine).

    .venv/bin/python loadtests/collector_cost.py [--requests 40] [--batch 500]

CPU time of this process (`time.process_time`), so a machine shared with other work
slows it less than wall time; the broker's own CPU is not counted. Publishing is timed
both ways: one FastStream publish per record (the collector before issue 15) and one
batch per partition per request (now). HTTP (uvicorn, FastAPI) is not in it: see the
py-spy profile in loadtests/results/loadtest.md."""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from faststream.kafka import KafkaBroker

from skillpulse.collector.intake import Intake
from skillpulse.collector.publisher import RecordPublisher, record_producer
from skillpulse.collector.validation import parse_body
from skillpulse.config import CollectorSettings
from skillpulse.contract import to_record
from skillpulse.health.stats import CollectorStats
from skillpulse.kafka import EmbeddedKafka, ensure_topics
from skillpulse.kafka.signing import RecordSigner
from skillpulse.loadtest.workload import http_events
from skillpulse.pseudonym import Pseudonymiser
from skillpulse.sdk import encode
from skillpulse.telemetry import DISABLED

PLATFORM = "skilltech.tools"


def _bodies(requests: int, batch: int) -> list[bytes]:
    events = [event for platform_, event in islice(http_events(), requests * batch * 3) if platform_ == PLATFORM]
    return [b"[" + b",".join(encode(e) for e in events[i:i + batch]) + b"]" for i in range(0, requests * batch, batch)]


def _cpu(work: Callable[[], object], runs: int = 3) -> float:
    """The least CPU time of `runs` (the first warms caches up)."""
    timings = []
    for _ in range(runs):
        started = time.process_time()
        work()
        timings.append(time.process_time() - started)
    return min(timings)


async def _cpu_async(work: Callable[[], Awaitable[object]], runs: int = 2) -> float:
    timings = []
    for _ in range(runs):
        started = time.process_time()
        await work()
        timings.append(time.process_time() - started)
    return min(timings)


async def main(requests: int, batch: int) -> None:
    bodies = _bodies(requests, batch)
    events = requests * batch
    settings = CollectorSettings()
    secret = b"collector-cost-" + b"k" * 32
    intake_stats = CollectorStats(DISABLED.meter)
    broker_dir = Path(tempfile.mkdtemp(prefix="collector-cost-"))
    kafka = EmbeddedKafka(broker_dir)
    bootstrap = await asyncio.to_thread(kafka.start)
    topic = "collector-cost"
    try:
        await ensure_topics(bootstrap, {topic: 6})
        faststream = KafkaBroker(bootstrap, acks="all")
        await faststream.connect()
        async with record_producer(bootstrap, settings) as producer:
            signer, pseudonymiser = RecordSigner(secret), Pseudonymiser(secret)
            each = Intake(settings, pseudonymiser, RecordPublisher(faststream, topic, signer), intake_stats)
            batched = Intake(settings, pseudonymiser, RecordPublisher(faststream, topic, signer, producer=producer),
                             intake_stats)
            now = datetime.now(UTC)
            floor = _cpu(lambda: [json.loads(body) for body in bodies])
            def check() -> list[list[Any]]:
                return [[e for _, e in batched.check(PLATFORM, parse_body(b, max_events=batch), now).valid]
                        for b in bodies]

            def build() -> list[list[Any]]:
                return [[to_record(e, platform=PLATFORM, received_at=now,
                                   user_key=pseudonymiser.user_key(PLATFORM, e.user_id),
                                   session_key=pseudonymiser.session_key(PLATFORM, e.session_id)) for e in chunk]
                        for chunk in checked]

            validate, checked = _cpu(check), check()
            pseudonymise, records = _cpu(build), build()
            publisher = batched.publisher
            sign = _cpu(lambda: [publisher.signed(chunk) for chunk in records])
            signed = [r for chunk in records for r in publisher.signed(chunk)]

            async def raw() -> None:
                acks = [await producer.send(topic, r.value, key=r.key, headers=r.headers) for r in signed]
                await asyncio.gather(*acks)

            async def through(intake: Intake) -> None:
                for chunk in checked:
                    await intake.publish(PLATFORM, chunk, now)

            raw_send = await _cpu_async(raw)
            publish_each = await _cpu_async(lambda: through(each))
            publish_batched = await _cpu_async(lambda: through(batched))
        await faststream.stop()
    finally:
        kafka.stop()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {events:,} events in {requests} requests "
          f"of {batch}; CPU µs per event (this process)")
    rows = [("json.loads (floor)", floor), ("parse + validate (parse_body, intake.check)", validate),
            ("pseudonymise + build record (to_record)", pseudonymise), ("serialise + sign", sign),
            ("raw broker: aiokafka send per record (baseline)", raw_send),
            ("intake.publish: pseudonymise, sign, one FastStream publish per record (before)", publish_each),
            ("intake.publish: pseudonymise, sign, one batch per partition (now)", publish_batched)]
    for name, seconds in rows:
        print(f"  {name:<76} {seconds / events * 1e6:7.1f} µs  ({seconds / floor:5.1f} x json.loads)")
    print(f"publish now / before: {publish_batched / publish_each:.2f}; "
          f"publish now / raw send: {publish_batched / raw_send:.2f}")
    whole = validate + publish_batched
    print(f"collector CPU outside HTTP now: {whole / events * 1e6:.1f} µs/event = {events / whole:,.0f} events/s "
          f"per core (before: {events / (validate + publish_each):,.0f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--batch", type=int, default=500)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.batch))
