"""The allocator defaults for the process hosting the embedded store."""

from __future__ import annotations

import pytest

from skillpulse.store.allocator import tune_allocator


def test_glibc_gets_the_defaults_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"):
        monkeypatch.delenv(variable, raising=False)
    applied = tune_allocator()
    if not applied:
        pytest.skip("not glibc")
    assert applied == {"MALLOC_ARENA_MAX": 2, "MALLOC_MMAP_THRESHOLD_": 128 * 1024, "MALLOC_TRIM_THRESHOLD_": 128 * 1024}
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert "MALLOC_ARENA_MAX" not in tune_allocator()
