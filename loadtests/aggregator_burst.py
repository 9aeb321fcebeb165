"""The aggregator alone under a burst: records written straight to Kafka with aiokafka
(no collector), a separate `skillpulse up --role aggregator` process storing them, and
its peak RSS read from /proc. Baseline in the same run: the raw clickhouse-connect
columnar insert of the same rows into the same kind of store.

    python loadtests/aggregator_burst.py [--events 500000] [--batch-rows 50000]

Prints figures and writes loadtests/results/aggregator-burst.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer

from skillpulse.aggregator import build_batch
from skillpulse.aggregator.batch import EVENT_COLUMNS, to_columns
from skillpulse.config import ClickHouseSettings, Settings
from skillpulse.kafka import EmbeddedKafka, ensure_topics, record_key, wait_until_drained
from skillpulse.store import apply_migrations, open_store

RESULTS = Path(__file__).parent / "results"
TOPIC, GROUP = "burst.events.v1", "burst-aggregator"


def records(count: int, seed: int = 1) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs of valid pseudonymous login records over the last 60 days."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    users = [hashlib.sha256(f"user-{i}".encode()).hexdigest() for i in range(max(1, count // 20))]
    out = []
    for _ in range(count):
        user = rng.choice(users)
        value = {"schema_version": "v1", "type": "login", "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                 "occurred_at": (now - timedelta(seconds=rng.randint(0, 60 * 86400))).isoformat(),
                 "platform": "skilltech.tools", "user_key": user, "received_at": now.isoformat(),
                 "organisation_id": f"school-{rng.randint(0, 99)}", "session_id": None, "method": "sso"}
        out.append((record_key(user), json.dumps(value).encode()))
    return out


async def produce(bootstrap: str, pairs: list[tuple[bytes, bytes]]) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    started = time.perf_counter()
    try:
        for start in range(0, len(pairs), 10_000):
            futures = [await producer.send(TOPIC, value, key=key) for key, value in pairs[start:start + 10_000]]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


def memory_mb(pid: int) -> dict[str, float]:
    """VmHWM (the kernel's peak), VmRSS and its anonymous and file-backed parts, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


class MemoryTimeline(threading.Thread):
    """RSS of a process every 0.25 s, labelled with the phase the benchmark is in."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.phase, self.samples, self.done = pid, "start", [], threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.25):
            try:
                self.samples.append((self.phase, memory_mb(self.pid)))
            except OSError:
                return

    def peaks(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for phase, sample in self.samples:
            peak = out.setdefault(phase, {})
            for name in ("VmRSS", "RssAnon", "RssFile"):
                peak[name] = round(max(peak.get(name, 0.0), sample[name]))
        return out


def raw_insert_baseline(pairs: list[tuple[bytes, bytes]], path: Path) -> float:
    """clickhouse-connect's columnar insert of the same rows, nothing else."""
    store = open_store(Settings(clickhouse=ClickHouseSettings(path=path, database="baseline")))
    apply_migrations(store)
    store.command("CREATE TABLE IF NOT EXISTS raw AS events")  # same columns and engine, no views attached
    batch = build_batch([type("R", (), {"topic": TOPIC, "partition": 0, "offset": i, "value": v})()
                         for i, (_, v) in enumerate(pairs)])
    columns = to_columns(batch.events)
    started = time.perf_counter()
    for start in range(0, len(batch.events), 50_000):
        store.insert("raw", [column[start:start + 50_000] for column in columns], column_names=EVENT_COLUMNS,
                     column_oriented=True)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--batch-rows", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=RESULTS / "aggregator-burst.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="skillpulse-burst-"))
    broker = EmbeddedKafka(work / "broker")
    bootstrap = broker.start()
    pairs = records(args.events)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")} | {
        "SKILLPULSE_KAFKA_BOOTSTRAP": bootstrap, "SKILLPULSE_KAFKA_TOPIC": TOPIC,
        "SKILLPULSE_AGGREGATOR_GROUP_ID": GROUP, "SKILLPULSE_AGGREGATOR_BATCH_MAX_ROWS": str(args.batch_rows),
        "SKILLPULSE_CLICKHOUSE_PATH": str(work / "store"), "SKILLPULSE_PSEUDONYM_KEY": "f" * 64,
        "SKILLPULSE_COLLECTOR_API_KEY_HASHES": "{}"}
    try:
        asyncio.run(ensure_topics(bootstrap, {TOPIC: 6}))
        produce_s = asyncio.run(produce(bootstrap, pairs))  # the burst waits in Kafka first
        aggregator = subprocess.Popen([sys.executable, "-m", "skillpulse", "--data-dir", str(work / "agg"), "up",
                                       "--role", "aggregator", "--port", "0"], env=env)
        timeline = MemoryTimeline(aggregator.pid)
        timeline.start()
        started = time.perf_counter()
        timeline.phase = "drain"
        asyncio.run(wait_until_drained(bootstrap, TOPIC, GROUP, 1800))
        drain_s = time.perf_counter() - started
        print(f"stored: {args.events / drain_s:,.0f} events/s", flush=True)
        timeline.phase = "catch-up"
        state = json.loads((work / "agg" / "stack.json").read_text())
        httpx.post(f"{state['url']}/v1/rollups/refresh", timeout=1800).raise_for_status()
        catch_up_s = time.perf_counter() - started - drain_s
        time.sleep(2)
        timeline.phase = "idle"
        time.sleep(5)
        rss = memory_mb(aggregator.pid)["VmHWM"]
        timeline.done.set()
        aggregator.terminate()
        aggregator.wait(600)
    finally:
        broker.stop()
    baseline_s = raw_insert_baseline(pairs, work / "baseline-store")
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(), "events": args.events,
        "batch_rows": args.batch_rows, "produce_events_per_s": round(args.events / produce_s),
        "aggregator_events_per_s": round(args.events / drain_s),
        "aggregator_seconds_incl_start_and_group_join": round(drain_s, 1),
        "rollups_caught_up_after_drain_s": round(catch_up_s, 1), "aggregator_peak_rss_mb": round(rss),
        "aggregator_rss_peaks_by_phase_mb": timeline.peaks(), "raw_insert_baseline_events_per_s": round(args.events / baseline_s),
        "aggregator_share_of_baseline": round(baseline_s / drain_s, 3),
    }
    print(json.dumps(figures, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
