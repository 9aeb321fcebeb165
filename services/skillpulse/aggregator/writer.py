"""Store a batch: drop events already stored, insert the rest, refresh the rollups.

Exactly once in `events`: a client resend (same event_id, new offset) and a replay
after a crash (same offsets, insert done but commit lost) are both found in
`event_ids` and dropped. Within a partition batches run one after another, and one
user's events (hence one event's resends) always share a partition, so the check and
the insert never race. The rollup refresh runs for the whole batch, dropped rows
included: after a crash between insert and refresh, the replay completes it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from clickhouse_connect.driver.client import Client

from skillpulse.aggregator.batch import EVENT_COLUMNS, REJECTED_COLUMNS, Batch, to_columns
from skillpulse.kpi.params import TIMEZONE
from skillpulse.store.rollups import refresh_daily_activity, refresh_user_activity

_EVENT_ID, _USER_KEY, _PLATFORM, _OCCURRED_AT = (
    EVENT_COLUMNS.index(c) for c in ("event_id", "user_key", "platform", "occurred_at"))
_LUXEMBOURG = ZoneInfo(TIMEZONE)
_LOOKUP_CHUNK = 20_000


def _touched_days(rows: list[list[Any]]) -> dict[str, tuple[date, date]]:
    """{platform: (first, last Luxembourg day)} of a batch's events."""
    bounds: dict[str, tuple[datetime, datetime]] = {}
    for row in rows:
        moment = row[_OCCURRED_AT]
        low, high = bounds.get(row[_PLATFORM], (moment, moment))
        bounds[row[_PLATFORM]] = (min(low, moment), max(high, moment))
    return {p: (low.astimezone(_LUXEMBOURG).date(), high.astimezone(_LUXEMBOURG).date())
            for p, (low, high) in bounds.items()}


def _already_stored(store: Client, rows: list[list[Any]]) -> set[tuple[str, Any]]:
    ids = sorted({row[_EVENT_ID] for row in rows})
    found: set[tuple[str, Any]] = set()
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        result = store.query("SELECT platform, event_id FROM event_ids WHERE event_id IN {ids:Array(UUID)}",
                             parameters={"ids": ids[start:start + _LOOKUP_CHUNK]})
        found.update((platform, event_id) for platform, event_id in result.result_rows)
    return found


def new_rows(store: Client, rows: list[list[Any]]) -> list[list[Any]]:
    """The rows whose (platform, event_id) is neither stored nor earlier in the batch."""
    seen = _already_stored(store, rows)
    fresh = []
    for row in rows:
        key = (row[_PLATFORM], row[_EVENT_ID])
        if key not in seen:
            seen.add(key)
            fresh.append(row)
    return fresh


def write_batch(store: Client, batch: Batch, *, deduplicate: bool = True) -> int:
    """Store a batch (blocking: run it in a worker thread); return the events inserted."""
    inserted = 0
    if batch.events:
        rows = new_rows(store, batch.events) if deduplicate else batch.events
        if rows:
            store.insert("events", to_columns(rows), column_names=EVENT_COLUMNS, column_oriented=True)
            inserted = len(rows)
        refresh_user_activity(store, (row[_USER_KEY] for row in batch.events))
        refresh_daily_activity(store, _touched_days(batch.events))
    if batch.rejected:
        store.insert("rejected_events", batch.rejected, column_names=REJECTED_COLUMNS)
    return inserted
