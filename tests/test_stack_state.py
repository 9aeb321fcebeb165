"""The state file: a stack claims the data dir, publishes its URL, and a dead one is ignored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from skillpulse.stack_state import (
    StackStartingError,
    StackState,
    clear_state,
    find_running_stack,
    read_state,
    state_path,
    write_state,
)


def test_a_claimed_then_published_state_reads_back(tmp_path: Path) -> None:
    write_state(tmp_path, StackState(pid=os.getpid()))
    assert read_state(tmp_path) == StackState(pid=os.getpid())
    assert not read_state(tmp_path).serving  # type: ignore[union-attr]
    write_state(tmp_path, StackState(pid=os.getpid(), url="http://127.0.0.1:1", bootstrap="127.0.0.1:2"))
    assert find_running_stack(tmp_path, wait_s=0) == StackState(os.getpid(), "http://127.0.0.1:1", "127.0.0.1:2")
    clear_state(tmp_path)
    assert read_state(tmp_path) is None and not state_path(tmp_path).exists()


def test_the_state_of_a_dead_process_is_ignored(tmp_path: Path) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    write_state(tmp_path, StackState(pid=int(finished.stdout), url="http://127.0.0.1:1"))
    assert read_state(tmp_path) is None
    assert find_running_stack(tmp_path, wait_s=0) is None


@pytest.mark.parametrize("content", ["", "{", '{"url": "x"}', '{"pid": "abc"}', "[1]"])
def test_a_damaged_state_file_means_no_stack(tmp_path: Path, content: str) -> None:
    state_path(tmp_path).write_text(content)
    assert read_state(tmp_path) is None


def test_a_stack_that_never_serves_is_reported(tmp_path: Path) -> None:
    write_state(tmp_path, StackState(pid=os.getpid()))
    with pytest.raises(StackStartingError, match="still starting"):
        find_running_stack(tmp_path, wait_s=0.3)
