"""Running an adapter's JavaScript tests (Node's built-in test runner) from pytest, and
what they report."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

NODE = shutil.which("node")
ADAPTERS = Path(__file__).resolve().parents[2] / "services" / "adapters"


@dataclass(frozen=True)
class NodeTestRun:
    returncode: int
    output: str

    def count(self, what: str) -> int:
        """A TAP summary line: `# pass 7`, `# fail 0`, `# skipped 0`."""
        found = re.search(rf"^# {what} (\d+)$", self.output, re.MULTILINE)
        assert found, self.output[-3000:]
        return int(found.group(1))


async def node_test(cwd: Path, *files: str, env: dict[str, str], timeout_s: float = 180) -> NodeTestRun:
    """`node --test` on `files`, in a subprocess, without blocking the event loop (the stack
    under test runs on it, in this process)."""
    assert NODE is not None
    process = await asyncio.create_subprocess_exec(
        NODE, "--test", "--test-reporter=tap", *files, cwd=cwd, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        process.kill()
        raise
    return NodeTestRun(process.returncode or 0, output.decode())
