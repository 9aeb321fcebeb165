"""Store a batch: drop events already stored, insert the rest.

Exactly once in `events`: a client resend (same event_id, new offset) and a replay
after a crash (same offsets, insert done but commit lost) are both found in
`event_ids` and dropped; the records of an insert interrupted before its views were
written are found in `events` itself, and the views completed over them
(`skillpulse.aggregator.replays`). Within a partition batches run one after another, and one
user's events (hence one event's resends) always share a partition, so the check and
the insert never race. The views on `events` feed the rollups and queue the recomputed
ones (`skillpulse.store.rollups.refresh_pending`) in the same insert.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from skillpulse.aggregator.batch import (
    EVENT_ID,
    JSON_ROW,
    OFFSET,
    PARTITION,
    PLATFORM,
    RECEIVED_AT,
    Batch,
    EventRow,
)
from skillpulse.aggregator.json_rows import insert_json_rows
from skillpulse.aggregator.lookup import stored_keys
from skillpulse.aggregator.replays import ReplayGuard, StoredRecord, rerun_views, stored_records
from skillpulse.aggregator.voids import apply_voids
from skillpulse.dead_letters import REJECTED_COLUMNS

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def _already_stored(store: Client, rows: list[EventRow]) -> set[tuple[str, uuid.UUID]]:
    return stored_keys(store, "SELECT platform, event_id FROM event_ids WHERE event_id IN",
                       [row[EVENT_ID] for row in rows])


def new_rows(store: Client, rows: list[EventRow], seen: set[tuple[str, uuid.UUID]] | None = None) -> list[EventRow]:
    """The rows whose (platform, event_id) is neither stored, nor in `seen`, nor earlier in the batch."""
    seen = _already_stored(store, rows) | (seen or set())
    fresh = []
    for row in rows:
        key = (row[PLATFORM], row[EVENT_ID])
        if key not in seen:
            seen.add(key)
            fresh.append(row)
    return fresh


def _replayed(store: Client, batch: Batch, suspects: set[int]) -> set[StoredRecord]:
    """The events of suspect partitions that an earlier attempt already put in `events`."""
    rows = [row for row in batch.events if row[PARTITION] in suspects]
    if not rows:
        return set()
    spans = {p: span for p, span in batch.spans.items() if p in suspects}
    since = min(row[RECEIVED_AT] for row in rows)
    batch_records = {StoredRecord(row[PARTITION], row[OFFSET], row[EVENT_ID]) for row in rows}
    return stored_records(store, spans, since) & batch_records


def write_batch(store: Client, batch: Batch, *, deduplicate: bool = True,
                guard: ReplayGuard | None = None) -> list[EventRow]:
    """Store a batch (blocking: run it in a worker thread); return the event rows inserted.
    `guard`: the consumer's; without one, every partition of the batch is checked for replays."""
    guard = guard or ReplayGuard()
    suspects, generation = guard.begin(batch.spans)
    rows: list[EventRow] = []
    replayed: set[StoredRecord] = set()
    if batch.events:
        rows = batch.events
        if deduplicate:
            replayed = _replayed(store, batch, suspects)
            rerun_views(store, replayed)
            again = {(record.partition, record.offset) for record in replayed}
            rows = new_rows(store, [row for row in rows if (row[PARTITION], row[OFFSET]) not in again],
                            {(row[PLATFORM], row[EVENT_ID]) for row in batch.events
                             if (row[PARTITION], row[OFFSET]) in again})
        if rows:
            insert_json_rows(store, [row[JSON_ROW] for row in rows])
    apply_voids(store, batch.voids, batch.events)
    # Last: a batch that failed earlier is replayed whole, and these rows have no id to dedup by.
    if batch.rejected:
        store.insert("rejected_events", batch.rejected, column_names=REJECTED_COLUMNS)
    guard.finish(batch.spans, generation, {record.partition for record in replayed})
    return rows
