"""The SDK's spool across a real collector outage: a collector process and an aggregator
process on the session's broker (tests/faults/harness.py); the collector is stopped, the
platform goes on sending, even restarts, and once the collector is back every event is
stored exactly once (compared by event_id with the store, through the shared ledger)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from skillpulse.kafka import wait_until_drained
from skillpulse.loadtest.ledger import compare_ledger
from skillpulse.sdk import AsyncSkillpulseClient, RetryPolicy, login, training
from tests.faults.harness import API_KEY, Deployment

pytestmark = pytest.mark.integration


def _spooled(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM pending").fetchone()[0])


async def test_events_sent_while_the_collector_is_down_are_stored_once_each_after_it_is_back(
        tmp_path: Path, kafka_bootstrap: str) -> None:
    deployment, spool = Deployment(tmp_path / "deployment", kafka_bootstrap), tmp_path / "platform" / "spool.db"
    before = [login(f"teacher-{i}", method="sso") for i in range(200)]
    while_down = [training(f"teacher-{i}", training_id="intro-ai", status="completed") for i in range(300)]
    after_restart = [login(f"pupil-{i}") for i in range(200)]

    def client() -> AsyncSkillpulseClient:
        return AsyncSkillpulseClient(f"http://127.0.0.1:{deployment.collector_port}", API_KEY, spool_path=spool,
                                     batch_size=100, flush_interval_s=0.2, retry=RetryPolicy(base_s=0.1, max_s=1.0),
                                     close_timeout_s=2.0, keep_ids=True)

    try:
        await asyncio.to_thread(deployment.start_aggregator)
        await asyncio.to_thread(deployment.start_collector)
        first = await client().start()
        await first.send_many(before)
        await first.flush(timeout_s=60)
        assert first.report.accepted == 200 and _spooled(spool) == 0

        assert deployment.collector is not None
        await asyncio.to_thread(deployment.collector.stop)
        retries = first.report.retries
        await first.send_many(while_down)
        await asyncio.sleep(2.0)  # it tries meanwhile, and keeps them
        assert first.report.retries > retries and first.unsent == 300
        await first.aclose()  # the platform restarts too, still without a collector
        assert _spooled(spool) == 300

        second = await client().start()
        await second.send_many(after_restart)
        await asyncio.sleep(1.0)
        assert second.unsent == 500 and second.report.accepted == 0

        await asyncio.to_thread(deployment.start_collector)  # back, on the same port
        await second.flush(timeout_s=120)
        await second.aclose()
        assert _spooled(spool) == 0
        await wait_until_drained(deployment.bootstrap, deployment.topic, deployment.group, 300)
    finally:
        await asyncio.to_thread(deployment.stop)

    sent = {str(event.event_id) for event in before + while_down + after_restart}
    assert first.report.accepted_ids | second.report.accepted_ids == sent
    figures = compare_ledger(sent, await asyncio.to_thread(deployment.stored_counts))
    assert figures == {"acknowledged": 700, "stored": 700, "lost": 0, "duplicated": 0, "unexpected": 0}
