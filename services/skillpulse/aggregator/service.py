"""FastStream wiring of the aggregator: batch subscriber → columnar insert → commit.

Offsets are committed only after the insert returned (AckPolicy.NACK_ON_ERROR: a
failed batch is rewound and consumed again after a pause), so a crash can replay a
batch but never skip one. Replays are harmless: KPIs count distinct `event_id`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from clickhouse_connect.driver.client import Client
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from skillpulse.aggregator.batch import EVENT_COLUMNS, REJECTED_COLUMNS, Batch, build_batch
from skillpulse.config import Settings
from skillpulse.kpi.params import TIMEZONE
from skillpulse.store.rollups import refresh_daily_activity, refresh_user_activity

logger = logging.getLogger("skillpulse.aggregator")


_USER_KEY, _PLATFORM, _OCCURRED_AT = (EVENT_COLUMNS.index(c) for c in ("user_key", "platform", "occurred_at"))
_LUXEMBOURG = ZoneInfo(TIMEZONE)


def _touched_days(columns: list[list[Any]]) -> dict[str, tuple[date, date]]:
    """{platform: (first, last Luxembourg day)} of a batch's events."""
    bounds: dict[str, tuple[datetime, datetime]] = {}
    for platform, moment in zip(columns[_PLATFORM], columns[_OCCURRED_AT], strict=True):
        low, high = bounds.get(platform, (moment, moment))
        bounds[platform] = (min(low, moment), max(high, moment))
    return {p: (low.astimezone(_LUXEMBOURG).date(), high.astimezone(_LUXEMBOURG).date())
            for p, (low, high) in bounds.items()}


def write_batch(store: Client, batch: Batch) -> None:
    """Insert a batch, then refresh its users' activity runs (blocking: use a thread)."""
    if batch.events:
        columns = batch.columns()
        store.insert("events", columns, column_names=EVENT_COLUMNS, column_oriented=True)
        refresh_user_activity(store, columns[_USER_KEY])
        refresh_daily_activity(store, _touched_days(columns))
    if batch.rejected:
        store.insert("rejected_events", batch.rejected, column_names=REJECTED_COLUMNS)


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
        batch = build_batch(records if isinstance(records, tuple) else (records,))
        try:
            for dead in batch.rejected:
                await broker.publish(dead[-1].encode(), kafka.dlq_topic, headers={"reason": dead[1]})
            await asyncio.to_thread(write_batch, store, batch)
        except Exception:
            logger.exception("batch of %d records not stored; it will be retried", len(records))
            await asyncio.sleep(options.retry_backoff_s)  # don't spin while the store is down
            raise
        if batch.rejected:
            logger.warning("%d records dead-lettered (reasons: %s)", len(batch.rejected),
                           sorted({dead[1] for dead in batch.rejected}))

    return broker
