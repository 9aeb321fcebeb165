"""An intake route served in-process on FastStream's TestKafkaBroker, with what it published."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from skillpulse.access import Access, KeyRecord, Keyring, hash_token
from skillpulse.collector.intake import Intake
from skillpulse.collector.publisher import RecordPublisher
from skillpulse.config import CollectorSettings
from skillpulse.health.stats import CollectorStats
from skillpulse.kafka.signing import RecordSigner
from skillpulse.pseudonym import Pseudonymiser

TOPIC = "skillpulse.events.v1"


def platform_keyring(path: Path, keys: dict[str, str]) -> Keyring:
    """A keyring at `path` holding {plain key: platform}."""
    ring = Keyring(path)
    ring.add_hash(KeyRecord(key_id=f"key_{platform}", access=Access.PLATFORM, platform=platform, sha256=hash_token(key),
                            created_at=datetime.now(UTC)) for key, platform in keys.items())
    return ring


@asynccontextmanager
async def served(route: Callable[[Intake], APIRouter], settings: CollectorSettings,
                 stats: CollectorStats) -> AsyncIterator[tuple[httpx.AsyncClient, list[bytes]]]:
    """A client of the app serving `route(intake)`, and the record values published so far."""
    broker = KafkaBroker()
    published: list[bytes] = []

    @broker.subscriber(TOPIC)
    async def capture(message: KafkaMessage) -> None:
        published.append(message.body)

    app = FastAPI()
    publisher = RecordPublisher(broker, TOPIC, RecordSigner(b"s" * 32))
    app.include_router(route(Intake(settings, Pseudonymiser(b"s" * 32), publisher, stats)))
    async with (TestKafkaBroker(broker),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client):
        yield client, published
