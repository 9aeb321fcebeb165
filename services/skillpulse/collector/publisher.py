"""Hands validated, pseudonymised records to Kafka and waits for the broker's acks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from faststream.kafka import KafkaBroker
from opentelemetry import propagate, trace

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


@dataclass(frozen=True)
class _OpenBatch:
    builder: BatchBuilder
    delivered: asyncio.Future[None]  # the broker acknowledged the batch (or its error)

    def append(self, record: SignedRecord) -> bool:
        return self.builder.append(key=record.key, value=record.value, timestamp=None,
                                   headers=record.headers) is not None

    def relay(self, ack: asyncio.Future[Any]) -> None:
        if self.delivered.done():
            return
        if ack.cancelled():
            self.delivered.set_exception(asyncio.CancelledError())
        elif (error := ack.exception()) is not None:
            self.delivered.set_exception(error)
        else:
            self.delivered.set_result(None)


class RecordPublisher:
    """With `producer` (the running collector): records go in one batch per partition,
    shared by the requests that arrive while the previous one is under way. Without
    (FastStream's in-memory TestKafkaBroker of the route tests): one publish per record
    through `broker`."""

    def __init__(self, broker: KafkaBroker, topic: str, signer: RecordSigner, ack_timeout_s: float = 10.0,
                 producer: AIOKafkaProducer | None = None, tracer: trace.Tracer | None = None) -> None:
        self.broker, self.topic, self.signer, self.ack_timeout_s = broker, topic, signer, ack_timeout_s
        self.producer, self._partitions = producer, _Partitions()
        # The request's publish span, as FastStream's middleware makes for its own publishes:
        # the records carry its context, so the aggregator's spans link back to the request.
        self.tracer = tracer or trace.NoOpTracer()
        self._open: dict[int, _OpenBatch] = {}  # per partition: the batch still taking records
        self._submitting: set[asyncio.Task[None]] = set()

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
            if context:  # FastStream's consumer links a batch's spans to its records by this id
                headers.append(("correlation_id", str(record.event_id).encode()))
            found.append(SignedRecord(record_key(record.user_key), value, headers))
        return found

    async def publish(self, records: Sequence[Record]) -> None:
        """Return once the broker acknowledged every record (acks=all); raise otherwise."""
        attributes: dict[str, str | int] = {"messaging.system": "kafka", "messaging.destination.name": self.topic,
                                            "messaging.operation": "publish",
                                            "messaging.batch.message_count": len(records)}
        with self.tracer.start_as_current_span(f"{self.topic} publish", kind=trace.SpanKind.PRODUCER,
                                               attributes=attributes, record_exception=False):
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
        waits: dict[int, asyncio.Future[None]] = {}
        for record in signed:
            partition = self._partitions.of(record.key, partitions)
            batch = self._open.get(partition)
            if batch is None or not batch.append(record):
                batch = self._open_batch(producer, partition)
                batch.append(record)  # (a batch always takes its first record)
            waits[id(batch.delivered)] = batch.delivered
        if not waits:  # nothing to send (a request of voids only, say)
            return
        # wait(), not gather(): a request that times out must not cancel the others' batch.
        await asyncio.wait(waits.values())
        for delivered in waits.values():
            delivered.result()

    def _open_batch(self, producer: AIOKafkaProducer, partition: int) -> _OpenBatch:
        """A batch that takes records until the producer queues it, which is once the
        partition's previous batch left for the broker: the requests that arrive while a
        request to the broker is under way share the next one (one round trip for all)."""
        batch = self._open[partition] = _OpenBatch(producer.create_batch(), asyncio.get_running_loop().create_future())

        async def submit() -> None:
            try:
                ack = await producer.send_batch(batch.builder, self.topic, partition=partition)
            except Exception as exc:
                batch.delivered.set_exception(exc)
                return
            finally:
                if self._open.get(partition) is batch:
                    del self._open[partition]
            ack.add_done_callback(batch.relay)

        self._submitting.add(task := asyncio.create_task(submit()))
        task.add_done_callback(self._submitting.discard)
        return batch

    async def _publish_each(self, signed: list[SignedRecord]) -> None:
        pending = [await self.broker.publish(record.value, self.topic, key=record.key, no_confirm=True,
                                             headers={name: value.decode() for name, value in record.headers})
                   for record in signed]
        # (FastStream's TestKafkaBroker delivers at once and hands back no future.)
        await asyncio.gather(*(ack for ack in pending if asyncio.isfuture(ack)))

    async def ready(self) -> bool:
        return await self.broker.ping(timeout=2.0)
