"""Replays of an interrupted insert: the records an earlier attempt at a batch already
put in `events`, found in `events` itself.

An insert into `events` is not atomic with the inserts of the views on it: each table
commits its own part. A process killed between the two (or an insert that failed in a
view) leaves events in `events` that `event_ids` and the rollups do not know of, and
the batch is consumed again, since its offsets were never committed. So the replay's
`event_ids` lookup cannot be trusted for those records; `events` can: a part is there
whole or not at all. Each stored row carries its Kafka partition and offset, so a
record whose (partition, offset, event_id) is in `events` was stored by an earlier
attempt. It is not inserted again, and every view on `events` is run again over those
rows, from `events`: the views keep exact distinct-count states, distinct rows,
minimums and queues (never counters), so running one twice over the same events
changes nothing, and running it once more over events it missed completes it. A view
into a counter (SummingMergeTree: `login_day_counts`) cannot be run twice: its days are
recounted from `events` instead (`skillpulse.store.login_counts`).

On a cluster (`store.topology`) the views read `events_local` and write each target's
local table, on every node. Their definitions are read back in the code's names (the
Distributed `events` and targets), so a re-run reads the chosen rows of every shard
through `events` and writes through the target's Distributed table. A per-user target is
sharded by `user_key` like `events`, so its rows land on the shard the view would have
written them on; `event_ids` and `tool_first_seen` go to the shard of their own key, which
their readers do not mind (they read through the Distributed tables, and the views
already spread one tool's or one id's rows over the shards that hold its events).

`events` is not sorted by offset, so the lookup reads a column scan: it runs only
where a replay is possible, for a partition whose batch does not start where this
process's last stored batch of it ended (the process's first batch of it, a retry
after a failure, a partition that came back from another replica), and again for
the following batch of a partition where it found replayed rows.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from skillpulse.errors import SkillpulseError
from skillpulse.kpi.params import TIMEZONE
from skillpulse.store.login_counts import recount_login_days
from skillpulse.store.topology import ClusterTopology, logical_name, run_statement, store_topology

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

logger = logging.getLogger("skillpulse.aggregator")

# A row an earlier attempt stored was stored after the collector received it; this much
# allows for a collector's clock ahead of the store's.
CLOCK_SKEW = timedelta(days=1)


class OffsetSpan(NamedTuple):
    """The first and last offset of one partition's records in a batch."""

    first: int
    last: int


class StoredRecord(NamedTuple):
    partition: int
    offset: int
    event_id: uuid.UUID


class ViewRepairError(SkillpulseError, RuntimeError):
    """A view on `events` has a definition the repair cannot re-run over chosen rows."""


class ViewOnEvents(NamedTuple):
    """A materialized view on `events` as the store describes it (`system.tables`)."""

    name: str
    select: str  # as_select: its SELECT, tables qualified with the database
    create: str  # create_table_query: names its target
    columns: list[str]  # the view's columns, in order: the target's columns it fills


class ReplayGuard:
    """Where this process's stored batches ended, per partition (one per consumer)."""

    def __init__(self) -> None:
        self._next: dict[int, int] = {}  # partition -> the offset after the last stored batch
        self._replaying: set[int] = set()  # partitions whose last check found replayed rows
        self._generation = 0  # bumped by a rebalance: an attempt in flight must not vouch for after it
        self._lock = threading.Lock()

    def begin(self, spans: dict[int, OffsetSpan]) -> tuple[set[int], int]:
        """The partitions of a batch that may hold replayed records, and the generation
        to hand back to `finish`. They stay suspect until `finish` (a failed attempt
        leaves them so)."""
        with self._lock:
            suspects = {p for p, span in spans.items() if self._next.pop(p, None) != span.first or p in self._replaying}
            return suspects, self._generation

    def finish(self, spans: dict[int, OffsetSpan], generation: int, replayed_in: set[int]) -> None:
        with self._lock:
            if generation != self._generation:
                return
            for partition, span in spans.items():
                self._next[partition] = span.last + 1
            self._replaying = (self._replaying - spans.keys()) | replayed_in

    def forget(self) -> None:
        """Partitions were revoked or assigned: another consumer may have stored records."""
        with self._lock:
            self._generation += 1
            self._next.clear()


def stored_records(store: Client, spans: dict[int, OffsetSpan], since: datetime) -> set[StoredRecord]:
    """The rows of `events` at or past each partition's first offset in `spans`, stored
    at or after `since` (less the clock skew)."""
    if not spans:
        return set()
    partitions = sorted(spans)
    result = store.query(
        "SELECT kafka_partition, kafka_offset, event_id FROM events "
        "PREWHERE kafka_partition IN {partitions:Array(UInt32)} "
        "AND kafka_offset >= transform(kafka_partition, {partitions:Array(UInt32)}, {firsts:Array(UInt64)}, 0) "
        "AND kafka_offset <= transform(kafka_partition, {partitions:Array(UInt32)}, {lasts:Array(UInt64)}, 0) "
        "WHERE stored_at >= {since:DateTime64(3, 'UTC')}",
        parameters={"partitions": partitions, "firsts": [spans[p].first for p in partitions],
                    "lasts": [spans[p].last for p in partitions], "since": since - CLOCK_SKEW})
    return {StoredRecord(int(p), int(o), event_id) for p, o, event_id in result.result_rows}


# A server takes query parameters in the URL: a few thousand keys keep it short.
_KEYS_PER_STATEMENT = 2_000
_TARGET = re.compile(r"^CREATE MATERIALIZED VIEW \S+ TO (\S+)")


def _recount_login_days(store: Client, keys: list[tuple[int, int, uuid.UUID]]) -> None:
    """Recount the Luxembourg days of the logins among `keys`, per platform, from `events`."""
    spans: dict[str, tuple[Any, Any]] = {}
    for start in range(0, len(keys), _KEYS_PER_STATEMENT):
        for platform, first, last in store.query(
                f"SELECT platform, min(toDate(occurred_at, '{TIMEZONE}')), max(toDate(occurred_at, '{TIMEZONE}')) "
                "FROM events WHERE type = 'login' AND (kafka_partition, kafka_offset, event_id) "
                "IN {keys:Array(Tuple(UInt32, UInt64, UUID))} GROUP BY platform",
                parameters={"keys": keys[start:start + _KEYS_PER_STATEMENT]}).result_rows:
            known = spans.get(platform, (first, last))
            spans[platform] = (min(known[0], first), max(known[1], last))
    for platform, (first, last) in sorted(spans.items()):
        recount_login_days(store, platform, first, last)


def _source(topology: ClusterTopology | None) -> str:
    """The table the views on `events` read: the local one on a cluster."""
    return "events_local" if topology else "events"


def views_on_events(store: Client, topology: ClusterTopology | None) -> list[ViewOnEvents]:
    views = store.query(
        "SELECT v.name, v.as_select, v.create_table_query FROM system.tables AS v "
        "WHERE v.database = currentDatabase() AND v.engine = 'MaterializedView' AND v.name IN "
        "(SELECT arrayJoin(dependencies_table) FROM system.tables WHERE database = currentDatabase() "
        "AND name = {source:String}) ORDER BY v.name", parameters={"source": _source(topology)}).result_rows
    columns: dict[str, list[str]] = {table: list(names) for table, names in store.query(
        "SELECT table, groupArray(name) FROM (SELECT table, name FROM system.columns "
        "WHERE database = currentDatabase() AND table IN {views:Array(String)} ORDER BY table, position) "
        "GROUP BY table", parameters={"views": [name for name, _, _ in views]}).result_rows}
    return [ViewOnEvents(name, select, create, columns[name]) for name, select, create in views]


def view_target(view: ViewOnEvents) -> str:
    """The table `view` fills, as the code names it (the Distributed one on a cluster)."""
    target = _TARGET.match(view.create)
    if target is None:
        raise ViewRepairError(f"view {view.name} on events names no target table")
    return logical_name(target.group(1).rsplit(".", 1)[-1])


def rerun_statement(view: ViewOnEvents, database: str, topology: ClusterTopology | None) -> str:
    """The INSERT that runs `view` again over the rows of `events` among `{keys}` (partition,
    offset, event id), written for one server: on a cluster it reads every shard's rows
    through `events` and writes through the target's Distributed table."""
    source = f"FROM {database}.{_source(topology)}"
    if view.select.count(source) != 1:
        raise ViewRepairError(f"view {view.name} on events cannot be re-run over chosen rows")
    rows = (f"(SELECT * FROM {database}.events WHERE (kafka_partition, kafka_offset, event_id) "
            f"IN {{keys:Array(Tuple(UInt32, UInt64, UUID))}}) AS {_source(topology)}")
    listed = ", ".join(f"`{column}`" for column in view.columns)
    return f"INSERT INTO {database}.{view_target(view)} ({listed}) {view.select.replace(source, 'FROM ' + rows)}"


def rerun_views(store: Client, records: set[StoredRecord]) -> int:
    """Run every materialized view on `events` again over `records` (already in `events`),
    from their own definitions; how many views ran."""
    if not records:
        return 0
    topology = store_topology(store)
    database = store.query("SELECT currentDatabase()").result_rows[0][0]
    views = views_on_events(store, topology)
    if not views:  # never skip them silently
        raise ViewRepairError("records of an interrupted insert are in events but no view on events was found")
    keys = [(record.partition, record.offset, record.event_id) for record in sorted(records)]
    counters = {logical_name(name) for (name,) in store.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase() "
        "AND engine LIKE '%SummingMergeTree'").result_rows}
    for view in views:
        if (target := view_target(view)) in counters:
            if target != "login_day_counts":  # a count that cannot be repaired: stop, loudly
                raise ViewRepairError(f"view {view.name} counts into {target}, which has no recount")
            _recount_login_days(store, keys)
            continue
        statement = rerun_statement(view, database, topology)
        for start in range(0, len(keys), _KEYS_PER_STATEMENT):
            run_statement(store, statement, {"keys": keys[start:start + _KEYS_PER_STATEMENT]})
    logger.warning("%d records of an interrupted insert were already in events: not stored again, "
                   "%d views completed over them", len(records), len(views))
    return len(views)
