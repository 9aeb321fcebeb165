"""Hands validated, pseudonymised records to Kafka and waits for the broker's acks."""

from __future__ import annotations

import asyncio

from faststream.kafka import KafkaBroker

from skillpulse.contract import LoginRecord, ToolUseRecord, TrainingRecord
from skillpulse.errors import SkillpulseError
from skillpulse.kafka.signing import RecordSigner
from skillpulse.kafka.topics import record_key


class BrokerUnavailable(SkillpulseError, RuntimeError):
    """The broker did not acknowledge every record in time (503)."""


class RecordPublisher:
    def __init__(self, broker: KafkaBroker, topic: str, signer: RecordSigner, ack_timeout_s: float = 10.0) -> None:
        self.broker, self.topic, self.signer, self.ack_timeout_s = broker, topic, signer, ack_timeout_s

    async def publish(self, records: list[LoginRecord | ToolUseRecord | TrainingRecord]) -> None:
        """Return once the broker acknowledged every record (acks=all); raise otherwise."""
        try:
            async with asyncio.timeout(self.ack_timeout_s):
                # Keyed by a bucket of user_key: one user's events stay in order on one partition.
                values = [(record.model_dump_json().encode(), record_key(record.user_key)) for record in records]
                pending = [
                    await self.broker.publish(value, self.topic, key=key, headers=self.signer.headers(value),
                                              no_confirm=True)
                    for value, key in values
                ]
                # (FastStream's TestKafkaBroker delivers at once and hands back no future.)
                await asyncio.gather(*(ack for ack in pending if asyncio.isfuture(ack)))
        except Exception as exc:  # aiokafka errors and the timeout alike
            raise BrokerUnavailable(f"broker did not acknowledge: {type(exc).__name__}: {exc}") from exc

    async def ready(self) -> bool:
        return await self.broker.ping(timeout=2.0)
