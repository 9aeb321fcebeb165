"""Dead letters: the record the aggregator stores for what it could not store, listing
them, and replaying them onto the events topic after a fix."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from skillpulse.kafka.topics import record_key

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

if TYPE_CHECKING:  # only its type: listing dead letters needs no broker
    from faststream.kafka import KafkaBroker


class DeadLetter(NamedTuple):
    """A row of `rejected_events`: where the record was, why it failed, and its payload."""

    stage: str
    reason: str
    field_path: str
    platform: str
    event_id: str
    received_at: datetime | None
    topic: str
    kafka_partition: int
    kafka_offset: int
    payload: str


class ListedDeadLetter(NamedTuple):
    """A stored dead letter: when it was rejected, and whether it was replayed since."""

    rejected_at: datetime
    letter: DeadLetter
    replayed: int  # 0 or 1, the UInt8 of ClickHouse's IN, as the API has always shown it


class DeadLetterReplay(NamedTuple):
    """A row of `dead_letter_replays`: the Kafka position of a letter already replayed."""

    topic: str
    kafka_partition: int
    kafka_offset: int


REJECTED_COLUMNS = DeadLetter._fields
_REPLAYED = ", ".join(DeadLetterReplay._fields)
_LISTED = f"""
SELECT rejected_at, {", ".join(REJECTED_COLUMNS)},
       ({_REPLAYED}) IN (SELECT {_REPLAYED} FROM dead_letter_replays) AS replayed
FROM rejected_events
WHERE ({{reason:String}} = '' OR reason = {{reason:String}})
ORDER BY rejected_at DESC
LIMIT {{limit:UInt32}}"""

# The API's names for the Kafka position (`GET /v1/dead-letters`, `skillpulse dlq list`).
_JSON_NAMES = {"kafka_partition": "partition", "kafka_offset": "offset"}


def read_dead_letters(store: Client, *, reason: str = "", limit: int = 100) -> list[ListedDeadLetter]:
    """Dead letters, newest first, all of them or those of one reason."""
    rows = store.query(_LISTED, parameters={"reason": reason, "limit": limit}).result_rows
    return [ListedDeadLetter(rejected_at, DeadLetter(*letter), replayed) for rejected_at, *letter, replayed in rows]


def _as_json(listed: ListedDeadLetter) -> dict[str, Any]:
    letter = {_JSON_NAMES.get(name, name): value for name, value in listed.letter._asdict().items()}
    document = {"rejected_at": listed.rejected_at, **letter, "replayed": listed.replayed}
    return {name: value.isoformat() if isinstance(value, datetime) else value for name, value in document.items()}


def list_dead_letters(store: Client, *, reason: str = "", limit: int = 100) -> list[dict[str, Any]]:
    """Dead letters, newest first, as the JSON the API serves and the CLI prints."""
    return [_as_json(listed) for listed in read_dead_letters(store, reason=reason, limit=limit)]


async def replay_dead_letters(store: Client, broker: KafkaBroker, events_topic: str, *, reason: str = "",
                              limit: int = 10_000) -> int:
    """Publish not-yet-replayed dead letters to the events topic; return how many."""
    pending = [listed.letter for listed in read_dead_letters(store, reason=reason, limit=limit) if not listed.replayed]
    for letter in pending:
        try:
            key = json.loads(letter.payload).get("user_key")
        except (ValueError, AttributeError):
            key = None
        await broker.publish(letter.payload.encode(), events_topic,
                             key=record_key(key) if isinstance(key, str) else None)
    if pending:
        replays = [DeadLetterReplay(letter.topic, letter.kafka_partition, letter.kafka_offset) for letter in pending]
        store.insert("dead_letter_replays", replays, column_names=DeadLetterReplay._fields)
    return len(pending)
