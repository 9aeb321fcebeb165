"""What a Python consumer on this Kafka client can reach at best: the same backlog the
aggregator drains, read by a process that does (almost) nothing with it, in CPU seconds.

    python loadtests/consumer_ceiling.py MODE BOOTSTRAP TOPIC RECORDS [--fetch-bytes-per-partition N]

MODE is one of
- `aiokafka`: a bare `AIOKafkaConsumer.getmany` loop, offsets committed after each batch;
- `faststream`: FastStream's batch subscriber (the aggregator's options: batch of 10,000,
  raw records, NACK_ON_ERROR acks) whose handler does nothing;
- `build-batch`: the bare loop plus the aggregator's own parsing (`build_batch`:
  signature check, contract validation, rows and dead letters), no store.

Each runs in a group of its own and prints one JSON object: records, wall and CPU seconds
(this process, all threads), and records per CPU second. `aggregator_burst.py --ceiling`
runs all three on its burst, before the aggregator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from aiokafka import AIOKafkaConsumer

from skillpulse.aggregator.batch import build_batch
from skillpulse.config import PrivacySettings, Settings
from skillpulse.kafka.signing import record_signer

BATCH_MAX_ROWS = 10_000  # the aggregator's default
MODES = ("aiokafka", "faststream", "build-batch")


async def _bare(bootstrap: str, topic: str, records: int, fetch_bytes: int, pseudonym_key: str | None) -> int:
    """Records read (without a key) or rows built (with the key the records are signed with)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"ceiling-bare-{bool(pseudonym_key)}",
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                max_partition_fetch_bytes=fetch_bytes)
    signer = record_signer(Settings(privacy=PrivacySettings(pseudonym_key=pseudonym_key))) if pseudonym_key else None
    await consumer.start()
    seen, stored = 0, 0
    try:
        while seen < records:
            batches = await consumer.getmany(timeout_ms=500, max_records=BATCH_MAX_ROWS)
            for batch in batches.values():
                seen += len(batch)
                if signer is not None:
                    stored += len(build_batch(batch, signer=signer).events)
            await consumer.commit()
    finally:
        await consumer.stop()
    return stored if signer is not None else seen


async def _faststream(bootstrap: str, topic: str, records: int, fetch_bytes: int) -> int:
    from faststream import AckPolicy
    from faststream.kafka import KafkaBroker
    from faststream.kafka.annotations import KafkaMessage

    broker = KafkaBroker(bootstrap)
    done, seen = asyncio.Event(), [0]

    async def as_they_are(message: KafkaMessage, _default: object) -> None:
        """The aggregator's decoder: no message object or JSON per record."""

    @broker.subscriber(topic, group_id="ceiling-faststream", batch=True, max_records=BATCH_MAX_ROWS,
                       batch_timeout_ms=500, auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR,
                       max_partition_fetch_bytes=fetch_bytes, decoder=as_they_are)
    async def nothing(message: KafkaMessage) -> None:
        raw = message.raw_message
        seen[0] += len(raw) if isinstance(raw, tuple) else 1
        if seen[0] >= records:
            done.set()

    await broker.start()
    try:
        await done.wait()
    finally:
        await broker.stop()
    return seen[0]


def run(mode: str, bootstrap: str, topic: str, records: int, fetch_bytes: int,
        pseudonym_key: str | None = None) -> dict[str, Any]:
    started, cpu_started = time.perf_counter(), time.process_time()
    if mode == "faststream":
        consumed = asyncio.run(_faststream(bootstrap, topic, records, fetch_bytes))
    else:
        consumed = asyncio.run(_bare(bootstrap, topic, records, fetch_bytes,
                                     pseudonym_key if mode == "build-batch" else None))
    wall_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    return {"mode": mode, "records": records, "consumed": consumed, "wall_s": round(wall_s, 2),
            "cpu_s": round(cpu_s, 2), "events_per_cpu_s": round(records / cpu_s) if cpu_s else None,
            "events_per_s": round(records / wall_s) if wall_s else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("bootstrap")
    parser.add_argument("topic")
    parser.add_argument("records", type=int)
    parser.add_argument("--fetch-bytes-per-partition", type=int, default=8 * 1024 * 1024)
    parser.add_argument("--pseudonym-key", help="build-batch: the key the records are signed with")
    args = parser.parse_args()
    print(json.dumps(run(args.mode, args.bootstrap, args.topic, args.records, args.fetch_bytes_per_partition,
                         args.pseudonym_key)))


if __name__ == "__main__":
    main()
