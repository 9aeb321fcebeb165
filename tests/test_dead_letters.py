"""Dead letters against the real embedded store: listed as the JSON the API and CLI show,
replayed onto the events topic (FastStream's TestKafkaBroker) once each, when their safe
fields form a complete event; the others are skipped and counted."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from clickhouse_connect.driver.client import Client
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from skillpulse.aggregator import build_batch, write_batch
from skillpulse.contract import event_record_adapter
from skillpulse.dead_letters import ReplayOutcome, list_dead_letters, replay_dead_letters
from skillpulse.kafka.signing import RecordSigner, signature_of
from skillpulse.kafka.topics import record_key
from tests.factories import USER_KEY_A, FakeRecord, record_json

EVENTS_TOPIC = "skillpulse.events.v1"
LISTED_KEYS = ["rejected_at", "stage", "reason", "field_path", "platform", "event_id", "received_at", "topic",
               "partition", "offset", "payload", "payload_hmac", "payload_bytes", "dropped_keys", "replayable",
               "replayed"]


def store_dead_letters(store: Client) -> dict[str, Any]:
    """One unreadable record and one drifted one (an unknown field), dead-lettered; returns
    the drifted record without its unknown field (what the letter keeps)."""
    drifted: dict[str, Any] = json.loads(record_json("login"))
    drifted["unexpected"] = True
    batch = build_batch([FakeRecord(b"\x00not json", offset=5, partition=1, topic="events"),
                         FakeRecord(json.dumps(drifted).encode(), offset=6, partition=2, topic="events")])
    assert len(batch.rejected) == 2
    write_batch(store, batch)
    del drifted["unexpected"]
    return drifted


SIGNER = RecordSigner(b"record-signing-key-" + b"k" * 32)


@asynccontextmanager
async def events_topic() -> AsyncIterator[tuple[KafkaBroker, list[tuple[bytes, bytes, bytes | None]]]]:
    """A broker whose events topic keeps what is published to it: (value, key, signature),
    b"" for no key, None for no signature."""
    broker = KafkaBroker()
    published: list[tuple[bytes, bytes, bytes | None]] = []

    @broker.subscriber(EVENTS_TOPIC)
    async def capture(message: KafkaMessage) -> None:
        record = message.raw_message
        published.append((message.body, record.key or b"", signature_of(record.headers)))

    async with TestKafkaBroker(broker):
        yield broker, published


def test_dead_letters_are_listed_with_their_columns_named(store: Client) -> None:
    drifted = store_dead_letters(store)
    letters = sorted(list_dead_letters(store), key=lambda letter: letter["offset"])
    assert [list(letter) for letter in letters] == [LISTED_KEYS, LISTED_KEYS]
    unreadable, unexpected = letters
    assert {key: unreadable[key] for key in LISTED_KEYS[1:]} == {
        "stage": "aggregator", "reason": "invalid_json", "field_path": "", "platform": "", "event_id": "",
        "received_at": None, "topic": "events", "partition": 1, "offset": 5, "payload": "",
        "payload_hmac": unreadable["payload_hmac"], "payload_bytes": 9, "dropped_keys": 0, "replayable": False,
        "replayed": 0}
    assert len(unreadable["payload_hmac"]) == 64 and unreadable["payload_hmac"] != unexpected["payload_hmac"]
    assert (unexpected["reason"], unexpected["field_path"]) == ("extra_forbidden", "login.?")  # a key name can be an id
    assert (unexpected["platform"], unexpected["event_id"]) == ("skilltech.tools", drifted["event_id"])
    assert unexpected["received_at"].startswith(drifted["received_at"][:23])  # ISO, to the millisecond stored
    assert isinstance(datetime.fromisoformat(unexpected["rejected_at"]), datetime)
    assert json.loads(unexpected["payload"]) == drifted  # every field but the unknown one
    assert (unexpected["dropped_keys"], unexpected["replayable"]) == (1, True)
    assert json.loads(json.dumps(letters)) == letters  # JSON as it is
    assert [letter["reason"] for letter in list_dead_letters(store, reason="invalid_json")] == ["invalid_json"]
    assert len(list_dead_letters(store, limit=1)) == 1


async def test_replay_publishes_each_rebuildable_letter_once(store: Client) -> None:
    drifted = store_dead_letters(store)
    async with events_topic() as (broker, published):
        assert await replay_dead_letters(store, broker, EVENTS_TOPIC, SIGNER) == ReplayOutcome(replayed=1, skipped=1)
        [(value, key, signature)] = published
        assert (json.loads(value), key) == (drifted, record_key(USER_KEY_A))
        assert SIGNER.verify(value, signature)  # signed like the collector's records: the aggregator takes it
        assert event_record_adapter.validate_json(value).event_id == UUID(drifted["event_id"])  # stored this time
        # The unreadable letter stays pending, and is skipped (and said so) each time.
        assert await replay_dead_letters(store, broker, EVENTS_TOPIC, SIGNER) == ReplayOutcome(replayed=0, skipped=1)
    assert len(published) == 1
    assert sorted((letter["reason"], letter["replayed"]) for letter in list_dead_letters(store)) == [
        ("extra_forbidden", 1), ("invalid_json", 0)]
