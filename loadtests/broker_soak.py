"""The embedded broker's cost of durability and its footprint over a long run.

    python loadtests/broker_soak.py [--records 50000] [--soak 1000000]

1. Throughput: the same records produced (acks=all) to a fresh tansu in memory and to a
   fresh durable one (tansu on SeaweedFS, as `skillpulse up` runs it), alternating, with
   aiokafka's default batching, the collector's and others; figures as ratios against the
   memory engine measured in the same run.
2. Soak: `--soak` records through the durable broker at full speed, consumed and
   committed by a group as the aggregator does, the consumed batches released every few
   seconds (skillpulse.kafka.release); the RSS of tansu and SeaweedFS (anonymous and
   file-backed apart: file pages are the binary and mapped files, reclaimable), their CPU
   seconds and the disk of the object store sampled all along. Flat is the claim: compare
   the last samples with the first ones after warm-up. `--object-store default` runs it
   first with SeaweedFS's own memory defaults (skillpulse.kafka.object_store's bounds off),
   the baseline in the same run.

Writes loadtests/results/broker-soak.json (broker-soak.md reads it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from skillpulse.config import EmbeddedBrokerSettings, KafkaSettings
from skillpulse.kafka import ensure_topics
from skillpulse.kafka.release import Consumed
from skillpulse.kafka.supervision import EmbeddedBroker
from skillpulse.loadtest.workload import KafkaRecords

RESULTS = Path(__file__).parent / "results"
TOPIC, GROUP = "soak", "soak-aggregator"
# (name, linger_ms, max_batch_size); the collector's own are CollectorSettings.producer_*.
PRODUCERS = (("aiokafka default (linger 0 ms, 16 KiB)", 0, 16 * 1024), ("linger 5 ms, 256 KiB", 5, 256 * 1024),
             ("collector (linger 2 ms, 1 MiB)", 2, 1024 * 1024), ("linger 20 ms, 1 MiB", 20, 1024 * 1024))


class Sample(NamedTuple):
    seconds: float
    produced: int
    tansu_rss_mb: float
    seaweedfs_rss_mb: float
    seaweedfs_anon_mb: float
    seaweedfs_file_mb: float
    seaweedfs_cpu_s: float
    objects_disk_mb: float
    released_batches: int


def _broker(work: Path, storage: str) -> EmbeddedBroker:
    return EmbeddedBroker(work, KafkaSettings(topic=TOPIC, partitions=6), EmbeddedBrokerSettings(storage=storage))


async def _produce(bootstrap: str, triples: list[Any], linger_ms: int, batch: int) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=linger_ms, max_batch_size=batch,
                                max_request_size=max(batch, 1024 * 1024))
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(TOPIC, value, key=key) for key, value, _ in triples]
        await asyncio.gather(*futures)
        return len(triples) / (time.perf_counter() - started)
    finally:
        await producer.stop()


def throughput(records: int, runs: int) -> list[dict[str, Any]]:
    triples = KafkaRecords().take(records)
    rows = []
    for name, linger_ms, batch in PRODUCERS:
        rates: dict[str, list[float]] = {"memory": [], "durable": []}
        for _ in range(runs):
            for storage in ("memory", "durable"):
                with tempfile.TemporaryDirectory() as work:
                    broker = _broker(Path(work), storage)
                    bootstrap = broker.start()
                    try:
                        asyncio.run(ensure_topics(bootstrap, {TOPIC: 6}))
                        rates[storage].append(asyncio.run(_produce(bootstrap, triples, linger_ms, batch)))
                    finally:
                        broker.stop()
        memory, durable = statistics.median(rates["memory"]), statistics.median(rates["durable"])
        rows.append({"producer": name, "memory_records_per_s": round(memory), "durable_records_per_s": round(durable),
                     "durable_over_memory": round(durable / memory, 3)})
        print(rows[-1], flush=True)
    return rows


def _rss_mb(pid: int | None) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20 if pid else 0.0


def _anon_and_file_mb(pid: int) -> tuple[float, float]:
    """The resident pages of `pid` that are anonymous (heap, stacks) and those backed by a
    file (its binary, mapped files: the kernel can drop them), from smaps_rollup."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, value = line.partition(":")
        fields[name] = int(value.split()[0]) / 1024
    return fields["Anonymous"], fields["Rss"] - fields["Anonymous"] - fields.get("Shmem", 0.0)


def _sample(broker: EmbeddedBroker, started: float, produced: int, objects: Path, released: int) -> Sample:
    store = broker.object_store.pid if broker.object_store else None
    assert store is not None
    anon, file = _anon_and_file_mb(store)
    cpu = psutil.Process(store).cpu_times()
    return Sample(round(time.monotonic() - started, 1), produced, round(_rss_mb(broker.kafka.pid), 1),
                  round(_rss_mb(store), 1), round(anon, 1), round(file, 1), round(cpu.user + cpu.system, 1),
                  round(_disk_mb(objects), 1), released)


def _disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


async def _consume(bootstrap: str, total: int, done: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id=GROUP, enable_auto_commit=False,
                                auto_offset_reset="earliest", max_partition_fetch_bytes=4 * 2**20)
    await consumer.start()
    consumed = 0
    try:
        while consumed < total:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            consumed += sum(len(records) for records in batches.values())
            if batches:
                await consumer.commit()  # after "storing": the aggregator's order
    finally:
        await consumer.stop()
        done.set()


async def _soak(broker: EmbeddedBroker, total: int, objects: Path) -> list[Sample]:
    bootstrap = broker.kafka.bootstrap
    await ensure_topics(bootstrap, {TOPIC: 6})
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    done = asyncio.Event()
    consumer = asyncio.create_task(_consume(bootstrap, total, done))
    records, samples, produced, released = KafkaRecords(), [], 0, 0
    started = last_release = time.monotonic()
    try:
        while produced < total:
            chunk = records.take(min(20_000, total - produced))
            await asyncio.gather(*[await producer.send(TOPIC, value, key=key) for key, value, _ in chunk])
            produced += len(chunk)
            if time.monotonic() - last_release > 5:
                released += await broker.release([Consumed(TOPIC, GROUP)])
                last_release = time.monotonic()
            samples.append(_sample(broker, started, produced, objects, released))
            if len(samples) % 5 == 0:
                print(samples[-1], flush=True)
        await asyncio.wait_for(done.wait(), 600)
        released += await broker.release([Consumed(TOPIC, GROUP)])
        for _ in range(5):  # one vacuum round of the object store, and the idle RSS meanwhile
            await asyncio.sleep(15)
            samples.append(_sample(broker, started, produced, objects, released))
        print("after the last release and a vacuum round:", samples[-1], flush=True)
    finally:
        consumer.cancel()
        await producer.stop()
    return samples


def soak(records: int, *, bounded: bool) -> list[Sample]:
    with tempfile.TemporaryDirectory() as work:
        broker = _broker(Path(work), "durable")
        assert broker.object_store is not None
        broker.object_store.bounded = bounded
        broker.start()
        try:
            return asyncio.run(_soak(broker, records, Path(work) / "objects"))
        finally:
            broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000, help="per throughput run")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--soak", type=int, default=1_000_000)
    parser.add_argument("--object-store", choices=("bounded", "default"), default="bounded",
                        help="default: soak first with SeaweedFS's own memory defaults, then bounded")
    args = parser.parse_args()
    figures: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(),
                               "machine": "2 cores shared with other engineers' test runs"}
    figures["throughput"] = throughput(args.records, args.runs) if args.records else []
    if args.soak:
        figures["soak"] = {"records": args.soak, "runs": [
            {"object_store": setting, "samples": [s._asdict() for s in soak(args.soak, bounded=setting == "bounded")]}
            for setting in (("default", "bounded") if args.object_store == "default" else ("bounded",))]}
    RESULTS.mkdir(exist_ok=True)
    previous = RESULTS / "broker-soak.json"
    if previous.exists():  # a run of one part keeps the other part's last figures
        last = json.loads(previous.read_text())
        if not args.soak:
            figures["soak"] = last.get("soak")
        if not args.records:
            figures["throughput"] = last.get("throughput", [])
            figures["throughput_date"] = last.get("throughput_date", last.get("date"))
    (RESULTS / "broker-soak.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps({k: v for k, v in figures.items() if k != "soak"}, indent=2))


if __name__ == "__main__":
    main()
