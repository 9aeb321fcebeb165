"""Hands validated, pseudonymised records to Kafka and waits for the broker's acks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from faststream.kafka import KafkaBroker
from opentelemetry import propagate

from skillpulse.config import CollectorSettings, KafkaSettings
from skillpulse.contract import LoginRecord, ToolUseRecord, TrainingRecord
from skillpulse.errors import SkillpulseError
from skillpulse.kafka.security import client_options
from skillpulse.kafka.signing import RecordSigner
from skillpulse.kafka.topics import record_key

Record = LoginRecord | ToolUseRecord | TrainingRecord


class BrokerUnavailable(SkillpulseError, RuntimeError):
    """The broker did not acknowledge every record in time (503)."""


class SignedRecord(NamedTuple):
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


@asynccontextmanager
async def record_producer(bootstrap: str, settings: CollectorSettings,
                          kafka: KafkaSettings | None = None) -> AsyncIterator[AIOKafkaProducer]:
    """The collector's producer of event records: a 202 waits for every replica (acks=all);
    batches large enough that one request to the broker carries whole HTTP requests."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                max_batch_size=settings.producer_max_batch_bytes,
                                linger_ms=settings.producer_linger_ms, **client_options(kafka))
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


class _Partitions:
    """Which partition a key goes to, as aiokafka's default partitioner (murmur2, like
    Kafka's) places it: the same as a record sent by key, so one user's records share a
    partition whoever wrote them. Keys are a few thousand buckets: remembered."""

    def __init__(self) -> None:
        self._partitioner, self._of_key, self._known = DefaultPartitioner(), dict[bytes, int](), list[int]()

    def of(self, key: bytes, partitions: list[int]) -> int:
        if partitions != self._known:  # the topic grew: every key is placed anew
            self._of_key, self._known = {}, partitions
        found = self._of_key.get(key)
        if found is None:
            found = self._of_key[key] = self._partitioner(key, partitions, partitions)
        return found


class RecordPublisher:
    """With `producer` (the running collector): each request's records go as one batch per
    partition, acknowledged together. Without (FastStream's in-memory TestKafkaBroker of
    the route tests): one publish per record through `broker`."""

    def __init__(self, broker: KafkaBroker, topic: str, signer: RecordSigner, ack_timeout_s: float = 10.0,
                 producer: AIOKafkaProducer | None = None) -> None:
        self.broker, self.topic, self.signer, self.ack_timeout_s = broker, topic, signer, ack_timeout_s
        self.producer, self._partitions = producer, _Partitions()

    def signed(self, records: Sequence[Record]) -> list[SignedRecord]:
        """Keyed by a bucket of user_key (one user's events stay in order on one partition),
        signed, and carrying the request's trace context (W3C headers, none when tracing is off)."""
        trace: dict[str, str] = {}
        propagate.inject(trace)
        context = [(name, value.encode()) for name, value in trace.items()]
        found = []
        for record in records:
            value = record.model_dump_json().encode()
            headers = [*self.signer.kafka_headers(value), *context]
            found.append(SignedRecord(record_key(record.user_key), value, headers))
        return found

    async def publish(self, records: Sequence[Record]) -> None:
        """Return once the broker acknowledged every record (acks=all); raise otherwise."""
        try:
            async with asyncio.timeout(self.ack_timeout_s):
                signed = self.signed(records)
                if self.producer is not None:
                    await self._publish_batches(self.producer, signed)
                else:
                    await self._publish_each(signed)
        except Exception as exc:  # aiokafka errors and the timeout alike
            raise BrokerUnavailable(f"broker did not acknowledge: {type(exc).__name__}: {exc}") from exc

    async def _publish_batches(self, producer: AIOKafkaProducer, signed: list[SignedRecord]) -> None:
        partitions = sorted(await producer.partitions_for(self.topic))
        by_partition: dict[int, list[SignedRecord]] = {}
        for record in signed:
            by_partition.setdefault(self._partitions.of(record.key, partitions), []).append(record)
        acks: list[asyncio.Future[Any]] = []
        for partition, records in by_partition.items():
            batch, held = producer.create_batch(), 0
            for record in records:
                if batch.append(key=record.key, value=record.value, timestamp=None, headers=record.headers) is None:
                    if not held:  # (a batch always takes its first record: never reached)
                        raise ValueError("a record larger than the producer's batch")
                    acks.append(await producer.send_batch(batch, self.topic, partition=partition))  # full
                    batch, held = producer.create_batch(), 0
                    batch.append(key=record.key, value=record.value, timestamp=None, headers=record.headers)
                held += 1
            acks.append(await producer.send_batch(batch, self.topic, partition=partition))
        await asyncio.gather(*acks)

    async def _publish_each(self, signed: list[SignedRecord]) -> None:
        pending = [await self.broker.publish(record.value, self.topic, key=record.key, no_confirm=True,
                                             headers={name: value.decode() for name, value in record.headers})
                   for record in signed]
        # (FastStream's TestKafkaBroker delivers at once and hands back no future.)
        await asyncio.gather(*(ack for ack in pending if asyncio.isfuture(ack)))

    async def ready(self) -> bool:
        return await self.broker.ping(timeout=2.0)
