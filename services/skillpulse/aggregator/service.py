"""FastStream wiring of the aggregator: batch subscriber → columnar insert → commit.

Offsets are committed only after the insert returned (AckPolicy.NACK_ON_ERROR: a
failed batch is rewound and consumed again after a pause), so a crash can replay a
batch but never skip one; the writer drops what a replay would store twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import TYPE_CHECKING

from aiokafka import ConsumerRebalanceListener
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from skillpulse.aggregator.batch import PLATFORM, RECEIVED_AT, Batch, build_batch
from skillpulse.aggregator.redaction import Redactor, payload_key
from skillpulse.aggregator.replays import ReplayGuard
from skillpulse.aggregator.writer import write_batch
from skillpulse.config import AggregatorSettings, Settings
from skillpulse.credentials import pseudonym_secret
from skillpulse.dead_letters import letter_json
from skillpulse.health.stats import AggregatorStats, StatsRow, parse_stats_record, store_stats
from skillpulse.kafka.security import broker_security
from skillpulse.kafka.signing import record_signer
from skillpulse.store.client import release_freed_memory
from skillpulse.telemetry import DISABLED, Telemetry

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

logger = logging.getLogger("skillpulse.aggregator")


class _ForgetOnRebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """After a rebalance another consumer may have stored records of these partitions."""

    def __init__(self, guard: ReplayGuard) -> None:
        self._guard = guard

    async def on_partitions_revoked(self, revoked: object) -> None:
        self._guard.forget()

    async def on_partitions_assigned(self, assigned: object) -> None:
        self._guard.forget()


def _store(store: Client, batch: Batch, stats: AggregatorStats, options: AggregatorSettings, guard: ReplayGuard,
           telemetry: Telemetry) -> None:
    """Insert the batch, then its figures (blocking: runs in a worker thread)."""
    started = time.perf_counter()
    with telemetry.tracer.start_as_current_span("clickhouse insert events") as span:
        inserted = write_batch(store, batch, deduplicate=options.deduplicate, guard=guard)
        span.set_attributes({"db.system": "clickhouse", "skillpulse.events.inserted": len(inserted)})
    insert_ms = (time.perf_counter() - started) * 1000
    rows = stats.batch(len(batch.events) + len(batch.rejected), Counter(row[PLATFORM] for row in inserted),
                       Counter(letter.reason for letter in batch.rejected), insert_ms,
                       [row[RECEIVED_AT] for row in inserted] if telemetry.enabled else [])
    try:
        store_stats(store, rows)
    except Exception:  # figures about the batch must never fail the batch itself
        logger.warning("batch figures not stored in pipeline_stats", exc_info=True)
    try:
        release_freed_memory(store)
    except Exception:  # nor must housekeeping
        logger.warning("the embedded engine's freed memory was not released", exc_info=True)


async def _records_as_they_are(message: KafkaMessage, _default: object) -> None:
    """FastStream's default decoder builds a message object and parses JSON for every
    record of a batch; the handler parses the raw values itself, once."""


def create_aggregator(settings: Settings, store: Client, bootstrap: str, telemetry: Telemetry = DISABLED,
                      stats: AggregatorStats | None = None) -> KafkaBroker:
    kafka, options = settings.kafka, settings.aggregator
    stats = stats or AggregatorStats(telemetry.meter)
    redactor = Redactor(payload_key(pseudonym_secret(settings)))
    signer = record_signer(settings)  # always on: the embedded broker lets any local process write
    guard = ReplayGuard()
    broker = KafkaBroker(bootstrap, acks="all", logger=logger, graceful_timeout=30.0, security=broker_security(kafka),
                         middlewares=telemetry.kafka_middlewares())

    @broker.subscriber(
        kafka.topic,
        group_id=options.group_id,
        batch=True,
        max_records=options.batch_max_rows,
        batch_timeout_ms=options.batch_timeout_ms,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_partition_fetch_bytes=options.fetch_bytes_per_partition,
        decoder=_records_as_they_are,
        listener=_ForgetOnRebalance(guard),
    )
    async def store_events(message: KafkaMessage) -> None:
        records = message.raw_message
        # Parsing a whole batch is CPU work: off the event loop, like the insert.
        batch = await asyncio.to_thread(build_batch, records if isinstance(records, tuple) else (records,),
                                        redactor, platforms=settings.collector.platforms, signer=signer)
        try:
            for letter in batch.rejected:  # the letter as stored, never the record (nor its key or headers)
                await broker.publish(letter_json(letter), kafka.dlq_topic, headers={"reason": letter.reason})
            await asyncio.to_thread(_store, store, batch, stats, options, guard, telemetry)
        except Exception:
            logger.exception("batch of %d records not stored; it will be retried", len(records))
            await asyncio.sleep(options.retry_backoff_s)  # don't spin while the store is down
            raise
        if batch.rejected:
            logger.warning("%d records dead-lettered (reasons: %s)", len(batch.rejected),
                           sorted({letter.reason for letter in batch.rejected}))

    # A group of its own: joining the events group would rebalance the events consumers.
    @broker.subscriber(kafka.stats_topic, group_id=f"{options.group_id}.stats", batch=True,
                       auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR, batch_timeout_ms=1000,
                       decoder=_records_as_they_are)
    async def store_collector_stats(message: KafkaMessage) -> None:
        """The collectors' per-second counts → `pipeline_stats` (they hold no store)."""
        records = message.raw_message
        rows: list[StatsRow] = []
        for record in records if isinstance(records, tuple) else (records,):
            try:
                rows += parse_stats_record(record.value or b"")
            except ValueError:  # its message can quote the record: never logged
                logger.warning("malformed stats record %s[%d]@%d skipped", record.topic, record.partition,
                               record.offset)
        if rows:
            try:
                await asyncio.to_thread(store_stats, store, rows)
            except Exception:
                logger.warning("collector stats not stored; they will be retried", exc_info=True)
                await asyncio.sleep(options.retry_backoff_s)
                raise

    return broker
