"""SIGTERM of the aggregator in the middle of a backlog: it stops consuming, finishes the
batch in hand, drains what is on the topic, commits, and exits 0; nothing is lost."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from skillpulse.kafka import end_offsets, wait_until_consumed
from tests.faults.harness import Deployment, Ledger, post_events
from tests.faults.test_delivery import _events

pytestmark = pytest.mark.integration


async def _until_storing(deployment: Deployment, ends: dict[int, int]) -> None:
    """Return once the aggregator has committed something but not everything."""
    consumer = AIOKafkaConsumer(bootstrap_servers=deployment.bootstrap, group_id=deployment.group)
    await consumer.start()
    try:
        for _ in range(600):
            committed = sum([await consumer.committed(TopicPartition(deployment.topic, p)) or 0 for p in ends])
            if committed:
                assert committed < sum(ends.values()), "the backlog was gone before the signal"
                return
            await asyncio.sleep(0.1)
        raise TimeoutError("the aggregator stored nothing in 60 s")
    finally:
        await consumer.stop()


def test_sigterm_flushes_commits_and_exits_cleanly(tmp_path: Path, kafka_bootstrap: str) -> None:
    # Small batches, so that the signal lands between many of them.
    deployment = Deployment(tmp_path, kafka_bootstrap, extra_env={"SKILLPULSE_AGGREGATOR_BATCH_MAX_ROWS": "1000"})
    ledger, rng = Ledger(), random.Random(11)
    try:
        deployment.start_collector()
        for _ in range(40):  # a backlog first: 20,000 events waiting in Kafka
            post_events(deployment.collector_port, _events(rng, 500), ledger)
        deployment.start_aggregator()
        assert deployment.aggregator is not None
        ends = asyncio.run(end_offsets(kafka_bootstrap, deployment.topic))
        asyncio.run(_until_storing(deployment, ends))
        started = time.monotonic()
        exit_code = deployment.aggregator.stop(timeout_s=120)  # SIGTERM, then wait
        stopping_s = time.monotonic() - started
        # Already committed up to the end: waiting returns at once.
        assert asyncio.run(wait_until_consumed(kafka_bootstrap, deployment.topic, deployment.group, ends, 1)) < 1
    finally:
        deployment.stop()
    assert exit_code == 0, (tmp_path / "aggregator.log").read_text()[-3000:]
    log = (tmp_path / "aggregator.log").read_text()
    assert "Traceback" not in log and "stopped" in log
    assert ledger.compare(deployment.stored_counts()) == {"acknowledged": 20_000, "stored": 20_000, "lost": 0,
                                                          "duplicated": 0, "unexpected": 0}
    print(f"SIGTERM to exit: {stopping_s:.1f} s")
