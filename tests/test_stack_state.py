"""The state file: a stack claims the data dir (a lock held while it lives), publishes its
URL, and a state left by a dead stack is ignored even when its pid is alive again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from skillpulse.stack_state import (
    Claim,
    DataDirClaimedError,
    StackStartingError,
    StackState,
    find_running_stack,
    read_state,
    state_path,
)

# Claims the data dir given in argv[1], says so, then waits to be killed.
_HOLDER = """
import sys, time
from pathlib import Path
from skillpulse.stack_state import Claim, StackState
claim = Claim(Path(sys.argv[1]))
claim.publish(StackState(pid=12345, url="http://127.0.0.1:1"))
print("claimed", flush=True)
time.sleep(120)
"""


def test_a_claimed_then_published_state_reads_back(tmp_path: Path) -> None:
    claim = Claim(tmp_path)
    assert read_state(tmp_path) == StackState(pid=os.getpid())
    assert not read_state(tmp_path).serving  # type: ignore[union-attr]
    claim.publish(StackState(pid=os.getpid(), url="http://127.0.0.1:1", bootstrap="127.0.0.1:2"))
    assert find_running_stack(tmp_path, wait_s=0) == StackState(os.getpid(), "http://127.0.0.1:1", "127.0.0.1:2")
    with pytest.raises(DataDirClaimedError):
        Claim(tmp_path)  # one stack per data dir, even within one process
    claim.release()
    assert read_state(tmp_path) is None and not state_path(tmp_path).exists()
    Claim(tmp_path).release()  # free again


def test_a_state_left_by_a_killed_stack_is_stale_whatever_its_pid(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "claimed"
        assert read_state(tmp_path) == StackState(12345, "http://127.0.0.1:1")  # alive: its lock is held
        with pytest.raises(DataDirClaimedError):
            Claim(tmp_path)
    finally:
        holder.kill()
        holder.wait()
    assert state_path(tmp_path).exists()  # SIGKILL left the file behind ...
    state_path(tmp_path).write_text(f'{{"pid": {os.getpid()}, "url": "http://127.0.0.1:1"}}')  # ... even a live pid
    assert read_state(tmp_path) is None and find_running_stack(tmp_path, wait_s=0) is None
    Claim(tmp_path).release()  # and the data dir can be claimed again


@pytest.mark.parametrize("content", ["", "{", '{"url": "x"}', '{"pid": "abc"}', "[1]"])
def test_a_damaged_state_file_means_no_stack(tmp_path: Path, content: str) -> None:
    claim = Claim(tmp_path)
    state_path(tmp_path).write_text(content)
    assert read_state(tmp_path) is None
    claim.release()


def test_a_stack_that_never_serves_is_reported(tmp_path: Path) -> None:
    claim = Claim(tmp_path)
    with pytest.raises(StackStartingError, match="still starting"):
        find_running_stack(tmp_path, wait_s=0.3)
    claim.release()


def test_a_running_stack_keeps_its_data_dir_private(tmp_path: Path) -> None:
    """Store, broker state, secrets, logs: nothing in the data dir is readable by another user."""
    from skillpulse.role_process import RoleProcess

    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")}
    stack = RoleProcess(data_dir, "all", env=env).start()  # its log in the data dir too
    try:
        stack.wait_serving(timeout_s=120)
        subprocess.run([sys.executable, "-m", "skillpulse", "--data-dir", str(data_dir), "keys"], env=env,
                       capture_output=True, check=True, timeout=60)
    finally:
        assert stack.stop(timeout_s=90) == 0
    assert data_dir.stat().st_mode & 0o777 == 0o700
    paths = [data_dir, *data_dir.rglob("*")]
    assert any(path.name == "clickhouse" for path in paths)  # the store was there to check
    shared = [str(path.relative_to(data_dir)) for path in paths if path.stat().st_mode & 0o077]
    assert shared == []
