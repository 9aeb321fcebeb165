"""The embedded broker as the stack runs it: tansu, on its object store when durable,
restarted when either dies, and the consumed batches released.

A restarted server takes the ports it had, so the roles' clients (which keep dialling)
resume by themselves. While one is down the collector cannot get an acknowledgement, so
it answers 503 with Retry-After, never 202.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

from skillpulse.config import EmbeddedBrokerSettings, KafkaSettings
from skillpulse.kafka.embedded import EmbeddedKafka
from skillpulse.kafka.object_store import SeaweedFS
from skillpulse.kafka.release import Consumed, release_consumed, release_older
from skillpulse.kafka.topics import ensure_topics

logger = logging.getLogger("skillpulse.broker")


class Restart(NamedTuple):
    server: str
    seconds: float  # from noticing it dead to serving again


class EmbeddedBroker:
    def __init__(self, data_dir: Path, kafka: KafkaSettings, broker: EmbeddedBrokerSettings) -> None:
        self.settings, self.kafka_settings = broker, kafka
        durable = broker.storage == "durable"
        self.object_store = SeaweedFS(data_dir, broker.object_store_port) if durable else None
        self.kafka = EmbeddedKafka(data_dir, kafka.embedded_port, object_store=self.object_store)

    @property
    def owned(self) -> bool:
        return self.kafka.owned

    def start(self) -> str:
        """Start (or find) the object store, then tansu; return the bootstrap address."""
        if self.object_store is not None:
            self.object_store.start()
        return self.kafka.start()

    def stop(self) -> None:
        self.kafka.stop()
        if self.object_store is not None:
            self.object_store.stop()

    def heal(self) -> list[Restart]:
        """Restart whichever of the two died (the object store first: tansu writes to it)."""
        restarts = []
        for server in (self.object_store, self.kafka):
            if server is not None and server.owned and not server.alive():
                noticed = time.monotonic()
                logger.error("the embedded %s died; restarting it", server.name)
                server.stop()  # reaps it, forgets the pid; the ports stay
                server.start()
                restarts.append(Restart(server.name, time.monotonic() - noticed))
                logger.warning("the embedded %s serves again after %.1f s", server.name, restarts[-1].seconds)
        return restarts

    def topics(self) -> dict[str, int]:
        kafka = self.kafka_settings
        return {kafka.topic: kafka.partitions, kafka.dlq_topic: 1, kafka.stats_topic: 1}

    async def release(self, consumed: list[Consumed]) -> int:
        """Delete the batches `consumed`'s groups committed, and dead letters past their retention."""
        if self.object_store is None:
            return 0  # the memory engine gives nothing back (see skillpulse.kafka.release)
        released = await release_consumed(self.object_store, self.kafka.bootstrap, consumed,
                                          kafka=self.kafka_settings)
        retention = timedelta(hours=self.settings.dead_letter_retention_hours)
        return released + await asyncio.to_thread(release_older, self.object_store, self.kafka_settings.dlq_topic,
                                                  0, retention)

    async def supervise_forever(self, consumed: list[Consumed]) -> None:
        """Heal every `supervise_interval_s`, release every `release_interval_s`."""
        next_release = time.monotonic() + self.settings.release_interval_s
        while True:
            await asyncio.sleep(self.settings.supervise_interval_s)
            try:
                if await asyncio.to_thread(self.heal) and self.object_store is None:
                    await ensure_topics(self.kafka.bootstrap, self.topics(), kafka=self.kafka_settings)
                if time.monotonic() >= next_release:
                    next_release = time.monotonic() + self.settings.release_interval_s
                    if released := await self.release(consumed):
                        logger.info("released %d consumed batches from the object store", released)
            except Exception:  # the next round tries again; the supervisor must not die
                logger.exception("broker supervision failed; retrying")
