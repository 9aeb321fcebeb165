"""Dead letters: list them, and replay them onto the events topic after a fix."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from clickhouse_connect.driver.client import Client
from fastapi import APIRouter
from faststream.kafka import KafkaBroker

from skillpulse.kafka.topics import record_key

_PENDING = """
SELECT rejected_at, stage, reason, field_path, platform, event_id, received_at, topic, kafka_partition,
       kafka_offset, payload,
       (topic, kafka_partition, kafka_offset) IN (SELECT topic, kafka_partition, kafka_offset
                                                  FROM dead_letter_replays) AS replayed
FROM rejected_events
WHERE ({reason:String} = '' OR reason = {reason:String})
ORDER BY rejected_at DESC
LIMIT {limit:UInt32}"""

_FIELDS = ("rejected_at", "stage", "reason", "field_path", "platform", "event_id", "received_at", "topic",
           "partition", "offset", "payload", "replayed")


def list_dead_letters(store: Client, *, reason: str = "", limit: int = 100) -> list[dict[str, Any]]:
    rows = store.query(_PENDING, parameters={"reason": reason, "limit": limit}).result_rows
    return [{name: value.isoformat() if hasattr(value, "isoformat") else value
             for name, value in zip(_FIELDS, row, strict=True)} for row in rows]


async def replay_dead_letters(store: Client, broker: KafkaBroker, events_topic: str, *, reason: str = "",
                              limit: int = 10_000) -> int:
    """Publish not-yet-replayed dead letters to the events topic; return how many."""
    pending = [letter for letter in list_dead_letters(store, reason=reason, limit=limit) if not letter["replayed"]]
    for letter in pending:
        try:
            key = json.loads(letter["payload"]).get("user_key")
        except (ValueError, AttributeError):
            key = None
        await broker.publish(letter["payload"].encode(), events_topic,
                             key=record_key(key) if isinstance(key, str) else None)
    if pending:
        store.insert("dead_letter_replays", [[p["topic"], p["partition"], p["offset"]] for p in pending],
                     column_names=["topic", "kafka_partition", "kafka_offset"])
    return len(pending)


def create_dead_letter_router(store: Client, broker: KafkaBroker, events_topic: str) -> APIRouter:
    router = APIRouter(prefix="/v1/dead-letters")

    @router.get("")
    async def dead_letters(reason: str = "", limit: int = 100) -> list[dict[str, Any]]:
        return await asyncio.to_thread(list_dead_letters, store, reason=reason, limit=limit)

    @router.post("/replay")
    async def replay(reason: str = "") -> dict[str, int]:
        return {"replayed": await replay_dead_letters(store, broker, events_topic, reason=reason)}

    return router
