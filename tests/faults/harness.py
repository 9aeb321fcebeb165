"""Real processes for fault tests: the collector and the aggregator as separate
`skillpulse up --role ...` processes on the session's tansu broker, each with its own
data dir; a ledger of what the collector acknowledged; the store read back by a
separate process (chdb opens one path per process)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from skillpulse.credentials import hash_api_key
from skillpulse.loadtest.readback import compare_ledger

API_KEY = "sp_tools_fault-test-key"
_READ_STORE = """
import json, sys
from pathlib import Path
from skillpulse.config import ClickHouseSettings, Settings
from skillpulse.store import open_store
store = open_store(Settings(clickhouse=ClickHouseSettings(path=Path(sys.argv[1]))))
rows = store.query("SELECT toString(event_id), count() FROM events GROUP BY event_id").result_rows
print(json.dumps(dict(rows)))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Deployment:
    root: Path
    bootstrap: str
    deduplicate: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    unique: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    collector_port: int = field(default_factory=_free_port)
    aggregator: subprocess.Popen[bytes] | None = None
    collector: subprocess.Popen[bytes] | None = None

    @property
    def topic(self) -> str:
        return f"faults-{self.unique}"

    @property
    def group(self) -> str:
        return f"aggregator-{self.unique}"

    @property
    def store_path(self) -> Path:
        return self.root / "aggregator" / "clickhouse"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")}
        return env | {
            "SKILLPULSE_KAFKA_BOOTSTRAP": self.bootstrap, "SKILLPULSE_KAFKA_TOPIC": self.topic,
            "SKILLPULSE_KAFKA_DLQ_TOPIC": f"{self.topic}-dlq", "SKILLPULSE_KAFKA_PARTITIONS": "3",
            "SKILLPULSE_AGGREGATOR_GROUP_ID": self.group, "SKILLPULSE_AGGREGATOR_BATCH_TIMEOUT_MS": "100",
            "SKILLPULSE_AGGREGATOR_DEDUPLICATE": str(self.deduplicate).lower(),
            "SKILLPULSE_CLICKHOUSE_PATH": str(self.store_path),
            "SKILLPULSE_PSEUDONYM_KEY": "f" * 64,
            "SKILLPULSE_COLLECTOR_API_KEY_HASHES": json.dumps({"skilltech.tools": hash_api_key(API_KEY)}),
        } | self.extra_env

    def _start(self, role: str, port: int) -> subprocess.Popen[bytes]:
        log = open(self.root / f"{role}.log", "ab")  # noqa: SIM115  (the process keeps it)
        return subprocess.Popen(
            [sys.executable, "-m", "skillpulse", "--data-dir", str(self.root / role), "up", "--role", role,
             "--port", str(port)], env=self._env(), stdout=log, stderr=subprocess.STDOUT)

    def start_collector(self) -> None:
        self.collector = self._start("collector", self.collector_port)
        _wait_http(f"http://127.0.0.1:{self.collector_port}/readyz", self.collector)

    def start_aggregator(self) -> None:
        self.aggregator = self._start("aggregator", 0)

    def kill_aggregator(self) -> None:
        assert self.aggregator is not None
        self.aggregator.send_signal(signal.SIGKILL)
        self.aggregator.wait()

    def stop(self) -> None:
        for process in (self.collector, self.aggregator):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=90)
                except subprocess.TimeoutExpired:
                    process.kill()

    def stored_counts(self) -> dict[str, int]:
        done = subprocess.run([sys.executable, "-c", _READ_STORE, str(self.store_path)], capture_output=True,
                              text=True, timeout=120, check=True)
        return dict(json.loads(done.stdout))


def _wait_http(url: str, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


@dataclass
class Ledger:
    """What the collector answered 2xx for, by event_id, compared with the store."""

    acknowledged: set[str] = field(default_factory=set)
    sent: int = 0
    retries: int = 0

    def compare(self, stored: dict[str, int]) -> dict[str, int]:
        return compare_ledger(self.acknowledged, stored)


def post_events(port: int, events: list[dict[str, object]], ledger: Ledger) -> None:
    """POST one batch until the collector takes it (503 means: not taken, retry)."""
    for attempt in range(50):
        try:
            response = httpx.post(f"http://127.0.0.1:{port}/v1/events", json=events, timeout=30,
                                  headers={"Authorization": f"Bearer {API_KEY}"})
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 202:
            ledger.sent += len(events)
            ledger.acknowledged.update(r["event_id"] for r in response.json()["results"] if r["status"] == "accepted")
            return
        ledger.retries += 1
        time.sleep(min(0.1 * 2**attempt, 2))
    raise RuntimeError("collector never took the batch")
