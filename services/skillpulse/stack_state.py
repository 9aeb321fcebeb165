"""The state file of a running stack, `<data dir>/stack.json`: who holds the data dir and
where it answers. The stack writes it; the client reads it. One process may open a chdb
path, so other commands find the stack here and ask it over HTTP instead of opening it."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from skillpulse.errors import SkillpulseError

STATE_FILE = "stack.json"
ROLES = ("collector", "aggregator")  # what a `skillpulse up` process can run


class StackStartingError(SkillpulseError, RuntimeError):
    """A stack holds the data dir but did not start serving in time."""


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


def write_state(data_dir: Path, state: StackState) -> None:
    """Claim (no url yet) or publish (with url) the data dir for this process."""
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = state_path(data_dir).with_suffix(".json.tmp")
    # Fields left empty are left out: a reader that looks for "url" sees a stack still starting.
    partial.write_text(json.dumps({name: value for name, value in asdict(state).items() if value != ""}))
    partial.replace(state_path(data_dir))  # readers never see half a file


def clear_state(data_dir: Path) -> None:
    state_path(data_dir).unlink(missing_ok=True)


def read_state(data_dir: Path) -> StackState | None:
    """The state of a live process holding the data dir, or None (no file, or its process died)."""
    try:
        raw = json.loads(state_path(data_dir).read_text())
        state = StackState(pid=int(raw["pid"]), url=str(raw.get("url", "")), bootstrap=str(raw.get("bootstrap", "")))
        os.kill(state.pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state


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
