"""A `skillpulse up --role …` child process: start it on its own data dir, wait until it
serves, stop it (SIGTERM: it finishes the batch in hand and drains), or kill it. The load
tests, the fault tests and the benchmarks run the services this way, as production does:
one process per role."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from skillpulse.errors import SkillpulseError
from skillpulse.stack_state import StackState, read_state


class RoleProcessError(SkillpulseError, RuntimeError):
    """The process exited, or did not serve, in time."""


@dataclass
class RoleProcess:
    data_dir: Path
    role: str  # all | collector | aggregator
    port: int = 0  # 0: a free one, published in the state file
    env: Mapping[str, str] | None = None  # the whole environment (default: this process's)
    log: Path | None = None  # default <data dir>/stack.log (appended to)
    wrap: Callable[[list[str]], list[str]] | None = None  # e.g. run it inside a memory cgroup
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return self.log or self.data_dir / "stack.log"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> RoleProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "skillpulse", "--data-dir", str(self.data_dir), "up", "--role", self.role,
                   "--port", str(self.port)]
        # Private like the rest of the data dir; the child keeps its own descriptor.
        with os.fdopen(os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as log:
            self.process = subprocess.Popen(self.wrap(command) if self.wrap else command, stdout=log,
                                            stderr=subprocess.STDOUT, env=dict(self.env or os.environ))
        return self

    def wait_serving(self, timeout_s: float = 120.0) -> StackState:
        """The state it published once it serves HTTP."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive():  # polled each turn: a dead child's state file can look alive
                raise RoleProcessError(f"{self.role} exited before serving; see {self.log_path}")
            state = read_state(self.data_dir)
            if state is not None and state.pid == self.pid and state.serving:
                return state
            time.sleep(0.1)
        raise RoleProcessError(f"{self.role} did not serve within {timeout_s:g} s; see {self.log_path}")

    def wait_ready(self, timeout_s: float = 120.0) -> StackState:
        """Serving, and `/readyz` answers 200 (the collector reaches its broker)."""
        deadline = time.monotonic() + timeout_s
        state = self.wait_serving(timeout_s)
        while time.monotonic() < deadline:
            if not self.alive():
                raise RoleProcessError(f"{self.role} exited before it was ready; see {self.log_path}")
            try:
                if httpx.get(f"{state.url}/readyz", timeout=1).status_code == 200:
                    return state
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RoleProcessError(f"{self.role} was not ready within {timeout_s:g} s; see {self.log_path}")

    def stop(self, timeout_s: float = 300.0) -> int | None:
        """SIGTERM, then wait; the exit code, or None when it had to be killed after `timeout_s`."""
        if not self.alive():
            return self.process.returncode if self.process is not None else None
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        """SIGKILL: nothing is flushed, drained or committed."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
