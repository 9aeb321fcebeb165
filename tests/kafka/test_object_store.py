"""The object store's memory bounds, and that they never cost the objects already stored."""

from pathlib import Path

import httpx
import pytest

from skillpulse.kafka.object_store import GO_MEMORY_LIMIT, SeaweedFS

pytestmark = pytest.mark.integration

PREFIX = "clusters/c/topics/t/partitions/0000000000/records"


def _environ(pid: int | None) -> dict[str, str]:
    assert pid is not None
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(pair.decode().partition("=")[::2] for pair in pairs if pair)


def _put(store: SeaweedFS, name: str) -> None:
    httpx.put(f"{store.filer_url}/buckets/tansu/{PREFIX}/{name}", content=b"a batch", timeout=30).raise_for_status()


def _names(store: SeaweedFS) -> list[str]:
    return [entry.name for entry in store.entries(PREFIX)]


def test_the_object_store_runs_under_a_memory_limit_and_its_store_survives_a_restart(tmp_path: Path) -> None:
    store = SeaweedFS(tmp_path)
    store.start()
    try:
        assert _environ(store.pid)["GOMEMLIMIT"] == GO_MEMORY_LIMIT
        _put(store, "00000000000000000000.batch")
        store.stop()
        store.start()  # the filer made an empty filerldb2 too: the store must not switch to it
        assert _names(store) == ["00000000000000000000.batch"]
    finally:
        store.stop()
    assert (store.dir / "filerldb").is_dir() and not (store.dir / "filerldb2" / "00").exists()


def test_a_data_dir_of_seaweedfs_default_store_keeps_it_and_its_objects(tmp_path: Path) -> None:
    """A data dir made before the bounds (SeaweedFS's own leveldb2 store) is not orphaned."""
    store = SeaweedFS(tmp_path)
    store.bounded = False
    store.start()
    try:
        assert "GOMEMLIMIT" not in _environ(store.pid)
        _put(store, "00000000000000000000.batch")
    finally:
        store.stop()
    store.bounded = True
    store.start()
    try:
        assert _environ(store.pid)["GOMEMLIMIT"] == GO_MEMORY_LIMIT
        _put(store, "00000000000000000007.batch")
        assert _names(store) == ["00000000000000000000.batch", "00000000000000000007.batch"]
    finally:
        store.stop()
    assert not (store.dir / "filerldb").exists()
