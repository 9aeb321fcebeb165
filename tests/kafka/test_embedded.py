import asyncio
import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from skillpulse.config import EmbeddedBrokerSettings, KafkaSettings
from skillpulse.kafka import EmbeddedKafka, end_offsets, ensure_topics
from skillpulse.kafka.child import ChildServer
from skillpulse.kafka.release import CLUSTER, Consumed
from skillpulse.kafka.supervision import EmbeddedBroker

pytestmark = pytest.mark.integration


def _accepts(bootstrap: str) -> bool:
    host, port = bootstrap.split(":")
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_a_second_stack_borrows_the_broker_and_never_stops_it(tmp_path: Path) -> None:
    owner = EmbeddedKafka(tmp_path)
    bootstrap = owner.start()
    try:
        borrower = EmbeddedKafka(tmp_path)
        assert borrower.start() == bootstrap and not borrower.owned
        borrower.stop()
        assert _accepts(bootstrap)
    finally:
        owner.stop()
    assert not _accepts(bootstrap) and not (tmp_path / "broker.json").exists()


def test_a_broker_left_by_a_crashed_stack_is_adopted(tmp_path: Path) -> None:
    first = EmbeddedKafka(tmp_path)
    bootstrap = first.start()
    state = json.loads((tmp_path / "broker.json").read_text())
    (tmp_path / "broker.json").write_text(json.dumps(state | {"owner": 2**22 + 12345}))  # a dead pid
    second = EmbeddedKafka(tmp_path)
    assert second.start() == bootstrap and second.owned
    second.stop()
    assert not _accepts(bootstrap)


def test_a_broker_left_by_a_stack_of_the_previous_release_is_adopted(tmp_path: Path) -> None:
    first = EmbeddedKafka(tmp_path)
    bootstrap = first.start()
    legacy = {"pid": first.pid, "port": first.port, "owner": 2**22 + 12345}  # before the object store
    (tmp_path / "broker.json").write_text(json.dumps(legacy))
    second = EmbeddedKafka(tmp_path)
    assert second.start() == bootstrap and second.owned and second.pid == first.pid
    second.stop()
    assert not _accepts(bootstrap)


def _durable(tmp_path: Path) -> EmbeddedBroker:
    return EmbeddedBroker(tmp_path, KafkaSettings(topic="durable", partitions=2),
                          EmbeddedBrokerSettings(storage="durable"))


def _kill_9(server: ChildServer) -> None:
    assert server.pid is not None
    os.kill(server.pid, signal.SIGKILL)
    while server.alive():  # delivered, not yet dead
        time.sleep(0.01)


async def _produce(bootstrap: str, count: int, start: int = 0) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send("durable", str(i).encode(), key=str(i % 7).encode())
                   for i in range(start, start + count)]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _consume(bootstrap: str, count: int, group: str | None = None, commit: bool = False) -> list[bytes]:
    consumer = AIOKafkaConsumer("durable", bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    values: list[bytes] = []
    try:
        async with asyncio.timeout(60):
            while len(values) < count:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    values += [record.value or b"" for record in records]
        if commit:
            await consumer.commit()
    finally:
        await consumer.stop()
    return values


async def test_a_durable_broker_killed_and_restarted_serves_every_acknowledged_record(tmp_path: Path) -> None:
    broker = _durable(tmp_path)
    bootstrap = await asyncio.to_thread(broker.start)
    try:
        await ensure_topics(bootstrap, broker.topics())
        await _produce(bootstrap, 2000)
        _kill_9(broker.kafka)
        restarts = await asyncio.to_thread(broker.heal)
        assert [restart.server for restart in restarts] == [broker.kafka.name]
        assert broker.kafka.bootstrap == bootstrap  # the same port: clients resume by themselves
        await _produce(bootstrap, 500, start=2000)
        values = await _consume(bootstrap, 2500)
    finally:
        await asyncio.to_thread(broker.stop)
    assert sorted(values, key=int) == [str(i).encode() for i in range(2500)]


async def test_the_memory_engine_loses_records_with_the_broker(tmp_path: Path) -> None:
    """The negative control: what `storage=memory` means."""
    broker = EmbeddedBroker(tmp_path, KafkaSettings(topic="durable", partitions=2),
                            EmbeddedBrokerSettings(storage="memory"))
    bootstrap = await asyncio.to_thread(broker.start)
    try:
        await ensure_topics(bootstrap, broker.topics())
        await _produce(bootstrap, 100)
        _kill_9(broker.kafka)
        await asyncio.to_thread(broker.heal)
        await ensure_topics(bootstrap, broker.topics())
        assert sum((await end_offsets(bootstrap, "durable")).values()) == 0
    finally:
        await asyncio.to_thread(broker.stop)


async def test_batches_a_group_committed_are_released_and_the_group_reads_on(tmp_path: Path) -> None:
    broker = _durable(tmp_path)
    bootstrap = await asyncio.to_thread(broker.start)
    assert broker.object_store is not None
    prefix = [f"clusters/{CLUSTER}/topics/durable/partitions/{p:0>10}/records" for p in range(2)]
    try:
        await ensure_topics(bootstrap, broker.topics())
        await _produce(bootstrap, 1000)
        before = sum(len(list(broker.object_store.entries(p))) for p in prefix)
        assert await _consume(bootstrap, 1000, group="g", commit=True)
        await _produce(bootstrap, 300, start=1000)
        released = await broker.release([Consumed("durable", "g")])
        assert before - 2 <= released <= before  # every consumed batch, but perhaps each partition's newest
        assert all(list(broker.object_store.entries(p)) for p in prefix)  # the unconsumed ones stay
        rest = await _consume(bootstrap, 300, group="g")
        assert sorted(rest, key=int) == [str(i).encode() for i in range(1000, 1300)]
    finally:
        await asyncio.to_thread(broker.stop)
