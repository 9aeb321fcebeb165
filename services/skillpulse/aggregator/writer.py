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
from skillpulse.dead_letters import REJECTED_COLUMNS

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

_LOOKUP_CHUNK = 20_000
_MAX_QUERY_BYTES = 4 * 1024 * 1024  # 20,000 quoted ids are ~800 KB; the default limit is 256 KiB


def _already_stored(store: Client, rows: list[EventRow]) -> set[tuple[str, uuid.UUID]]:
    ids = list({row[EVENT_ID] for row in rows})
    if not all(isinstance(event_id, uuid.UUID) for event_id in ids):
        raise TypeError("event ids must be uuid.UUID objects")
    found: set[tuple[str, uuid.UUID]] = set()
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        # Written inline: the ids are uuid.UUID objects (hex and dashes only), and the
        # client's parameter escaping costs more than the lookup itself.
        listed = ",".join(f"'{event_id}'" for event_id in ids[start:start + _LOOKUP_CHUNK])
        result = store.query(f"SELECT platform, event_id FROM event_ids WHERE event_id IN ({listed})",
                             settings={"max_query_size": _MAX_QUERY_BYTES})
        found.update((platform, event_id) for platform, event_id in result.result_rows)
    return found


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
    if batch.rejected:
        store.insert("rejected_events", batch.rejected, column_names=REJECTED_COLUMNS)
    return rows
