"""A server the stack runs as a process of its own (the embedded broker, its object store).

It runs in its own session, so Ctrl-C in the terminal reaches the stack, which drains
first. A restarted stack finds it again through a state file in the data dir and reuses
it (a stack that crashed leaves it to the next one: its owner is dead, so it is adopted);
only the owner stops it. Its ports are kept in the same file: a server restarted after a
crash answers where its clients already connect.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from skillpulse.errors import SkillpulseError


class ChildServerError(SkillpulseError, RuntimeError):
    """An embedded server did not start (its log says why)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accepts(port: int) -> bool:
    """Whether something listens on 127.0.0.1:`port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until_accepting(port: int, timeout_s: float = 15.0, *, alive: Callable[[], bool] = lambda: True) -> None:
    """Return once 127.0.0.1:`port` accepts connections; raise if `alive()` turns false or
    the time runs out."""
    deadline = time.monotonic() + timeout_s
    while not accepts(port):
        if not alive() or time.monotonic() > deadline:
            raise ChildServerError(f"nothing accepts connections on 127.0.0.1:{port}")
        time.sleep(0.05)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


class ChildServer:
    """One server process; `ports` names the ports it listens on ({} until started)."""

    name = "server"

    def __init__(self, state_file: Path, log_file: Path) -> None:
        self.state_file, self.log_file = state_file, log_file
        self.ports: dict[str, int] = {}
        self.pid: int | None = None
        self.owned = False  # only the owner stops it; a live stack's server is borrowed
        self._process: subprocess.Popen[bytes] | None = None

    def _answers(self) -> bool:
        """Whether the server serves on its ports (it may still be starting)."""
        raise NotImplementedError

    def _save(self) -> None:
        self.state_file.write_text(json.dumps({"pid": self.pid, "owner": os.getpid(), "ports": self.ports}))

    def adopt_running(self) -> bool:
        """Reuse the server a stack left running on this data dir, if it still serves."""
        try:
            state = json.loads(self.state_file.read_text())
            # {"port": …}: a broker.json of a release before the object store; its broker is adopted too
            ports = dict(state["ports"]) if "ports" in state else {"kafka": state["port"]}
            pid, owner = int(state["pid"]), int(state.get("owner", 0))
        except (OSError, ValueError, KeyError, TypeError):
            return False
        self.ports = {name: int(port) for name, port in ports.items()}
        if not (pid_alive(pid) and self._answers()):
            return False  # dead: its ports are kept, a new server takes them
        self.pid = pid
        if not pid_alive(owner):  # its stack crashed: adopt it, data and all
            self.owned = True
            self._save()
        return True

    def alive(self) -> bool:
        """Whether the process runs (a frozen one still does; one killed does not)."""
        if self._process is not None:
            return self._process.poll() is None  # reaps it: a dead child is no zombie
        return self.pid is not None and pid_alive(self.pid)

    def launch(self, argv: Sequence[str], env: Mapping[str, str] | None = None, timeout_s: float = 15.0) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            self._process = subprocess.Popen(list(argv), stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, env=dict(env) if env is not None else None,
                                             # what it writes in the data dir is private (as ours)
                                             start_new_session=True, umask=0o077)
        self.pid, self.owned = self._process.pid, True
        deadline = time.monotonic() + timeout_s
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ChildServerError(f"the embedded {self.name} did not start; see {self.log_file}")
            time.sleep(0.05)
        self._save()

    def stop(self) -> None:
        if self.pid is None or not self.owned:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
            for _ in range(200):
                if not self.alive():
                    break
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(self.pid, os.WNOHANG)
                time.sleep(0.05)
            else:
                os.kill(self.pid, signal.SIGKILL)
                if self._process is not None:
                    self._process.wait(timeout=10)
        self.state_file.unlink(missing_ok=True)
        self.pid, self._process = None, None
