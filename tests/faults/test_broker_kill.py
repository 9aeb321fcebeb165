"""kill -9 of the embedded broker (tansu) and of its object store (SeaweedFS) while events
flow into a durable `skillpulse up`: the stack restarts the dead server, the collector
never answers 202 for what it could not hand over, and every acknowledged event is stored
exactly once in `events` itself. Recovery: from the kill to the first 202 after it.

CI runs one kill of each; SKILLPULSE_FAULTS_FULL=1 runs five broker kills and writes the
figures to loadtests/results/reliability.json (key "broker_kills").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from skillpulse.kafka import wait_until_drained
from skillpulse.role_process import RoleProcess
from tests.faults.harness import API_KEY, Deployment, Ledger, kill_embedded_server
from tests.faults.test_delivery import _send

pytestmark = pytest.mark.integration

FULL = os.environ.get("SKILLPULSE_FAULTS_FULL") == "1"
BROKER_KILLS, STORE_KILLS, EVENTS = (5, 1, 50_000) if FULL else (1, 1, 4_000)
RESULTS = Path(__file__).parents[2] / "loadtests" / "results"


def _probe_until_accepted(port: int, ledger: Ledger, statuses: Counter[int], timeout_s: float = 60) -> float:
    """POST one event every 0.1 s until it is acknowledged; seconds it took. The same
    event each time, as a client retries: a 503 may still have reached the broker."""
    started = time.monotonic()
    event = {"event_id": str(uuid.uuid4()), "type": "login", "occurred_at": datetime.now(UTC).isoformat(),
             "user_id": "probe-user"}
    while time.monotonic() - started < timeout_s:
        try:
            response = httpx.post(f"http://127.0.0.1:{port}/v1/events", json=[event], timeout=30,
                                  headers={"Authorization": f"Bearer {API_KEY}"})
        except httpx.TransportError:
            statuses[0] += 1
        else:
            statuses[response.status_code] += 1
            if response.status_code == 503:
                assert response.headers.get("Retry-After"), "a 503 without Retry-After"
            if response.status_code == 202:
                ledger.acknowledged.add(event["event_id"])
                return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"no event acknowledged {timeout_s:.0f} s after the kill; answers: {dict(statuses)}")


def _kill_and_time(stack: RoleProcess, state_file: str, port: int, ledger: Ledger, statuses: Counter[int]) -> float:
    killed = kill_embedded_server(stack.data_dir, state_file)
    recovery_s = _probe_until_accepted(port, ledger, statuses)
    for _ in range(300):  # the supervisor published the new server before the next kill
        with contextlib.suppress(OSError, ValueError):
            if json.loads((stack.data_dir / state_file).read_text())["pid"] != killed:
                break
        time.sleep(0.1)
    assert stack.alive(), "the stack died with its broker"
    return recovery_s


@pytest.mark.timeout(1800 if FULL else 300)
def test_kill_9_of_the_broker_and_its_object_store_loses_nothing(tmp_path: Path) -> None:
    deployment, ledger, probes = Deployment(tmp_path, bootstrap=""), Ledger(), Ledger()
    statuses: Counter[int] = Counter()
    rng = random.Random(16)
    kills_done = threading.Event()
    recoveries: dict[str, list[float]] = {"broker": [], "object_store": []}
    started = time.monotonic()
    stack = RoleProcess(tmp_path / "stack", "all", port=deployment.collector_port, env=deployment._env(),
                        log=tmp_path / "stack.log").start()
    try:
        bootstrap = stack.wait_ready(timeout_s=120).bootstrap
        sender = threading.Thread(target=_send, args=(deployment.collector_port, ledger, EVENTS, kills_done, 0.02, 5))
        sender.start()
        kills = ["broker.json"] * BROKER_KILLS + ["object_store.json"] * STORE_KILLS
        for state_file in kills:
            time.sleep(rng.uniform(1.0, 3.0))  # mid-stream: produce requests in flight
            name = "broker" if state_file == "broker.json" else "object_store"
            recoveries[name].append(_kill_and_time(stack, state_file, deployment.collector_port, probes, statuses))
        kills_done.set()
        sender.join(timeout=900)
        drain_s = asyncio.run(wait_until_drained(bootstrap, deployment.topic, deployment.group, 600))
    finally:
        kills_done.set()
        stack.stop(timeout_s=120)
    ledger.acknowledged |= probes.acknowledged
    figures = ledger.compare(deployment.stored_counts())
    figures |= {"broker_kills": BROKER_KILLS, "object_store_kills": STORE_KILLS,
                "broker_recovery_s": [round(s, 2) for s in recoveries["broker"]],
                "object_store_recovery_s": [round(s, 2) for s in recoveries["object_store"]],
                "probe_answers": {str(k): v for k, v in sorted(statuses.items())},
                "collector_retries": ledger.retries, "drain_after_last_kill_s": round(drain_s, 1),
                "wall_s": round(time.monotonic() - started, 1)}
    print(json.dumps(figures))
    if FULL:
        results = RESULTS / "reliability.json"
        previous = json.loads(results.read_text()) if results.exists() else {}
        results.write_text(json.dumps(previous | {"broker_kills": figures | {
            "date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count()}}, indent=2) + "\n")
    assert len(ledger.acknowledged) >= EVENTS
    assert (figures["lost"], figures["duplicated"], figures["unexpected"]) == (0, 0, 0), figures
