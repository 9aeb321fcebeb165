"""The nasty corpus written straight to the events topic of a real stack (tansu, the
aggregator, chdb): every record becomes a dead letter, and no marker reaches
`rejected_events`, the DLQ topic (values, keys, headers) or the logs. A letter whose safe
fields are a whole event is replayed and stored, still without a marker."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka import KafkaBroker

from skillpulse.app import Stack
from skillpulse.config import Settings
from skillpulse.dead_letters import ReplayOutcome, replay_dead_letters
from skillpulse.kafka import end_offsets
from skillpulse.kafka.signing import record_signer
from skillpulse.kafka.topics import ensure_topics, wait_until_drained
from tests.aggregator.nasty_records import CORPUS, EMAIL, markers_in

pytestmark = pytest.mark.integration


async def _dlq_messages(bootstrap: str, topic: str, count: int) -> list[str]:
    """Every message of the DLQ topic, value, key and headers, as text."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    found: list[str] = []
    try:
        while len(found) < count:
            batches = await consumer.getmany(timeout_ms=10_000)
            if not batches:
                break
            for records in batches.values():
                found += [repr((record.value, record.key, record.headers)) for record in records]
    finally:
        await consumer.stop()
    return found


async def _drained(stack: Stack, settings: Settings) -> None:
    await wait_until_drained(stack.bootstrap, settings.kafka.topic, settings.aggregator.group_id, timeout_s=60)


def _rows(stack: Stack, table: str) -> list[dict[str, Any]]:
    assert stack.store is not None
    text = stack.store.raw_query(f"SELECT * FROM {table} FORMAT JSONEachRow").decode()
    return [json.loads(line) for line in text.splitlines()]


async def _write_corpus(settings: Settings) -> None:
    """The corpus onto the events topic, before the stack starts: the test's own producer
    logs what it sends at DEBUG, and only the stack's logs are the subject here."""
    assert settings.kafka.bootstrap is not None
    await ensure_topics(settings.kafka.bootstrap, {settings.kafka.topic: settings.kafka.partitions,
                                                   settings.kafka.dlq_topic: 1, settings.kafka.stats_topic: 1})
    # Signed with the stack's key: the subject is what a letter keeps of a nasty record, not
    # the refusal of unsigned ones (then every letter would be `unsigned_record`).
    signer = record_signer(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka.bootstrap, max_request_size=8 * 1024 * 1024)
    await producer.start()
    try:
        for nasty in CORPUS:
            await producer.send_and_wait(settings.kafka.topic, nasty.value, key=nasty.key,
                                         headers=[*nasty.headers, *signer.kafka_headers(nasty.value)], partition=0)
        # The stats topic too: the aggregator reads it, and a malformed record there is logged.
        bad_stats = ({"at": EMAIL}, {"at": "2026-03-01T10:00:00+00:00", "service": "c", "samples": [[1, 2, 3, EMAIL]]})
        for stats in bad_stats:
            await producer.send_and_wait(settings.kafka.stats_topic, json.dumps(stats).encode())
    finally:
        await producer.stop()


async def test_nasty_records_become_dead_letters_without_identifiers(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    await _write_corpus(settings)
    # The most the CLI logs (`-v`: INFO), and the package's own loggers (FastStream's
    # included) at DEBUG. Not aiokafka's DEBUG: it prints raw fetch responses, records and all.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="skillpulse")
    async with Stack(settings) as stack:
        await _drained(stack, settings)
        await wait_until_drained(stack.bootstrap, settings.kafka.stats_topic, f"{settings.aggregator.group_id}.stats",
                                 timeout_s=60)
        assert "malformed stats record" in caplog.text  # read, and said so
        letters = _rows(stack, "rejected_events")
        assert sorted(letter["kafka_offset"] for letter in letters) == list(range(len(CORPUS)))
        assert [letter for letter in letters if markers_in(json.dumps(letter, ensure_ascii=False))] == []
        assert _rows(stack, "events") == []
        dlq = await _dlq_messages(stack.bootstrap, settings.kafka.dlq_topic, len(CORPUS))
        assert len(dlq) == len(CORPUS)
        assert [message for message in dlq if markers_in(message)] == []

        # Replay: the letters whose safe fields are a whole event go back and are stored.
        replayable = [letter for letter in letters if letter["replayable"]]
        assert replayable  # the corpus has records that only carry an unknown key on top
        assert stack.store is not None
        broker = KafkaBroker(stack.bootstrap)
        async with broker:
            await broker.start()
            outcome = await replay_dead_letters(stack.store, broker, settings.kafka.topic, record_signer(settings))
        assert outcome == ReplayOutcome(replayed=len(replayable), skipped=len(CORPUS) - len(replayable))
        await _drained(stack, settings)
        stored = _rows(stack, "events")
        assert sorted(row["event_id"] for row in stored) == sorted(letter["event_id"] for letter in replayable)
        assert [row for row in stored if markers_in(json.dumps(row, ensure_ascii=False))] == []
        assert await end_offsets(stack.bootstrap, settings.kafka.topic)  # the topic is there, and was read
    assert [r.name + ": " + r.getMessage()[:300] for r in caplog.records if markers_in(r.getMessage())] == []
