"""The state file of a running stack, `<data dir>/stack.json`: who holds the data dir and
where it answers. The stack writes it; the client reads it. One process may open a chdb
path, so other commands find the stack here and ask it over HTTP instead of opening it.

Liveness is a lock, not a pid: the stack holds an exclusive `flock` on `stack.lock` for as
long as it runs, and the kernel drops it when the process dies, however it dies. A state
file left by a killed stack is then stale even if its pid was reused (a container's
PID 1 restarting on the same data dir)."""

from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path

from skillpulse.errors import SkillpulseError

STATE_FILE = "stack.json"
LOCK_FILE = "stack.lock"
ROLES = ("collector", "aggregator")  # what a `skillpulse up` process can run


class StackStartingError(SkillpulseError, RuntimeError):
    """A stack holds the data dir but did not start serving in time."""


class DataDirClaimedError(SkillpulseError, RuntimeError):
    """Another live stack holds this data dir."""


@dataclass(frozen=True)
class StackState:
    pid: int
    url: str = ""  # empty while the stack starts (it claims the data dir first)
    bootstrap: str = ""  # Kafka bootstrap servers the stack uses

    @property
    def serving(self) -> bool:
        return bool(self.url)


def state_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


class Claim:
    """This process's hold on a data dir: the lock, and the state file it publishes."""

    def __init__(self, data_dir: Path) -> None:
        # The data dir holds the store, secrets and logs: private to the stack's user. The
        # umask covers what this process and its children (the broker, the engine) create.
        os.umask(0o077)
        data_dir.mkdir(parents=True, exist_ok=True)
        data_dir.chmod(0o700)
        self.data_dir = data_dir
        self._lock = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise DataDirClaimedError(f"another stack runs on {data_dir}") from None
        self.publish(StackState(pid=os.getpid()))

    def publish(self, state: StackState) -> None:
        """Write the state (no url yet while starting); readers never see half a file."""
        partial = state_path(self.data_dir).with_suffix(".json.tmp")
        # Fields left empty are left out: a reader that looks for "url" sees a stack still starting.
        partial.write_text(json.dumps({name: value for name, value in asdict(state).items() if value != ""}))
        partial.replace(state_path(self.data_dir))

    def release(self) -> None:
        state_path(self.data_dir).unlink(missing_ok=True)
        os.close(self._lock)  # drops the lock


def _held(data_dir: Path) -> bool:
    """Whether some live process (this one included) holds the data dir's lock."""
    try:
        probe = os.open(data_dir / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        with suppress(OSError):
            fcntl.flock(probe, fcntl.LOCK_UN)
        return False
    finally:
        os.close(probe)


def read_state(data_dir: Path) -> StackState | None:
    """The state of a live stack holding the data dir, or None (no file, or its stack died)."""
    try:
        raw = json.loads(state_path(data_dir).read_text())
        state = StackState(pid=int(raw["pid"]), url=str(raw.get("url", "")), bootstrap=str(raw.get("bootstrap", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if _held(data_dir) else None


def find_running_stack(data_dir: Path, wait_s: float = 60.0) -> StackState | None:
    """The state of a live, serving stack on this data dir, if any (waiting while it starts)."""
    deadline = time.monotonic() + wait_s
    while True:
        state = read_state(data_dir)
        if state is None or state.serving:
            return state
        if time.monotonic() > deadline:
            raise StackStartingError(f"the stack of process {state.pid} on {data_dir} is still starting")
        time.sleep(0.2)
