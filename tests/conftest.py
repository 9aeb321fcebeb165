"""Shared fixtures. The real embedded broker (tansu) and store (chdb) are started once
per session; each test gets its own database, topic and consumer group on them, since
one process can open one chdb path only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.config import (
    AggregatorSettings,
    ClickHouseSettings,
    CollectorSettings,
    KafkaSettings,
    PathSettings,
    PrivacySettings,
    Settings,
)
from skillpulse.kafka import EmbeddedKafka
from skillpulse.store import apply_migrations, open_store


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    broker = EmbeddedKafka(tmp_path_factory.mktemp("tansu"))
    yield broker.start()
    broker.stop()


@pytest.fixture
def settings(tmp_path: Path, chdb_path: Path, kafka_bootstrap: str) -> Settings:
    unique = uuid.uuid4().hex[:10]
    return Settings(
        paths=PathSettings(data_dir=tmp_path / "data"),
        kafka=KafkaSettings(bootstrap=kafka_bootstrap, topic=f"events-{unique}", dlq_topic=f"dlq-{unique}",
                            stats_topic=f"stats-{unique}", partitions=3),
        clickhouse=ClickHouseSettings(path=chdb_path, database=f"test_{unique}"),
        privacy=PrivacySettings(),
        collector=CollectorSettings(port=0),
        aggregator=AggregatorSettings(group_id=f"aggregator-{unique}", batch_timeout_ms=100, retry_backoff_s=0.2),
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Client]:
    client = open_store(settings)
    apply_migrations(client)
    yield client
    client.close()
