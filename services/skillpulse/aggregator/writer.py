"""Store a batch: drop events already stored, insert the rest.

Exactly once in `events`: a client resend (same event_id, new offset) and a replay
after a crash (same offsets, insert done but commit lost) are both found in
`event_ids` and dropped. Within a partition batches run one after another, and one
user's events (hence one event's resends) always share a partition, so the check and
the insert never race. The views on `events` feed the rollups and queue the recomputed
ones (`skillpulse.store.rollups.refresh_pending`) in the same insert.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from skillpulse.aggregator.batch import EVENT_COLUMNS, EVENT_ID, PLATFORM, Batch, EventRow, to_columns
from skillpulse.aggregator.lookup import stored_keys
from skillpulse.aggregator.voids import apply_voids
from skillpulse.dead_letters import REJECTED_COLUMNS

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def _already_stored(store: Client, rows: list[EventRow]) -> set[tuple[str, uuid.UUID]]:
    return stored_keys(store, "SELECT platform, event_id FROM event_ids WHERE event_id IN",
                       [row[EVENT_ID] for row in rows])


def new_rows(store: Client, rows: list[EventRow]) -> list[EventRow]:
    """The rows whose (platform, event_id) is neither stored nor earlier in the batch."""
    seen = _already_stored(store, rows)
    fresh = []
    for row in rows:
        key = (row[PLATFORM], row[EVENT_ID])
        if key not in seen:
            seen.add(key)
            fresh.append(row)
    return fresh


def write_batch(store: Client, batch: Batch, *, deduplicate: bool = True) -> list[EventRow]:
    """Store a batch (blocking: run it in a worker thread); return the event rows inserted."""
    rows: list[EventRow] = []
    if batch.events:
        rows = new_rows(store, batch.events) if deduplicate else batch.events
        if rows:
            store.insert("events", to_columns(rows), column_names=EVENT_COLUMNS, column_oriented=True)
    apply_voids(store, batch.voids, batch.events)
    # Last: a batch that failed earlier is replayed whole, and these rows have no id to dedup by.
    if batch.rejected:
        store.insert("rejected_events", batch.rejected, column_names=REJECTED_COLUMNS)
    return rows
