"""The collector signs every record it publishes (events and voids): the aggregator
dead-letters any record on the topic that it did not sign."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from skillpulse.collector.publisher import RecordPublisher
from skillpulse.contract import VoidRecord, event_record_adapter
from skillpulse.kafka.signing import RecordSigner, signature_of
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
