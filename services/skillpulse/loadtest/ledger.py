"""The ledger of a run: what was sent and what the pipeline acknowledged (took
responsibility for), by event_id, compared with what the store holds. The load tests,
the fault tests and the benchmarks all keep and check it this way."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client



@dataclass
class Ledger:
    sent: int = 0
    acknowledged: set[str] = field(default_factory=set)  # event ids the pipeline took responsibility for
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    seconds: float = 0.0
    timeline: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, acknowledged)

    def compare(self, stored: dict[str, int]) -> dict[str, int]:
        return compare_ledger(self.acknowledged, stored)


def compare_ledger(acknowledged: set[str], stored: dict[str, int]) -> dict[str, int]:
    """lost = acknowledged and not stored; duplicated = stored more than once; unexpected =
    stored but never acknowledged (e.g. a request that timed out on the client's side)."""
    return {"acknowledged": len(acknowledged), "stored": len(stored),
            "lost": len(acknowledged - stored.keys()), "duplicated": sum(1 for c in stored.values() if c > 1),
            "unexpected": len(stored.keys() - acknowledged)}


def stored_counts(store: Client, since: datetime | None = None) -> dict[str, int]:
    """Rows in `events` per event_id (received since `since`, or all)."""
    where = "WHERE received_at >= {since:DateTime64(3)}" if since is not None else ""
    rows = store.query(f"SELECT toString(event_id), count() FROM events {where} GROUP BY event_id",
                       parameters={"since": since} if since is not None else None).result_rows
    return {str(event_id): int(count) for event_id, count in rows}


def ledger_check(store: Client, acknowledged: set[str], since: datetime | None = None) -> dict[str, int]:
    return compare_ledger(acknowledged, stored_counts(store, since))
