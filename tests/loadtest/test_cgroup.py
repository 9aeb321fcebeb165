"""The memory limit the benchmarks put around a service: file layout (v1 and v2) on a
fake hierarchy, and the kernel really enforcing it where this machine lets us."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from skillpulse.loadtest.cgroup import CgroupUnavailable, MemoryCgroup


def test_v1_hierarchy(tmp_path: Path) -> None:
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712")
    MemoryCgroup.create("taken", 256 << 20, root=tmp_path)
    with pytest.raises(CgroupUnavailable, match="cannot set up"):  # never adopts a group with older limits
        MemoryCgroup.create("taken", 1 << 30, root=tmp_path)
    cgroup = MemoryCgroup.create("bench", 256 << 20, root=tmp_path)
    assert not cgroup.v2 and cgroup.path == tmp_path / "memory" / "bench"
    assert (cgroup.path / "memory.limit_in_bytes").read_text() == str(256 << 20)
    assert not cgroup.holds_swap  # no memsw file in this hierarchy: left alone
    (cgroup.path / "memory.max_usage_in_bytes").write_text(str(300 << 20))
    (cgroup.path / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    assert cgroup.figures() == {"limit_mb": 256, "peak_mb": 300, "oom_kills": 2}


def test_v2_hierarchy(tmp_path: Path) -> None:
    (tmp_path / "cgroup.controllers").write_text("cpu io memory pids")
    cgroup = MemoryCgroup.create("bench", 512 << 20, root=tmp_path)
    assert cgroup.v2 and not cgroup.holds_swap  # no swap accounting here: not an error
    assert (cgroup.path / "memory.max").read_text() == str(512 << 20)
    (cgroup.path / "memory.peak").write_text(str(100 << 20))
    (cgroup.path / "memory.events").write_text("low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n")
    assert cgroup.figures() == {"limit_mb": 512, "peak_mb": 100, "oom_kills": 1}
    assert cgroup.command(["python", "-c", "print(1)"])[-3:] == ["python", "-c", "print(1)"]


def test_no_memory_controller_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CgroupUnavailable, match="no memory cgroup controller"):
        MemoryCgroup.create("bench", 1 << 30, root=tmp_path)


def test_the_kernel_enforces_the_limit() -> None:
    try:
        cgroup = MemoryCgroup.create(f"skillpulse-test-{id(object())}", 64 << 20)
    except CgroupUnavailable as exc:
        pytest.skip(f"no writable memory cgroup here: {exc}")
    swap_on = len(Path("/proc/swaps").read_text().splitlines()) > 1
    if swap_on and not cgroup.holds_swap:
        cgroup.remove()
        pytest.skip("swap is on and not counted in the limit: the hog would swap, not die")
    try:
        hog = "b = bytearray(256 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1"
        over = subprocess.run(cgroup.command([sys.executable, "-c", hog]), check=False)
        within = subprocess.run(cgroup.command([sys.executable, "-c", "b = bytearray(8 << 20)"]), check=False)
        assert over.returncode != 0 and within.returncode == 0
        assert cgroup.figures()["oom_kills"] >= 1
    finally:
        cgroup.remove()
