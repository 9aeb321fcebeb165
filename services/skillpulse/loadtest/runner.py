"""One load-test run against the embedded stack, started for the run as production runs
it: `skillpulse up --role aggregator` (which starts tansu and owns the store) and, for
HTTP, `skillpulse up --role collector` beside it. Each process is measured apart."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from skillpulse.config import Settings
from skillpulse.credentials import ensure_api_keys, pseudonym_secret
from skillpulse.kafka import wait_until_drained
from skillpulse.kafka.signing import record_signer
from skillpulse.loadtest.drivers import drive_http, drive_kafka
from skillpulse.loadtest.ledger import Ledger, ledger_check
from skillpulse.loadtest.probes import KafkaProbe, LagSample, ProcessProbe
from skillpulse.loadtest.readback import freshness, raw_insert_baseline
from skillpulse.role_process import RoleProcess, RoleProcessError
from skillpulse.store import open_store


@dataclass(frozen=True)
class Scenario:
    target: Literal["http", "kafka"]
    rate: float
    duration_s: float
    batch: int | None = None  # events per request (http) or per produced chunk (kafka)
    concurrency: int | None = None


def _machine() -> dict[str, Any]:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cores": os.cpu_count(), "memory_gib": round(memory, 1), "processor": platform.processor() or
            platform.machine(), "python": platform.python_version()}


@dataclass(frozen=True)
class Measured:
    """What the load phase saw, before the store is read back."""

    ledger: Ledger
    load_s: float
    drain_s: float
    lag: list[LagSample]
    processes: dict[str, dict[str, float]]
    stored_during_load: int  # committed by the group while the load ran


@dataclass(frozen=True)
class LoadtestRun:
    figures: dict[str, Any]  # the JSON written and printed
    timeline: list[tuple[float, int]]  # (seconds since start, acknowledged), for the plot
    lag: list[LagSample]
    load_s: float


def _stop(service: RoleProcess) -> None:
    if service.stop(timeout_s=300) is None:  # SIGTERM drains the topic and flushes, then exits
        raise RoleProcessError(f"{service.role} did not stop within 300 s and was killed")


async def _measure(scenario: Scenario, settings: Settings) -> Measured:
    """Start the services the way production runs them (one process per role), load them,
    wait for the drain, stop them."""
    processes: dict[str, RoleProcess] = {}
    try:
        processes["aggregator"] = RoleProcess(settings.paths.data_dir, "aggregator").start()
        state = await asyncio.to_thread(processes["aggregator"].wait_serving)
        pids = {"load generator": os.getpid(), "aggregator": processes["aggregator"].pid,
                "broker (tansu)": int(json.loads((settings.paths.data_dir / "broker.json").read_text())["pid"])}
        if scenario.target == "http":
            collector_dir = settings.paths.data_dir / "collector"
            keys = ensure_api_keys(settings.with_data_dir(collector_dir))
            # The aggregator's pseudonym secret: the collector's records are signed with a key derived from it.
            collector_env = os.environ | {"SKILLPULSE_KAFKA_BOOTSTRAP": state.bootstrap,
                                          "SKILLPULSE_PSEUDONYM_KEY": pseudonym_secret(settings).decode()}
            processes["collector"] = RoleProcess(collector_dir, "collector", env=collector_env).start()
            url = (await asyncio.to_thread(processes["collector"].wait_serving)).url
            pids["collector"] = processes["collector"].pid
        stop, started = asyncio.Event(), time.perf_counter()
        kafka = KafkaProbe(state.bootstrap, settings.kafka.topic, settings.aggregator.group_id,
                           kafka=settings.kafka)
        usage = ProcessProbe(pids)
        probes = [asyncio.create_task(kafka.run(started, stop)), asyncio.create_task(usage.run(stop))]
        options = {k: v for k, v in (("batch", scenario.batch), ("concurrency", scenario.concurrency)) if v}
        if scenario.target == "http":
            ledger = await drive_http(url, keys, scenario.rate, scenario.duration_s, **options)
        else:
            ledger = await drive_kafka(state.bootstrap, settings.kafka.topic, record_signer(settings), scenario.rate,
                                       scenario.duration_s, **options)
        load_s = time.perf_counter() - started
        drain_s = await wait_until_drained(state.bootstrap, settings.kafka.topic, settings.aggregator.group_id, 600)
        stop.set()
        await asyncio.gather(*probes)
    finally:
        try:  # the collector first: the aggregator owns the broker
            if "collector" in processes:
                await asyncio.to_thread(_stop, processes["collector"])
        finally:
            if "aggregator" in processes:
                await asyncio.to_thread(_stop, processes["aggregator"])
    during = [s for s in kafka.samples if s.t <= load_s] or kafka.samples
    return Measured(ledger, load_s, drain_s, kafka.samples, usage.figures(time.perf_counter() - started),
                    during[-1].committed if during else 0)


def run_loadtest(scenario: Scenario, work_dir: Path | None = None) -> LoadtestRun:
    """Run the scenario; return the figures and the raw samples (for the plot)."""
    settings = Settings().with_data_dir(work_dir or Path(tempfile.mkdtemp(prefix="skillpulse-loadtest-")))
    since = datetime.now(UTC).replace(tzinfo=None)
    # A SIGTERM (e.g. a CI timeout) unwinds like Ctrl-C, so the services started are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    measured = asyncio.run(_measure(scenario, settings))
    store = open_store(settings)  # the aggregator has exited: this process may open the store now
    try:
        delivery = ledger_check(store, measured.ledger.acknowledged, since)
        fresh = freshness(store, since)
        baseline = raw_insert_baseline(store, since)
    finally:
        store.close()
    ledger = measured.ledger
    stored_per_s = measured.stored_during_load / measured.load_s
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": _machine(),
        "scenario": {"target": scenario.target, "rate": scenario.rate, "duration_s": scenario.duration_s,
                     "batch": scenario.batch, "concurrency": scenario.concurrency},
        "delivery": delivery | {"sent": ledger.sent, "rejected": ledger.rejected, "retries_after_503": ledger.retries,
                                "rejected_reasons": dict(ledger.reasons)},
        "rates": {"sent_per_s": round(ledger.sent / measured.load_s),
                  "accepted_per_s": round(len(ledger.acknowledged) / measured.load_s),
                  "stored_per_s": round(stored_per_s),
                  "stored_overall_per_s": round(delivery["stored"] / (measured.load_s + measured.drain_s))},
        "freshness": fresh,
        "lag": {"peak_records": max((s.lag for s in measured.lag), default=0),
                "drain_after_stop_s": round(measured.drain_s, 2)},
        "processes": measured.processes,
        "baseline": baseline | {"stored_share_of_baseline": round(stored_per_s / baseline["events_per_s"], 3)
                                if baseline["events_per_s"] else None},
    }
    return LoadtestRun(figures, ledger.timeline, measured.lag, measured.load_s)
