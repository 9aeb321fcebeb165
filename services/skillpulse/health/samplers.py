"""The stack's periodic health work: the collector's counts out to the stats topic, and
the consumer group's lag into `pipeline_stats`."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker

from skillpulse.health.stats import AggregatorStats, CollectorStats, stats_record, store_stats
from skillpulse.kafka.security import client_options
from skillpulse.kafka.topics import consumer_lag

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

    from skillpulse.config import KafkaSettings

logger = logging.getLogger("skillpulse.health")


async def publish_collector_stats(stats: CollectorStats, producer: KafkaBroker, topic: str) -> None:
    samples = stats.drain()
    if not samples:
        return
    try:
        # Bounded: at shutdown a dead broker must not hold the stop for aiokafka's 40 s.
        await asyncio.wait_for(producer.publish(stats_record("collector", samples), topic), timeout=5)
    except Exception as exc:  # the broker is down: keep the counts for the next round
        stats.restore(samples)
        logger.debug("collector stats not published: %s", exc)


async def publish_collector_stats_forever(stats: CollectorStats, producer: KafkaBroker, topic: str,
                                          interval_s: float = 1.0) -> None:
    try:
        while True:
            await asyncio.sleep(interval_s)
            await publish_collector_stats(stats, producer, topic)
    finally:
        await publish_collector_stats(stats, producer, topic)  # the last second's counts too


async def sample_consumer_lag_forever(store: Client, stats: AggregatorStats, bootstrap: str, topic: str,
                                      group_id: str, interval_s: float = 5.0, *,
                                      kafka: KafkaSettings | None = None) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False,
                                **client_options(kafka))
    started = False
    try:
        while True:
            try:
                if not started:
                    await consumer.start()
                    started = True
                rows = stats.consumer_lag(await consumer_lag(consumer, topic))
                await asyncio.to_thread(store_stats, store, rows)
            except Exception as exc:
                logger.warning("consumer lag not sampled: %s", exc)
            await asyncio.sleep(interval_s)
    finally:
        if started:
            await consumer.stop()
