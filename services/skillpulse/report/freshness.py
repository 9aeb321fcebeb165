"""Data freshness: how recent the stored events are (the report says when its figures
were computed and up to which event; a late event can still change past days)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

# Not a KPI: the newest event and the newest insert, over the platforms of the report.
FRESHNESS_SQL = """
SELECT count(), max(occurred_at), max(stored_at) FROM events
WHERE platform IN {platforms:Array(String)}"""


class Freshness(BaseModel):
    events: int
    latest_occurred_at: datetime | None  # UTC; None when no event is stored
    latest_stored_at: datetime | None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def data_freshness(store: Client, platforms: tuple[str, ...]) -> Freshness:
    count, occurred, stored = store.query(FRESHNESS_SQL, parameters={"platforms": list(platforms)}).result_rows[0]
    if not count:  # max() of nothing is 1970-01-01 in ClickHouse
        return Freshness(events=0, latest_occurred_at=None, latest_stored_at=None)
    return Freshness(events=int(count), latest_occurred_at=_utc(occurred), latest_stored_at=_utc(stored))

