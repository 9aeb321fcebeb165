"""Real processes for fault tests: the collector and the aggregator as separate
`skillpulse up --role ...` processes (`skillpulse.role_process`) on the session's tansu
broker, each with its own data dir; the ledger of what the collector acknowledged; the
store read back by a separate process (chdb opens one path per process)."""

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
from skillpulse.loadtest.ledger import Ledger
from skillpulse.role_process import RoleProcess

API_KEY = "sp_tools_fault-test-key"
_READ_STORE = """
import json, sys
from pathlib import Path
from skillpulse.config import ClickHouseSettings, Settings
from skillpulse.loadtest.ledger import stored_counts
from skillpulse.store import open_store
store = open_store(Settings(clickhouse=ClickHouseSettings(path=Path(sys.argv[1]))))
print(json.dumps(stored_counts(store)))
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
    aggregator: RoleProcess | None = None
    collector: RoleProcess | None = None

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
        # No bootstrap: `up` runs its own embedded broker (durable, supervised).
        return env | ({"SKILLPULSE_KAFKA_BOOTSTRAP": self.bootstrap} if self.bootstrap else {}) | {
            "SKILLPULSE_KAFKA_TOPIC": self.topic,
            "SKILLPULSE_KAFKA_DLQ_TOPIC": f"{self.topic}-dlq", "SKILLPULSE_KAFKA_PARTITIONS": "3",
            "SKILLPULSE_AGGREGATOR_GROUP_ID": self.group, "SKILLPULSE_AGGREGATOR_BATCH_TIMEOUT_MS": "100",
            "SKILLPULSE_AGGREGATOR_DEDUPLICATE": str(self.deduplicate).lower(),
            "SKILLPULSE_CLICKHOUSE_PATH": str(self.store_path),
            "SKILLPULSE_PSEUDONYM_KEY": "f" * 64,
            "SKILLPULSE_COLLECTOR_API_KEY_HASHES": json.dumps({"skilltech.tools": hash_api_key(API_KEY)}),
        } | self.extra_env

    def _process(self, role: str, port: int) -> RoleProcess:
        return RoleProcess(self.root / role, role, port=port, env=self._env(), log=self.root / f"{role}.log").start()

    def start_collector(self) -> None:
        self.collector = self._process("collector", self.collector_port)
        self.collector.wait_ready(timeout_s=60)

    def start_aggregator(self) -> None:
        self.aggregator = self._process("aggregator", 0)

    def kill_aggregator(self) -> None:
        assert self.aggregator is not None
        self.aggregator.kill()

    def stop(self) -> None:
        for service in (self.collector, self.aggregator):
            if service is not None:
                service.stop(timeout_s=90)

    def stored_counts(self) -> dict[str, int]:
        done = subprocess.run([sys.executable, "-c", _READ_STORE, str(self.store_path)], capture_output=True,
                              text=True, timeout=120, check=True)
        return dict(json.loads(done.stdout))


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


def kill_embedded_server(data_dir: Path, state_file: str) -> int:
    """kill -9 the embedded server a stack on `data_dir` runs (`broker.json`: tansu,
    `object_store.json`: SeaweedFS); its pid."""
    pid = int(json.loads((data_dir / state_file).read_text())["pid"])
    os.kill(pid, signal.SIGKILL)
    return pid
