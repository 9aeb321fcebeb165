"""Nothing lost, nothing stored twice: kill -9 of the aggregator while events flow,
client resends, and a negative control proving the duplicate check can fail.

CI runs a small count; SKILLPULSE_FAULTS_FULL=1 runs the full one (>= 20 kills,
>= 200,000 events) and writes loadtests/results/reliability.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from skillpulse.kafka import wait_until_drained
from tests.faults.harness import Deployment, Ledger, post_events

pytestmark = pytest.mark.integration

FULL = os.environ.get("SKILLPULSE_FAULTS_FULL") == "1"
KILLS, EVENTS = (20, 200_000) if FULL else (3, 12_000)
RESULTS = Path(__file__).parents[2] / "loadtests" / "results"


def _events(rng: random.Random, count: int) -> list[dict[str, object]]:
    now = datetime.now(UTC)
    return [{"event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "type": "login",
             "occurred_at": (now - timedelta(minutes=rng.randint(0, 60 * 24 * 30))).isoformat(),
             "user_id": f"user-{rng.randint(0, 5000)}"} for _ in range(count)]


def _send(port: int, ledger: Ledger, total: int, stop: threading.Event, resend_share: float, seed: int) -> None:
    rng = random.Random(seed)
    history: list[dict[str, object]] = []
    while len(ledger.acknowledged) < total or not stop.is_set():
        batch = _events(rng, 500)
        resends = [rng.choice(history) for _ in range(int(len(batch) * resend_share))] if history else []
        history.extend(batch[:50])
        post_events(port, batch + resends, ledger)
        time.sleep(0.02 if stop.is_set() else 0.1)


def _drain(deployment: Deployment) -> float:
    return asyncio.run(wait_until_drained(deployment.bootstrap, deployment.topic, deployment.group, 600))


def test_kill_9_of_the_aggregator_loses_nothing_and_stores_nothing_twice(tmp_path: Path,
                                                                         kafka_bootstrap: str) -> None:
    deployment, ledger = Deployment(tmp_path, kafka_bootstrap), Ledger()
    rng = random.Random(7)
    kills_done = threading.Event()
    started = time.monotonic()
    try:
        deployment.start_collector()
        deployment.start_aggregator()
        sender = threading.Thread(target=_send, args=(deployment.collector_port, ledger, EVENTS, kills_done, 0.02, 1))
        sender.start()
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.5, 4.0))  # before, during or after an insert, before its commit
            deployment.kill_aggregator()
            deployment.start_aggregator()
        kills_done.set()
        sender.join(timeout=900)
        recovery_s = _drain(deployment)
    finally:
        kills_done.set()
        deployment.stop()
    figures = ledger.compare(deployment.stored_counts())
    figures |= {"kills": KILLS, "sent_including_resends": ledger.sent, "collector_retries": ledger.retries,
                "drain_after_last_restart_s": round(recovery_s, 1), "wall_s": round(time.monotonic() - started, 1)}
    print(json.dumps(figures))
    if FULL:
        (RESULTS / "reliability.json").write_text(json.dumps(figures | {
            "date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count()}, indent=2) + "\n")
    assert len(ledger.acknowledged) >= EVENTS
    assert (figures["lost"], figures["duplicated"], figures["unexpected"]) == (0, 0, 0), figures


def test_negative_control_without_deduplication_the_check_sees_duplicates(tmp_path: Path,
                                                                          kafka_bootstrap: str) -> None:
    deployment, ledger = Deployment(tmp_path, kafka_bootstrap, deduplicate=False), Ledger()
    try:
        deployment.start_collector()
        deployment.start_aggregator()
        done = threading.Event()
        done.set()
        _send(deployment.collector_port, ledger, 3000, done, 0.1, 2)
        _drain(deployment)
    finally:
        deployment.stop()
    figures = ledger.compare(deployment.stored_counts())
    assert figures["lost"] == 0
    assert figures["duplicated"] > 0, "the duplicate check did not see the resends: it proves nothing"
