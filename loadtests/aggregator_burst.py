"""The aggregator alone under a burst: records written straight to Kafka with aiokafka
(no collector), a separate `skillpulse up --role aggregator` process storing them, and
its peak RSS read from /proc. Baseline in the same run: the raw clickhouse-connect
columnar insert of the same rows into the same kind of store.

    python loadtests/aggregator_burst.py [--events 500000] [--memory-limit-mb 512] [--set SKILLPULSE_X=V]

Prints figures and writes loadtests/results/aggregator-burst.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib.util
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
from skillpulse.loadtest.cgroup import MemoryCgroup
from skillpulse.loadtest.probes import status_memory
from skillpulse.loadtest.readback import ledger_check
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


class MemoryTimeline(threading.Thread):
    """RSS of a process every 0.25 s, labelled with the phase the benchmark is in."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.phase, self.samples, self.done = pid, "start", [], threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.25):
            sample = status_memory(self.pid)
            if not sample:
                return  # it exited
            self.samples.append((self.phase, sample))

    def peaks(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for phase, sample in self.samples:
            peak = out.setdefault(phase, {})
            for name in ("VmRSS", "RssAnon", "RssFile"):
                peak[name] = round(max(peak.get(name, 0.0), sample[name] / 2**20))
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


async def drain_while_alive(aggregator: subprocess.Popen, bootstrap: str) -> None:
    """Wait for the group to consume the burst; fail at once if the aggregator dies (e.g.
    killed by the kernel for going over its memory limit)."""
    drained = asyncio.create_task(wait_until_drained(bootstrap, TOPIC, GROUP, 1800))
    while not drained.done():
        if aggregator.poll() is not None:
            drained.cancel()
            raise SystemExit(f"the aggregator exited with {aggregator.returncode} before the burst was stored")
        await asyncio.sleep(0.5)
    drained.result()


def evict_engine_library() -> int:
    """Drop chdb's engine library from the page cache (bytes evicted), so that under a memory
    limit the pages the aggregator touches are charged to it, as in a fresh container, and
    not to whichever process read them first. Only works while no process maps it."""
    evicted = 0
    spec = importlib.util.find_spec("chdb")
    for library in Path(next(iter(spec.submodule_search_locations))).glob("_chdb*.so") if spec else ():
        with library.open("rb") as file:
            os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        evicted += library.stat().st_size
    return evicted


def stored_once(path: Path, pairs: list[tuple[bytes, bytes]], since: datetime) -> dict[str, int]:
    """The records written to Kafka against the aggregator's store, by event_id (the load
    tests' and fault tests' own ledger comparison)."""
    written = {json.loads(value)["event_id"] for _, value in pairs}
    store = open_store(Settings(clickhouse=ClickHouseSettings(path=path)))
    try:
        return ledger_check(store, written, since)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--batch-rows", type=int, help="default: the aggregator's own (wins over --set)")
    parser.add_argument("--memory-limit-mb", type=int,
                        help="run the aggregator in a memory cgroup with this hard limit (needs root)")
    parser.add_argument("--set", action="append", default=[], metavar="SKILLPULSE_X=VALUE",
                        help="an extra setting for the aggregator process (repeatable)")
    parser.add_argument("--out", type=Path, default=RESULTS / "aggregator-burst.json")
    args = parser.parse_args()
    if any("=" not in setting for setting in args.set):
        parser.error("--set takes SKILLPULSE_X=VALUE")
    work = Path(tempfile.mkdtemp(prefix="skillpulse-burst-"))
    broker = EmbeddedKafka(work / "broker")
    bootstrap = broker.start()
    since = datetime.now(UTC).replace(tzinfo=None)  # before any record's received_at
    pairs = records(args.events)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")} | {
        "SKILLPULSE_KAFKA_BOOTSTRAP": bootstrap, "SKILLPULSE_KAFKA_TOPIC": TOPIC, "SKILLPULSE_AGGREGATOR_GROUP_ID": GROUP,
        "SKILLPULSE_CLICKHOUSE_PATH": str(work / "store"), "SKILLPULSE_PSEUDONYM_KEY": "f" * 64,
        "SKILLPULSE_COLLECTOR_API_KEY_HASHES": "{}"} | dict(setting.split("=", 1) for setting in args.set)
    if args.batch_rows:
        env["SKILLPULSE_AGGREGATOR_BATCH_MAX_ROWS"] = str(args.batch_rows)
    command = [sys.executable, "-m", "skillpulse", "--data-dir", str(work / "agg"), "up", "--role", "aggregator",
               "--port", "0"]
    aggregator: subprocess.Popen | None = None
    cgroup: MemoryCgroup | None = None
    try:
        asyncio.run(ensure_topics(bootstrap, {TOPIC: 6}))
        produce_s = asyncio.run(produce(bootstrap, pairs))  # the burst waits in Kafka first
        if args.memory_limit_mb:
            cgroup = MemoryCgroup.create(f"skillpulse-burst-{os.getpid()}", args.memory_limit_mb << 20)
            evict_engine_library()
        aggregator = subprocess.Popen(cgroup.command(command) if cgroup else command, env=env)
        timeline = MemoryTimeline(aggregator.pid)  # `sh` execs the aggregator: same pid
        timeline.start()
        started = time.perf_counter()
        timeline.phase = "drain"
        asyncio.run(drain_while_alive(aggregator, bootstrap))
        drain_s = time.perf_counter() - started
        print(f"stored: {args.events / drain_s:,.0f} events/s", flush=True)
        timeline.phase = "catch-up"
        state: dict[str, str] = {}
        while "url" not in state:  # written once the HTTP server listens, which a small burst can beat
            if aggregator.poll() is not None:
                raise SystemExit(f"the aggregator exited with {aggregator.returncode}")
            time.sleep(0.1)
            try:
                state = json.loads((work / "agg" / "stack.json").read_text())
            except (OSError, ValueError):
                continue  # being rewritten
        httpx.post(f"{state['url']}/v1/rollups/refresh", timeout=1800).raise_for_status()
        catch_up_s = time.perf_counter() - started - drain_s
        time.sleep(2)
        timeline.phase = "idle"
        time.sleep(5)
        peak_rss = status_memory(aggregator.pid)["VmHWM"] / 2**20
        timeline.done.set()
        aggregator.terminate()
        aggregator.wait(600)
        limit = cgroup.figures() if cgroup else None
    finally:
        if aggregator is not None and aggregator.poll() is None:
            aggregator.kill()  # the run failed part-way: leave nothing behind
            aggregator.wait()
        broker.stop()
        if cgroup:
            cgroup.remove()
    ledger = stored_once(work / "store", pairs, since)
    baseline_s = raw_insert_baseline(pairs, work / "baseline-store")
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(), "events": args.events,
        "batch_rows": args.batch_rows or "default", "settings": args.set, "ledger": ledger,
        "produce_events_per_s": round(args.events / produce_s),
        "aggregator_events_per_s": round(args.events / drain_s),
        "aggregator_seconds_incl_start_and_group_join": round(drain_s, 1),
        "rollups_caught_up_after_drain_s": round(catch_up_s, 1), "aggregator_peak_rss_mb": round(peak_rss),
        "aggregator_rss_peaks_by_phase_mb": timeline.peaks(), "memory_cgroup": limit,
        "raw_insert_baseline_events_per_s": round(args.events / baseline_s),
        "aggregator_share_of_baseline": round(baseline_s / drain_s, 3),
    }
    print(json.dumps(figures, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
