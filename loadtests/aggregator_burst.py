"""The aggregator alone under a burst: records written straight to Kafka with aiokafka
(no collector), a separate `skillpulse up --role aggregator` process storing them, and
its peak RSS read from /proc. Baselines in the same run: the engine's own rate on the
same records (ClickHouse parsing their JSON into a fresh `events` with every view
attached, `FORMAT JSONEachRow`, in one process with nothing else to do: `engine_baseline`),
and the raw clickhouse-connect columnar insert of the same stored rows into a copy of
`events` without views (`loadtest.readback.raw_insert_baseline`, as `skillpulse loadtest`
measures it).

    python loadtests/aggregator_burst.py [--events 500000] [--memory-limit-mb 512] [--set SKILLPULSE_X=V]

Prints figures and writes loadtests/results/aggregator-burst.json.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from skillpulse.aggregator.json_rows import insert_json_rows, json_row
from skillpulse.config import ClickHouseSettings, PrivacySettings, Settings
from skillpulse.credentials import local_operator_token
from skillpulse.kafka import EmbeddedKafka, client_options, ensure_topics, wait_until_drained
from skillpulse.kafka.signing import RecordSigner, record_signer
from skillpulse.loadtest.cgroup import MemoryCgroup
from skillpulse.loadtest.ledger import Ledger, ledger_check
from skillpulse.loadtest.probes import status_memory
from skillpulse.loadtest.readback import raw_insert_baseline
from skillpulse.loadtest.workload import KafkaRecords
from skillpulse.role_process import RoleProcess
from skillpulse.stack_client import refresh_rollups
from skillpulse.store import open_store
from skillpulse.store.migrations import apply_migrations

RESULTS = Path(__file__).parent / "results"
TOPIC, GROUP = "burst.events.v1", "burst-aggregator"
PSEUDONYM_KEY = "f" * 64
ENGINE_BATCH_ROWS = 50_000  # the aggregator's; the burst's records are signed with a key derived from it


async def produce(bootstrap: str, records: KafkaRecords, signer: RecordSigner, count: int, ledger: Ledger,
                  copy: Path) -> float:
    """Write `count` records as fast as the broker takes them (acks=all); the seconds it
    took. Each value also goes to `copy`, one per line, for the engine baseline."""
    # The burst always runs against its own embedded broker: no credentials (client_options(None)).
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=1 << 20,
                                **client_options(None))
    await producer.start()
    started = time.perf_counter()
    lines = copy.open("wb")
    try:
        for start in range(0, count, 10_000):
            triples = records.take(min(10_000, count - start))
            lines.writelines(value + b"\n" for _, value, _ in triples)
            futures = [await producer.send(TOPIC, value, key=key, headers=signer.kafka_headers(value))
                       for key, value, _ in triples]
            await asyncio.gather(*futures)
            ledger.sent += len(triples)
            ledger.acknowledged.update(event_id for _, _, event_id in triples)
    finally:
        lines.close()
        await producer.stop()
    return time.perf_counter() - started


def engine_baseline(path: Path, copy: Path, batch_rows: int = ENGINE_BATCH_ROWS) -> dict[str, Any]:
    """The same records' JSON inserted the aggregator's way (`insert_json_rows`) into a fresh
    database's `events` with every view attached, by a process that does nothing else."""
    store = open_store(Settings(clickhouse=ClickHouseSettings(path=path, database="burst_engine_baseline")))
    try:
        apply_migrations(store)
        rows, seconds, cpu_s = 0, 0.0, 0.0
        with copy.open("rb") as lines:
            while chunk := [json_row(line.rstrip(b"\n"), 0, rows + i)
                            for i, line in enumerate(islice(lines, batch_rows))]:
                started, cpu_started = time.perf_counter(), time.process_time()
                insert_json_rows(store, chunk)
                seconds += time.perf_counter() - started
                cpu_s += time.process_time() - cpu_started
                rows += len(chunk)
        stored = int(store.query("SELECT count() FROM events").result_rows[0][0])
        store.command("DROP DATABASE burst_engine_baseline")
    finally:
        store.close()
    return {"rows": rows, "stored": stored, "batch_rows": batch_rows, "seconds": round(seconds, 3),
            "cpu_s": round(cpu_s, 3), "events_per_cpu_s": round(rows / cpu_s) if cpu_s else 0,
            "events_per_s": round(rows / seconds) if rows else 0}


def consumer_ceiling(bootstrap: str, count: int) -> list[dict[str, Any]]:
    """The same backlog read by consumers that do (almost) nothing, one process each
    (`consumer_ceiling.py`): the most a Python aggregator on this client can reach."""
    script = Path(__file__).parent / "consumer_ceiling.py"
    return [json.loads(subprocess.run([sys.executable, str(script), mode, bootstrap, TOPIC, str(count),
                                       "--pseudonym-key", PSEUDONYM_KEY],
                                      check=True, capture_output=True, timeout=1800).stdout.splitlines()[-1])
            for mode in ("aiokafka", "faststream", "build-batch")]


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


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drain_while_alive(aggregator: RoleProcess, bootstrap: str) -> None:
    """Wait for the group to consume the burst; fail at once if the aggregator dies (e.g.
    killed by the kernel for going over its memory limit)."""
    drained = asyncio.create_task(wait_until_drained(bootstrap, TOPIC, GROUP, 1800))
    while not drained.done():
        if not aggregator.alive():
            drained.cancel()
            raise SystemExit(f"the aggregator exited before the burst was stored; see {aggregator.log_path}")
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


def read_back(path: Path, ledger: Ledger, since: datetime) -> tuple[dict[str, int], dict[str, Any]]:
    """The records written against the aggregator's store by event_id (the ledger check the
    load and fault tests use), and the raw-insert baseline on the same stored rows."""
    store = open_store(Settings(clickhouse=ClickHouseSettings(path=path)))
    try:
        return ledger_check(store, ledger.acknowledged, since), raw_insert_baseline(store, since)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--batch-rows", type=int, help="default: the aggregator's own (wins over --set)")
    parser.add_argument("--memory-limit-mb", type=int,
                        help="run the aggregator in a memory cgroup with this hard limit (needs root)")
    parser.add_argument("--set", action="append", default=[], metavar="SKILLPULSE_X=VALUE",
                        help="an extra setting or environment variable for the aggregator process (repeatable)")
    parser.add_argument("--out", type=Path, default=RESULTS / "aggregator-burst.json")
    parser.add_argument("--ceiling", action="store_true",
                        help="first read the burst with consumers that do nothing (consumer_ceiling.py)")
    parser.add_argument("--profile-to", type=Path, metavar="FILE",
                        help="py-spy (on PATH) samples the aggregator 30 s from 15 s into the drain, raw format")
    parser.add_argument("--aggregator-source", type=Path, metavar="DIR",
                        help="run the aggregator from another checkout's services/ (a before/after comparison)")
    args = parser.parse_args()
    if any("=" not in setting for setting in args.set):
        parser.error("--set takes SKILLPULSE_X=VALUE")
    work = Path(tempfile.mkdtemp(prefix="skillpulse-burst-"))
    broker = EmbeddedKafka(work / "broker")
    bootstrap = broker.start()
    since = datetime.now(UTC).replace(tzinfo=None)  # before any record's received_at
    # Logins and the rest of the simulator's mix, spread over B2's window: past days to recount.
    records, ledger = KafkaRecords(templates=max(1, args.events // 20), occurred_within_days=60), Ledger()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")} | {
        "SKILLPULSE_KAFKA_BOOTSTRAP": bootstrap, "SKILLPULSE_KAFKA_TOPIC": TOPIC,
        "SKILLPULSE_AGGREGATOR_GROUP_ID": GROUP,
        "SKILLPULSE_CLICKHOUSE_PATH": str(work / "store"), "SKILLPULSE_PSEUDONYM_KEY": PSEUDONYM_KEY,
        "SKILLPULSE_COLLECTOR_API_KEY_HASHES": "{}"} | dict(setting.split("=", 1) for setting in args.set)
    if args.batch_rows:
        env["SKILLPULSE_AGGREGATOR_BATCH_MAX_ROWS"] = str(args.batch_rows)
    if args.aggregator_source:
        env["PYTHONPATH"] = str(args.aggregator_source.resolve())
    signer = record_signer(Settings(privacy=PrivacySettings(pseudonym_key=PSEUDONYM_KEY)))
    cgroup: MemoryCgroup | None = None
    aggregator = RoleProcess(work / "agg", "aggregator", env=env)
    try:
        asyncio.run(ensure_topics(bootstrap, {TOPIC: 6}))
        # The burst waits in Kafka first.
        produce_s = asyncio.run(produce(bootstrap, records, signer, args.events, ledger, work / "records.jsonl"))
        ceiling = consumer_ceiling(bootstrap, args.events) if args.ceiling else None
        if args.memory_limit_mb:
            cgroup = MemoryCgroup.create(f"skillpulse-burst-{os.getpid()}", args.memory_limit_mb << 20)
            evict_engine_library()
            aggregator.wrap = cgroup.command
        aggregator.start()
        timeline = MemoryTimeline(aggregator.pid)  # `sh` execs the aggregator: same pid
        timeline.start()
        started, cpu_started = time.perf_counter(), cpu_seconds(aggregator.pid)
        timeline.phase = "drain"
        if args.profile_to:  # not from the start: the role's start-up and group join are not the drain
            threading.Timer(15, subprocess.run, ([
                "py-spy", "record", "--pid", str(aggregator.pid), "--rate", "67", "--duration", "30", "--nonblocking",
                "--format", "raw", "-o", str(args.profile_to)],), {"capture_output": True}).start()
        asyncio.run(drain_while_alive(aggregator, bootstrap))
        drain_s, drain_cpu_s = time.perf_counter() - started, cpu_seconds(aggregator.pid) - cpu_started
        print(f"stored: {args.events / drain_s:,.0f} events/s", flush=True)
        timeline.phase = "catch-up"
        # The state is published once the HTTP server listens, which a small burst can beat.
        state = aggregator.wait_serving(timeout_s=600)
        # An operator route: the token the aggregator's `up` wrote into its data dir.
        asyncio.run(refresh_rollups(state.url, timeout_s=1800, token=local_operator_token(aggregator.data_dir)))
        catch_up_s = time.perf_counter() - started - drain_s
        time.sleep(2)
        timeline.phase = "idle"
        time.sleep(5)
        peak_rss = status_memory(aggregator.pid)["VmHWM"] / 2**20
        timeline.done.set()
        aggregator.stop(timeout_s=600)
        limit = cgroup.figures() if cgroup else None
    finally:
        aggregator.kill()  # a run that failed part-way leaves nothing behind
        broker.stop()
        if cgroup:
            cgroup.remove()
    delivery, baseline = read_back(work / "store", ledger, since)
    engine = engine_baseline(work / "store", work / "records.jsonl")
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(), "events": args.events,
        "batch_rows": args.batch_rows or "default", "settings": args.set, "ledger": delivery,
        "produce_events_per_s": round(args.events / produce_s),
        "aggregator_events_per_s": round(args.events / drain_s),
        "aggregator_source": str(args.aggregator_source or "this checkout"),
        # The machine is shared: CPU time spent, unlike wall time, does not grow with others' load.
        "aggregator_cpu_s_during_drain": round(drain_cpu_s, 1),
        "aggregator_events_per_cpu_s": round(args.events / drain_cpu_s) if drain_cpu_s else None,
        "aggregator_seconds_incl_start_and_group_join": round(drain_s, 1),
        "rollups_caught_up_after_drain_s": round(catch_up_s, 1), "aggregator_peak_rss_mb": round(peak_rss),
        "aggregator_rss_peaks_by_phase_mb": timeline.peaks(), "memory_cgroup": limit,
        "engine_baseline": engine, "consumer_ceiling": ceiling,
        "aggregator_share_of_engine": round(args.events / drain_s / engine["events_per_s"], 3)
        if engine["events_per_s"] else None,
        "aggregator_share_of_engine_per_cpu_s": round(args.events / drain_cpu_s / engine["events_per_cpu_s"], 3)
        if engine["events_per_cpu_s"] and drain_cpu_s else None,
        "raw_insert_baseline": baseline,
        "aggregator_share_of_baseline": round(args.events / drain_s / baseline["events_per_s"], 3)
        if baseline["events_per_s"] else None,
    }
    print(json.dumps(figures, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
