"""Event factories for tests: platform events (HTTP bodies) and stored rows."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from clickhouse_connect.driver.client import Client

from skillpulse.aggregator import build_batch, write_batch
from skillpulse.contract import event_record_adapter
from skillpulse.store.rollups import refresh_pending

USER_KEY_A = "a" * 64


def platform_event(kind: str = "login", **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": "2026-03-01T10:00:00+01:00",
        "user_id": "teacher-42@school.lu",
    }
    base |= {
        "login": {"method": "sso"},
        "tool_use": {"tool_id": "quiz-maker", "tool_category": "assessment", "action": "create"},
        "training": {"training_id": "intro-ai", "status": "completed"},
    }[kind]
    return base | overrides


def record_json(kind: str = "login", *, user_key: str = USER_KEY_A, platform: str = "skilltech.tools",
                **overrides: Any) -> bytes:
    """A Kafka record value as the collector writes it."""
    event = platform_event(kind, **overrides)
    event.pop("user_id")
    event |= {"user_key": user_key, "platform": platform, "received_at": datetime.now(UTC).isoformat()}
    return event_record_adapter.validate_python(event).model_dump_json().encode()


class FakeRecord:
    def __init__(self, value: bytes | None, offset: int = 0, partition: int = 0, topic: str = "t",
                 headers: tuple[tuple[str, bytes], ...] = ()) -> None:
        self.value, self.offset, self.partition, self.topic, self.headers = value, offset, partition, topic, headers


def store_records(store: Client, values: list[bytes]) -> None:
    """Write record values the way the aggregator does (its conversion and insert)."""
    batch = build_batch([FakeRecord(value, offset) for offset, value in enumerate(values)])
    assert not batch.rejected, batch.rejected
    write_batch(store, batch)
    refresh_pending(store, wait_for_visibility=False)


def login(user: str, occurred_at: datetime | str, *, event_id: str | None = None,
          platform: str = "skilltech.tools") -> bytes:
    when = occurred_at if isinstance(occurred_at, str) else occurred_at.isoformat()
    return record_json("login", user_key=hashlib.sha256(user.encode()).hexdigest(), platform=platform, occurred_at=when,
                       event_id=event_id or str(uuid.uuid4()))


def clear_store(store: Client) -> None:
    """Empty every table (rollups included), keeping the schema."""
    for (table,) in store.query("SELECT name FROM system.tables WHERE database = currentDatabase() "
                                "AND engine LIKE '%MergeTree' AND name != 'schema_migrations'").result_rows:
        store.command(f"TRUNCATE TABLE {table}")
