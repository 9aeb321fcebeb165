"""The collector signs every record it publishes (events and voids): the aggregator
dead-letters any record on the topic that it did not sign."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import DefaultPartitioner
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from skillpulse.collector.publisher import BrokerUnavailable, RecordPublisher, record_producer
from skillpulse.config import CollectorSettings
from skillpulse.contract import VoidRecord, event_record_adapter
from skillpulse.kafka import ensure_topics
from skillpulse.kafka.signing import RecordSigner, signature_of
from skillpulse.kafka.topics import record_key
from tests.factories import USER_KEY_A, record_json

TOPIC = "events"
SIGNER = RecordSigner(b"collector-signing-key-" + b"c" * 32)


async def test_every_published_record_carries_a_valid_signature() -> None:
    broker = KafkaBroker()
    published: list[tuple[bytes, bytes | None]] = []

    @broker.subscriber(TOPIC)
    async def capture(message: KafkaMessage) -> None:
        published.append((message.body, signature_of(message.raw_message.headers)))

    login = event_record_adapter.validate_json(record_json("login"))
    void = VoidRecord(type="void", event_id=uuid.uuid4(), voided_event_id=uuid.uuid4(), platform="skilltech.tools",
                      occurred_at=datetime.now(UTC), received_at=datetime.now(UTC), user_key=USER_KEY_A)
    async with TestKafkaBroker(broker):
        await RecordPublisher(broker, TOPIC, SIGNER).publish([login, void])  # type: ignore[list-item]
    assert [value for value, _ in published] == [login.model_dump_json().encode(), void.model_dump_json().encode()]
    assert all(SIGNER.verify(value, signature) for value, signature in published)
    other = RecordSigner(b"another-key-" + b"o" * 32)
    assert not any(other.verify(value, signature) for value, signature in published)


async def test_batched_records_land_signed_and_acknowledged_on_their_keys_partitions(kafka_bootstrap: str) -> None:
    """The running collector's path: batches per partition through its own producer, shared
    by concurrent requests, on the real embedded broker. Each record sits on the partition Kafka's default partitioner
    gives its key (where a record sent by key would be), whole and signed."""
    topic = f"batched-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, {topic: 3})
    keys = [f"{i:08x}" + "0" * 56 for i in range(0, 4096 * 97, 97)][:300]  # user keys over many buckets
    records = [event_record_adapter.validate_json(record_json("login", user_key=key)) for key in keys]
    async with record_producer(kafka_bootstrap, CollectorSettings(producer_max_batch_bytes=16 * 1024)) as producer:
        # A small batch size: the 300 records fill several batches per partition; ten
        # requests at once share them.
        publisher = RecordPublisher(KafkaBroker(), topic, SIGNER, producer=producer)
        await asyncio.gather(*(publisher.publish(records[i::10]) for i in range(10)))  # type: ignore[arg-type]
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        got = await consumer.getmany(timeout_ms=5000, max_records=1000)
        while sum(map(len, got.values())) < len(records) and (more := await consumer.getmany(timeout_ms=2000)):
            for tp, messages in more.items():
                got.setdefault(tp, []).extend(messages)
    finally:
        await consumer.stop()
    placed = {message.value: (tp.partition, message.key, signature_of(message.headers))
              for tp, messages in got.items() for message in messages}
    partitioner = DefaultPartitioner()
    assert len(placed) == len(records)
    for record in records:
        value = record.model_dump_json().encode()
        partition, key, signature = placed[value]
        assert key == record_key(record.user_key) and partition == partitioner(key, [0, 1, 2], [0, 1, 2])
        assert SIGNER.verify(value, signature)
    assert len({partition for partition, _, _ in placed.values()}) == 3


async def test_an_unreachable_broker_is_broker_unavailable() -> None:
    login = event_record_adapter.validate_json(record_json("login"))
    with pytest.raises(BrokerUnavailable):
        await RecordPublisher(KafkaBroker(), TOPIC, SIGNER, ack_timeout_s=1).publish([login])  # type: ignore[list-item]


async def test_nothing_to_publish_is_acknowledged_at_once(kafka_bootstrap: str) -> None:
    async with record_producer(kafka_bootstrap, CollectorSettings()) as producer:
        await RecordPublisher(KafkaBroker(), TOPIC, SIGNER, producer=producer).publish([])
