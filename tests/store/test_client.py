"""What the store client adds to clickhouse-connect, on the real embedded engine."""

from __future__ import annotations

import os

from skillpulse.config import ClickHouseSettings, Settings
from skillpulse.loadtest.probes import status_memory
from skillpulse.store.client import embedded, release_freed_memory


def test_only_the_embedded_store_is_embedded() -> None:
    assert embedded(Settings())
    assert not embedded(Settings(clickhouse=ClickHouseSettings(url="http://clickhouse:8123")))


def test_freed_engine_memory_goes_back_to_the_kernel(store) -> None:
    # ~80 MB allocated and freed inside the engine: its allocator keeps the pages until purged.
    assert store.query("SELECT length(groupArray(number)) FROM numbers(10000000)").result_rows == [(10_000_000,)]
    before = status_memory(os.getpid())["RssAnon"]
    assert release_freed_memory(store)
    after = status_memory(os.getpid())["RssAnon"]
    assert before - after > 20 * 2**20, (before >> 20, after >> 20)


def test_a_server_client_is_never_sent_the_purge() -> None:
    class ServerClient:
        uri = "http://clickhouse:8123"

        def command(self, sql: str) -> None:
            raise AssertionError(f"sent {sql!r}")

    assert release_freed_memory(ServerClient()) is False  # type: ignore[arg-type]
