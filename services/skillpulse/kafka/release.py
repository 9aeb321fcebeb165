"""Keep the durable broker's footprint bounded: release the batches already stored.

tansu 0.6 neither enforces retention nor implements DeleteRecords (its dynostore answers
it with `todo!()`), in either engine. Its S3 engine keeps one object per produced batch
(`…/partitions/<p>/records/<base offset>.batch`) and a fetch lists what is there from the
offset asked for, so deleting the objects wholly below a group's committed offset is
invisible to that group: the aggregator commits a batch only after its insert, so those
records are in the store. Dead letters are in the store's `rejected_events` too; their
topic is kept for a retention period instead (nothing consumes it). The newest object
of a partition is always kept: tansu answers ListOffsets(latest) from the last object's
base offset, so the end offset stays where it was.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from aiokafka import AIOKafkaConsumer

from skillpulse.config import KafkaSettings
from skillpulse.kafka.object_store import SeaweedFS
from skillpulse.kafka.security import client_options
from skillpulse.kafka.topics import group_offsets

CLUSTER = "tansu_cluster"  # tansu's default --cluster-id


class Consumed(NamedTuple):
    """A topic whose records are released once `group` committed past them."""

    topic: str
    group: str


def _records_prefix(topic: str, partition: int) -> str:
    return f"clusters/{CLUSTER}/topics/{topic}/partitions/{partition:0>10}/records"


def _base_offset(name: str) -> int:
    return int(name[:20])


def release_below(store: SeaweedFS, topic: str, partition: int, committed: int) -> int:
    """Delete the batches of `partition` whose every record is below `committed`; return
    how many. A batch ends where the next begins."""
    prefix = _records_prefix(topic, partition)
    names = sorted((entry.name for entry in store.entries(prefix) if entry.name.endswith(".batch")), key=_base_offset)
    done = [name for name, following in zip(names, names[1:], strict=False) if _base_offset(following) <= committed]
    store.delete(prefix, done)
    return len(done)


def release_older(store: SeaweedFS, topic: str, partition: int, older_than: timedelta) -> int:
    prefix = _records_prefix(topic, partition)
    entries = sorted((entry for entry in store.entries(prefix) if entry.name.endswith(".batch")),
                     key=lambda entry: _base_offset(entry.name))
    cutoff = datetime.now(UTC) - older_than
    done = [entry.name for entry in entries[:-1] if datetime.fromisoformat(entry.modified) < cutoff]
    store.delete(prefix, done)
    return len(done)


async def release_consumed(store: SeaweedFS, bootstrap: str, consumed: list[Consumed], *,
                           kafka: KafkaSettings | None = None) -> int:
    """Release what each group committed; return the number of batches deleted."""
    released = 0
    for topic, group in consumed:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                    **client_options(kafka))
        await consumer.start()  # not subscribed: it never joins the group, it only reads commits
        try:
            offsets = await group_offsets(consumer, topic)
        finally:
            await consumer.stop()
        for partition, (_, committed) in offsets.items():
            released += await asyncio.to_thread(release_below, store, topic, partition, committed)
    return released
