"""Dead letters: the record the aggregator stores for what it could not store, listing
them, and replaying them onto the events topic after a fix."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import ValidationError

from skillpulse.contract import LoginRecord, ToolUseRecord, TrainingRecord, VoidRecord, event_record_adapter
from skillpulse.kafka.topics import record_key

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

if TYPE_CHECKING:  # only its type: listing dead letters needs no broker
    from faststream.kafka import KafkaBroker

    from skillpulse.kafka.signing import RecordSigner


class DeadLetter(NamedTuple):
    """A row of `rejected_events`: where the record was, why it failed, and what of it is
    known to be safe (`skillpulse.aggregator.redaction`): never the raw record."""

    stage: str
    reason: str
    field_path: str  # unknown key names in it are `?`
    platform: str
    event_id: str
    received_at: datetime | None
    topic: str
    kafka_partition: int
    kafka_offset: int
    payload: str  # JSON of the safe fields only ('' when none)
    payload_hmac: str  # HMAC-SHA256 of the raw value: identical records, identical hashes
    payload_bytes: int  # size of the raw value
    dropped_keys: int  # top-level keys not kept (unknown names, or values not of the safe shape)
    replayable: bool  # the safe fields are the whole record and form a complete event


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


def letter_json(letter: DeadLetter) -> dict[str, Any]:
    """A dead letter as JSON (the API, the CLI, the DLQ topic): times in ISO 8601."""
    return {_JSON_NAMES.get(name, name): value.isoformat() if isinstance(value, datetime) else value
            for name, value in letter._asdict().items()}


def _as_json(listed: ListedDeadLetter) -> dict[str, Any]:
    return {"rejected_at": listed.rejected_at.isoformat(), **letter_json(listed.letter), "replayed": listed.replayed}


def list_dead_letters(store: Client, *, reason: str = "", limit: int = 100) -> list[dict[str, Any]]:
    """Dead letters, newest first, as the JSON the API serves and the CLI prints."""
    return [_as_json(listed) for listed in read_dead_letters(store, reason=reason, limit=limit)]


class ReplayOutcome(NamedTuple):
    """What a replay did: letters sent back, and pending letters it could not rebuild."""

    replayed: int
    skipped: int


def _rebuilt(letter: DeadLetter) -> LoginRecord | ToolUseRecord | TrainingRecord | VoidRecord | None:
    # Checked again here: the contract may have changed since the letter was written.
    if not letter.replayable:
        return None
    try:
        return event_record_adapter.validate_json(letter.payload)
    except ValidationError:
        return None


def pending_dead_letters(store: Client, *, reason: str = "", limit: int = 10_000) -> list[DeadLetter]:
    """The dead letters not yet replayed, all of them or those of one reason."""
    return [listed.letter for listed in read_dead_letters(store, reason=reason, limit=limit) if not listed.replayed]


async def publish_replays(broker: KafkaBroker, events_topic: str, signer: RecordSigner,
                          pending: list[DeadLetter]) -> list[DeadLetter]:
    """Publish the letters of `pending` whose safe fields form a complete event (their
    payload, as kept, signed like the collector's records) to the events topic: those sent."""
    sent: list[DeadLetter] = []
    for letter in pending:
        event = _rebuilt(letter)
        if event is not None:
            value = letter.payload.encode()
            await broker.publish(value, events_topic, key=record_key(event.user_key), headers=signer.headers(value))
            sent.append(letter)
    return sent


def record_replays(store: Client, sent: list[DeadLetter]) -> None:
    """Mark the letters of `sent` as replayed."""
    if sent:
        replays = [DeadLetterReplay(letter.topic, letter.kafka_partition, letter.kafka_offset) for letter in sent]
        store.insert("dead_letter_replays", replays, column_names=DeadLetterReplay._fields)


async def replay_dead_letters(store: Client, broker: KafkaBroker, events_topic: str, signer: RecordSigner, *,
                              reason: str = "", limit: int = 10_000) -> ReplayOutcome:
    """Publish the not-yet-replayed dead letters that form a complete event to the events
    topic; the others are skipped and counted. Its store calls block: the HTTP route runs
    them off the event loop (api/dead_letters.py)."""
    pending = pending_dead_letters(store, reason=reason, limit=limit)
    sent = await publish_replays(broker, events_topic, signer, pending)
    record_replays(store, sent)
    return ReplayOutcome(replayed=len(sent), skipped=len(pending) - len(sent))
