"""FastStream wiring of the aggregator: batch subscriber → columnar insert → commit.

Offsets are committed only after the insert returned (AckPolicy.NACK_ON_ERROR: a
failed batch is rewound and consumed again after a pause), so a crash can replay a
batch but never skip one; the writer drops what a replay would store twice.
"""

from __future__ import annotations

import asyncio
import logging

from clickhouse_connect.driver.client import Client
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from skillpulse.aggregator.batch import build_batch
from skillpulse.aggregator.writer import write_batch
from skillpulse.config import Settings

logger = logging.getLogger("skillpulse.aggregator")


def create_aggregator(settings: Settings, store: Client, bootstrap: str) -> KafkaBroker:
    kafka, options = settings.kafka, settings.aggregator
    broker = KafkaBroker(bootstrap, acks="all", logger=logger, graceful_timeout=30.0)

    @broker.subscriber(
        kafka.topic,
        group_id=options.group_id,
        batch=True,
        max_records=options.batch_max_rows,
        batch_timeout_ms=options.batch_timeout_ms,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    async def store_events(message: KafkaMessage) -> None:
        records = message.raw_message
        # Parsing 50,000 records takes about a second: off the event loop, like the insert.
        batch = await asyncio.to_thread(build_batch, records if isinstance(records, tuple) else (records,))
        try:
            for dead in batch.rejected:
                await broker.publish(dead[-1].encode(), kafka.dlq_topic, headers={"reason": dead[1]})
            await asyncio.to_thread(write_batch, store, batch, deduplicate=options.deduplicate)
        except Exception:
            logger.exception("batch of %d records not stored; it will be retried", len(records))
            await asyncio.sleep(options.retry_backoff_s)  # don't spin while the store is down
            raise
        if batch.rejected:
            logger.warning("%d records dead-lettered (reasons: %s)", len(batch.rejected),
                           sorted({dead[1] for dead in batch.rejected}))

    return broker
