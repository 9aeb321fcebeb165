"""The allocator defaults for the aggregator process (checked in a child process: they
cannot be undone, and would change the allocator of the whole test run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_TUNE = "import json; from skillpulse.store.allocator import tune_allocator; print(json.dumps(tune_allocator()))"
_VARIABLES = ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")


def _tune(**env: str) -> dict[str, int]:
    clean = {k: v for k, v in os.environ.items() if k not in _VARIABLES} | env
    out = subprocess.run([sys.executable, "-c", _TUNE], env=clean, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_glibc_gets_the_defaults_and_the_environment_wins() -> None:
    applied = _tune()
    if not applied:
        pytest.skip("not glibc")
    assert applied == {"MALLOC_ARENA_MAX": 2, "MALLOC_MMAP_THRESHOLD_": 128 * 1024,
                       "MALLOC_TRIM_THRESHOLD_": 128 * 1024}
    assert set(_tune(MALLOC_ARENA_MAX="4")) == {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}
    assert _tune(GLIBC_TUNABLES="glibc.malloc.arena_max=4") == {}
