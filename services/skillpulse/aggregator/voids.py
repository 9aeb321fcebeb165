"""Withdrawn events (xAPI `voided` statements, `VoidRecord`s on the events topic) leave
`events` and every figure built on it.

A void may be consumed before the event it withdraws: the two travel on the partitions
of two different users (the voider and the learner). So a batch's voids are recorded in
`voided_events` first, and then every event that is voided, by this batch or an earlier
one, is removed, including those the batch just inserted. Looking after the insert, not
before, closes the race between two replicas: whichever checks last sees both.

Removing events: a lightweight DELETE from `events`, then the rollups they fed are
recomputed from what remains, for their users, days and tools only
(`store.recompute`). Deletes go through the topology (`store.topology.run_statement`),
so on a cluster they reach the local tables of every shard. Only trainings and tool
uses can be withdrawn, so `login_days` (B2) never changes. `event_ids` keeps the id: a resend of a
withdrawn event is still dropped as a duplicate.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import TYPE_CHECKING

from skillpulse.aggregator.batch import EVENT_ID, PLATFORM, VOID_COLUMNS, EventRow, Void
from skillpulse.aggregator.lookup import stored_keys
from skillpulse.kpi.params import TIMEZONE
from skillpulse.store.recompute import TouchedKeys, recompute_rollups
from skillpulse.store.topology import run_statement

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

EventKey = tuple[str, uuid.UUID]  # (platform, event_id)

_WITHDRAWABLE = "type IN ('training', 'tool_use')"
_DAY = f"toDate(occurred_at, '{TIMEZONE}')"


def record_voids(store: Client, voids: list[Void]) -> None:
    if voids:
        store.insert("voided_events", voids, column_names=VOID_COLUMNS)


# Up to this many voids, the batch is checked against all of them in Python: cheaper
# than sending the batch's ids to the store (thousands of UUID literals to parse).
VOIDS_READ_WHOLE = 20_000


def _voids_stored(store: Client) -> int:
    return int(store.query("SELECT count() FROM voided_events").result_rows[0][0])  # from the parts' row counts


def voided_among(store: Client, rows: list[EventRow], voids: int | None = None) -> set[EventKey]:
    """The (platform, event_id) of `rows` that some void withdraws (`voids`: how many are
    stored, when the caller has just counted them)."""
    if not rows:
        return set()
    voids = _voids_stored(store) if voids is None else voids
    if not voids:
        return set()
    if voids <= VOIDS_READ_WHOLE:
        found = {(platform, event_id) for platform, event_id in
                 store.query("SELECT platform, voided_event_id FROM voided_events").result_rows}
    else:
        found = stored_keys(store, "SELECT platform, voided_event_id FROM voided_events WHERE voided_event_id IN",
                            [row[EVENT_ID] for row in rows])
    return found & {(row[PLATFORM], row[EVENT_ID]) for row in rows}


def _withdraw(store: Client, platform: str, ids: list[uuid.UUID]) -> int:
    """Queue what the stored events among `ids` fed, then delete them; how many there were."""
    where = f"platform = {{platform:String}} AND {_WITHDRAWABLE} AND event_id IN {{ids:Array(UUID)}}"
    parameters = {"platform": platform, "ids": ids}
    count = int(store.query(f"SELECT count() FROM events WHERE {where}", parameters=parameters).result_rows[0][0])
    if count:
        store.command(f"INSERT INTO void_recompute (platform, user_key, day, tool_id) "
                      f"SELECT platform, user_key, {_DAY}, tool_id FROM events WHERE {where}", parameters=parameters)
        run_statement(store, f"DELETE FROM events WHERE {where}", parameters)
    return count


def finish_pending(store: Client) -> None:
    """Recompute what queued withdrawals fed (this batch's, or one a crash interrupted), then
    clear the queue up to what was read."""
    pending = store.query("SELECT platform, groupUniqArray(user_key), groupUniqArray(day), "
                          "groupUniqArrayIf(tool_id, tool_id != ''), max(queued_at) FROM void_recompute "
                          "GROUP BY platform ORDER BY platform").result_rows
    for platform, users, days, tools, newest in pending:
        recompute_rollups(store, platform, TouchedKeys(list(users), list(days), list(tools)))
        run_statement(store, "DELETE FROM void_recompute WHERE platform = {platform:String} "
                      "AND queued_at <= {newest:DateTime64(3)}", {"platform": platform, "newest": newest})


def remove_events(store: Client, keys: set[EventKey]) -> int:
    """Remove stored trainings and tool uses, and recompute what they fed; how many."""
    by_platform: dict[str, list[uuid.UUID]] = defaultdict(list)
    for platform, event_id in keys:
        by_platform[platform].append(event_id)
    removed = sum(_withdraw(store, platform, ids) for platform, ids in sorted(by_platform.items()))
    finish_pending(store)
    return removed


def apply_voids(store: Client, voids: list[Void], rows: list[EventRow]) -> None:
    """Record a batch's voids, then remove every stored event they or earlier voids withdraw
    among `rows` (the whole batch: a replay re-checks what an interrupted attempt stored)."""
    record_voids(store, voids)
    stored = len(voids) or _voids_stored(store)
    if not stored:
        return  # no void ever: nothing to withdraw, nothing queued
    withdrawn = {(void.platform, void.voided_event_id) for void in voids} | voided_among(store, rows, stored)
    removed = remove_events(store, withdrawn) if withdrawn else 0
    if not removed:
        finish_pending(store)  # what an interrupted attempt queued
