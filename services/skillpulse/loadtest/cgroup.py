"""A hard memory limit around a process, as a container runtime would set it: a memory
cgroup (v2 where its memory controller is enabled, else v1). Used by the benchmarks to
show a service lives within a budget, not only what its RSS peaked at."""

from __future__ import annotations

import contextlib
import shlex
from dataclasses import dataclass
from pathlib import Path

from skillpulse.errors import SkillpulseError

_ROOT = Path("/sys/fs/cgroup")


class CgroupUnavailable(SkillpulseError, RuntimeError):
    """No writable memory cgroup hierarchy here (not root, or no memory controller)."""


@dataclass
class MemoryCgroup:
    path: Path
    v2: bool

    @classmethod
    def create(cls, name: str, limit_bytes: int, root: Path = _ROOT) -> MemoryCgroup:
        if "memory" in _read(root / "cgroup.controllers").split():
            cgroup = cls(root / name, v2=True)
        elif (root / "memory" / "memory.limit_in_bytes").exists():
            cgroup = cls(root / "memory" / name, v2=False)
        else:
            raise CgroupUnavailable(f"no memory cgroup controller under {root}")
        try:
            cgroup.path.mkdir()  # a group of our own: never adopt one with older limits
            if cgroup.v2:
                (cgroup.path / "memory.max").write_text(str(limit_bytes))
                swap = cgroup.path / "memory.swap.max"
                if swap.exists():
                    swap.write_text("0")
            else:
                (cgroup.path / "memory.limit_in_bytes").write_text(str(limit_bytes))
                swap = cgroup.path / "memory.memsw.limit_in_bytes"
                if swap.exists():
                    swap.write_text(str(limit_bytes))  # memory + swap: no swapping out of the budget
        except OSError as exc:
            hint = " (is `memory` in the parent's cgroup.subtree_control?)" if cgroup.v2 else ""
            raise CgroupUnavailable(f"cannot set up {cgroup.path}: {exc}{hint}") from exc
        return cgroup

    def command(self, argv: list[str]) -> list[str]:
        """`argv`, started inside the cgroup from its first instruction (so all it
        allocates is charged there)."""
        procs = shlex.quote(str(self.path / "cgroup.procs"))
        return ["sh", "-c", f'echo $$ > {procs} && exec "$@"', "sh", *argv]

    @property
    def holds_swap(self) -> bool:
        """Whether swap counts against the limit (else a process may swap instead of dying)."""
        name = "memory.swap.max" if self.v2 else "memory.memsw.limit_in_bytes"
        return (self.path / name).exists()

    def figures(self) -> dict[str, int]:
        """limit, peak usage (MB) and the times the kernel killed a process for memory."""
        if self.v2:
            events = dict(line.split() for line in _read(self.path / "memory.events").splitlines())
            return {"limit_mb": int(_read(self.path / "memory.max")) >> 20,
                    "peak_mb": int(_read(self.path / "memory.peak") or 0) >> 20,
                    "oom_kills": int(events.get("oom_kill", 0))}
        control = dict(line.split() for line in _read(self.path / "memory.oom_control").splitlines())
        return {"limit_mb": int(_read(self.path / "memory.limit_in_bytes")) >> 20,
                "peak_mb": int(_read(self.path / "memory.max_usage_in_bytes")) >> 20,
                "oom_kills": int(control.get("oom_kill", 0))}

    def remove(self) -> None:
        # a process may still be inside; the kernel keeps the group until it exits
        with contextlib.suppress(OSError):
            self.path.rmdir()


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""
