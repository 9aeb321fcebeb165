"""Topic creation and the consumed-up-to check used by `ingest`, `demo` and tests.

'Stored' is read from Kafka itself: the aggregator commits a batch's offsets only after
its insert, so once the group's committed offsets reach the end offsets observed after
our last acknowledged publish, every event we sent is stored (or dead-lettered).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from skillpulse.config import KafkaSettings
from skillpulse.kafka.security import client_options

KEY_BUCKETS = 4096


def record_key(user_key: str) -> bytes:
    """The Kafka key of a user's records: a bucket of the pseudonym, not the pseudonym.
    One user's events still share a partition (the writer's deduplication relies on it),
    while Kafka and the tracing backend (FastStream records the key on every publish span)
    see nothing that singles a user out. A malformed pseudonym gets no key."""
    try:
        return str(int(user_key[:8], 16) % KEY_BUCKETS).encode()
    except (TypeError, ValueError):
        return b""


async def ensure_topics(bootstrap: str, topics: dict[str, int], *, kafka: KafkaSettings | None = None) -> None:
    """Create the missing topics ({name: partitions}); existing ones are left alone.
    `kafka`: whose credentials to connect with (None: no authentication), here and below."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(kafka))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(name, num_partitions=n, replication_factor=1) for name, n in topics.items()
                   if name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process won the race
                await admin.create_topics(missing)
    finally:
        await admin.close()


async def end_offsets(bootstrap: str, topic: str, *, kafka: KafkaSettings | None = None) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options(kafka))
    await consumer.start()
    try:
        await consumer.topics()  # loads cluster metadata
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        ends = await consumer.end_offsets(partitions)
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def group_offsets(consumer: AIOKafkaConsumer, topic: str) -> dict[int, tuple[int, int]]:
    """{partition: (end offset, offset committed by the consumer's group)}. `consumer` has
    the group_id and is not subscribed, so it never joins the group."""
    await consumer.topics()  # refreshes metadata: partitions may have been added
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
    ends = await consumer.end_offsets(partitions)
    return {tp.partition: (ends[tp], await consumer.committed(tp) or 0) for tp in partitions}


async def consumer_lag(consumer: AIOKafkaConsumer, topic: str) -> int:
    """Records on `topic` not yet committed by the consumer's group."""
    return sum(max(0, end - committed) for end, committed in (await group_offsets(consumer, topic)).values())


async def wait_until_consumed(
    bootstrap: str, topic: str, group_id: str, targets: dict[int, int], timeout_s: float = 120.0,
    *, kafka: KafkaSettings | None = None,
) -> float:
    """Wait until `group_id` committed at least `targets` ({partition: offset}); return seconds waited."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False,
                                **client_options(kafka))
    await consumer.start()  # not subscribed: it never joins the group, it only reads commits
    started = time.monotonic()
    try:
        while True:
            behind = {}
            for partition, target in targets.items():
                committed = await consumer.committed(TopicPartition(topic, partition)) or 0
                if committed < target:
                    behind[partition] = target - committed
            if not behind:
                return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                raise TimeoutError(f"aggregator still {sum(behind.values())} records behind after {timeout_s:.0f}s")
            await asyncio.sleep(0.1)
    finally:
        await consumer.stop()


async def wait_until_drained(bootstrap: str, topic: str, group_id: str, timeout_s: float = 120.0,
                             *, kafka: KafkaSettings | None = None) -> float:
    """Wait until `group_id` has consumed everything on `topic` right now; return seconds waited."""
    targets = await end_offsets(bootstrap, topic, kafka=kafka)
    return await wait_until_consumed(bootstrap, topic, group_id, targets, timeout_s, kafka=kafka)
