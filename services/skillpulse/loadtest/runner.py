"""One load-test run against the embedded stack, started for the run as production runs
it: `skillpulse up --role aggregator` (which starts tansu and owns the store) and, for
HTTP, `skillpulse up --role collector` beside it. Each process is measured apart."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from skillpulse.config import Settings
from skillpulse.credentials import ensure_api_keys
from skillpulse.kafka import wait_until_drained
from skillpulse.loadtest.drivers import Ledger, drive_http, drive_kafka
from skillpulse.loadtest.probes import KafkaProbe, ProcessProbe
from skillpulse.loadtest.readback import freshness, ledger_check, raw_insert_baseline
from skillpulse.stack import running_stack
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


def _start(data_dir: Path, role: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "stack.log").open("wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen([sys.executable, "-m", "skillpulse", "--data-dir", str(data_dir), "up", "--role",
                                 role, "--port", "0"], stdout=log, stderr=subprocess.STDOUT, env=os.environ | (env or {}))


async def _started(data_dir: Path, process: subprocess.Popen[bytes]) -> dict[str, str]:
    """The stack.json of a process started by `_start`, once it serves."""
    state_file, deadline = data_dir / "stack.json", time.monotonic() + 120
    while not state_file.exists() and process.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    state = await asyncio.to_thread(running_stack, data_dir, 120)
    if state is None:
        raise RuntimeError(f"the stack did not start; see {data_dir / 'stack.log'}")
    return state


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)  # drains the topic and flushes, then exits
    try:
        process.wait(timeout=300)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


async def _measure(scenario: Scenario, settings: Settings) -> dict[str, Any]:
    """Start the services the way production runs them (one process per role), load them,
    wait for the drain, stop them."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        processes["aggregator"] = _start(settings.paths.data_dir, "aggregator")
        state = await _started(settings.paths.data_dir, processes["aggregator"])
        pids = {"load generator": os.getpid(), "aggregator": processes["aggregator"].pid,
                "broker (tansu)": int(json.loads((settings.paths.data_dir / "broker.json").read_text())["pid"])}
        if scenario.target == "http":
            collector_dir = settings.paths.data_dir / "collector"
            keys = ensure_api_keys(settings.with_data_dir(collector_dir))
            processes["collector"] = _start(collector_dir, "collector", {"SKILLPULSE_KAFKA_BOOTSTRAP": state["bootstrap"]})
            url = (await _started(collector_dir, processes["collector"]))["url"]
            pids["collector"] = processes["collector"].pid
        stop, started = asyncio.Event(), time.perf_counter()
        kafka = KafkaProbe(state["bootstrap"], settings.kafka.topic, settings.aggregator.group_id)
        usage = ProcessProbe(pids)
        probes = [asyncio.create_task(kafka.run(started, stop)), asyncio.create_task(usage.run(stop))]
        options = {k: v for k, v in (("batch", scenario.batch), ("concurrency", scenario.concurrency)) if v}
        if scenario.target == "http":
            ledger = await drive_http(url, keys, scenario.rate, scenario.duration_s, **options)
        else:
            ledger = await drive_kafka(state["bootstrap"], settings.kafka.topic, scenario.rate, scenario.duration_s,
                                       **options)
        load_s = time.perf_counter() - started
        drain_s = await wait_until_drained(state["bootstrap"], settings.kafka.topic, settings.aggregator.group_id, 600)
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
    return {"ledger": ledger, "load_s": load_s, "drain_s": drain_s, "kafka": kafka,
            "processes": usage.figures(time.perf_counter() - started),
            "stored_during_load": during[-1].committed if during else 0}


def run_loadtest(scenario: Scenario, work_dir: Path | None = None) -> tuple[dict[str, Any], Any]:
    """Run the scenario; return the figures and the raw samples (for the plot)."""
    settings = Settings().with_data_dir(work_dir or Path(tempfile.mkdtemp(prefix="skillpulse-loadtest-")))
    since = datetime.now(UTC).replace(tzinfo=None)
    # A SIGTERM (e.g. a CI timeout) unwinds like Ctrl-C, so the services started are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    measured = asyncio.run(_measure(scenario, settings))
    store = open_store(settings)  # the aggregator has exited: this process may open the store now
    try:
        delivery = ledger_check(store, measured["ledger"].acknowledged, since)
        fresh = freshness(store, since)
        baseline = raw_insert_baseline(store, since)
    finally:
        store.close()
    ledger: Ledger = measured["ledger"]
    stored_per_s = measured["stored_during_load"] / measured["load_s"]
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": _machine(),
        "scenario": {"target": scenario.target, "rate": scenario.rate, "duration_s": scenario.duration_s,
                     "batch": scenario.batch, "concurrency": scenario.concurrency},
        "delivery": delivery | {"sent": ledger.sent, "rejected": ledger.rejected, "retries_after_503": ledger.retries,
                                "rejected_reasons": dict(ledger.reasons)},
        "rates": {"sent_per_s": round(ledger.sent / measured["load_s"]),
                  "accepted_per_s": round(len(ledger.acknowledged) / measured["load_s"]),
                  "stored_per_s": round(stored_per_s),
                  "stored_overall_per_s": round(delivery["stored"] / (measured["load_s"] + measured["drain_s"]))},
        "freshness": fresh,
        "lag": {"peak_records": max((s.lag for s in measured["kafka"].samples), default=0),
                "drain_after_stop_s": round(measured["drain_s"], 2)},
        "processes": measured["processes"],
        "baseline": baseline | {"stored_share_of_baseline": round(stored_per_s / baseline["events_per_s"], 3)
                                if baseline["events_per_s"] else None},
    }
    return figures, (ledger.timeline, measured["kafka"].samples, measured["load_s"])
