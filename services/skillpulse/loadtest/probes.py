"""What is sampled while the load runs: the consumer group's progress and lag (from Kafka
itself), and the CPU and memory of each process."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer

from skillpulse.config import KafkaSettings
from skillpulse.extras import needs_extra
from skillpulse.kafka.security import client_options
from skillpulse.kafka.topics import group_offsets

with needs_extra("loadtest", "`skillpulse loadtest` (CPU and memory per process)"):
    import psutil


def status_memory(pid: int) -> dict[str, int]:
    """Bytes of VmHWM (the kernel's peak), VmRSS and its anonymous and file-backed parts,
    from /proc (empty where there is none). File-backed pages (the engine's code) are
    reclaimable; anonymous ones are what a memory limit really has to hold."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return {name: int(value.split()[0]) * 1024 for name, _, value in (line.partition(":") for line in status)
                    if name in ("VmHWM", "VmRSS", "RssAnon", "RssFile")}
    except OSError:
        return {}


@dataclass
class LagSample:
    t: float
    committed: int  # records the group has stored and committed, all partitions
    lag: int


@dataclass
class KafkaProbe:
    """Every `interval_s`: end offsets and the group's committed offsets."""

    bootstrap: str
    topic: str
    group_id: str
    interval_s: float = 0.5
    samples: list[LagSample] = field(default_factory=list)
    kafka: KafkaSettings | None = None  # whose credentials (None: none, the embedded broker)

    async def run(self, started: float, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=self.group_id,
                                    enable_auto_commit=False, **client_options(self.kafka))
        await consumer.start()  # never subscribes: it reads commits without joining the group
        try:
            base = {p: committed for p, (_, committed) in (await group_offsets(consumer, self.topic)).items()}
            while not stop.is_set():
                offsets = await group_offsets(consumer, self.topic)
                self.samples.append(LagSample(
                    time.perf_counter() - started,
                    sum(committed - base.get(p, 0) for p, (_, committed) in offsets.items()),
                    sum(max(0, end - committed) for end, committed in offsets.values())))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval_s)
        finally:
            await consumer.stop()


@dataclass
class ProcessProbe:
    """CPU seconds and peak RSS of named processes (the sampler's own process included)."""

    pids: dict[str, int]
    interval_s: float = 0.5
    peak_rss: dict[str, int] = field(default_factory=dict)
    cpu_start: dict[str, float] = field(default_factory=dict)
    cpu_end: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def _high_water_rss(process: psutil.Process) -> int:
        """The kernel's peak RSS (VmHWM) where there is one: sampling can miss a spike."""
        return status_memory(process.pid).get("VmHWM") or int(process.memory_info().rss)

    def _cpu(self, process: psutil.Process) -> float:
        times = process.cpu_times()
        return float(times.user + times.system)

    async def run(self, stop: asyncio.Event) -> None:
        processes = {name: psutil.Process(pid) for name, pid in self.pids.items()}
        self.cpu_start = {name: self._cpu(p) for name, p in processes.items()}
        while True:
            for name, process in processes.items():
                try:
                    self.peak_rss[name] = max(self.peak_rss.get(name, 0), self._high_water_rss(process))
                    self.cpu_end[name] = self._cpu(process)
                except psutil.Error:
                    pass  # it exited; keep what was measured
            if stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)

    def figures(self, seconds: float) -> dict[str, dict[str, float]]:
        return {name: {"cpu_s": round(self.cpu_end.get(name, 0.0) - self.cpu_start.get(name, 0.0), 1),
                       "cpu_cores_avg": round((self.cpu_end.get(name, 0.0) - self.cpu_start.get(name, 0.0))
                                              / max(seconds, 1e-9), 2),
                       "peak_rss_mb": round(self.peak_rss.get(name, 0) / 2**20)}
                for name in self.pids}
