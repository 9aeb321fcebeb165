"""Replays of an interrupted insert: the events an earlier attempt stored are found in
`events` itself, not inserted again, and the views on `events` are completed over them."""

from __future__ import annotations

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.aggregator import Batch, build_batch, replays, write_batch
from skillpulse.aggregator.replays import (
    OffsetSpan,
    ReplayGuard,
    ViewOnEvents,
    rerun_statement,
    view_target,
    views_on_events,
)
from skillpulse.store.topology import ClusterTopology, null_tables, render_statement
from tests.factories import FakeRecord, login, record_json

_VIEW_TARGETS = ("event_ids", "login_days", "user_days", "rollup_queue", "tool_first_seen", "login_day_counts")


def _batch(values: list[bytes], first_offset: int = 0, partition: int = 0) -> Batch:
    return build_batch([FakeRecord(value, first_offset + i, partition) for i, value in enumerate(values)])


# A key queued twice is refreshed once (a replay's login recount queues its users again).
_COUNTED = {"rollup_queue": "uniqExact(platform, user_key, day)"}


def _counts(store: Client) -> dict[str, int]:
    return {table: int(store.query(f"SELECT {_COUNTED.get(table, 'count()')} FROM {table}").result_rows[0][0])
            for table in ("events", *_VIEW_TARGETS)}


def _logins_summed(store: Client) -> int:
    """login_day_counts' total: each login under its organisation and under '*'."""
    return int(store.query("SELECT sum(logins) FROM login_day_counts").result_rows[0][0])


def _logins_counted(store: Client) -> int:
    return int(store.query("SELECT sum(n) FROM (SELECT uniqExactMerge(logins) AS n FROM login_days "
                           "GROUP BY platform, user_key, day, organisation_id)").result_rows[0][0])


def test_an_insert_whose_views_were_never_written_is_completed_and_not_doubled(
        store: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replays, "_KEYS_PER_STATEMENT", 2)  # the three records take two statements per view
    values = [login("ana", "2026-03-01T10:00:00+01:00"), login("ben", "2026-03-02T10:00:00+01:00"),
              record_json("tool_use", occurred_at="2026-03-02T11:00:00+01:00")]
    assert len(write_batch(store, _batch(values))) == 3
    complete = _counts(store)
    # What a kill -9 between the part of `events` and those of its views leaves behind.
    for table in _VIEW_TARGETS:
        store.command(f"TRUNCATE TABLE {table}")
    assert len(write_batch(store, _batch(values))) == 0  # the replay, by a fresh process
    assert _counts(store) == complete
    assert _logins_counted(store) == 2
    assert _logins_summed(store) == 4


def test_a_replay_of_a_complete_insert_changes_nothing(store: Client) -> None:
    values = [login("ana", "2026-03-01T10:00:00+01:00"), login("ana", "2026-03-01T12:00:00+01:00")]
    write_batch(store, _batch(values, first_offset=40))
    complete = _logins_counted(store)
    assert len(write_batch(store, _batch(values, first_offset=40))) == 0
    assert _logins_counted(store) == complete == 2
    assert _logins_summed(store) == 4  # the counter was recounted, not counted again
    assert _counts(store)["events"] == 2


def test_a_new_record_at_a_stored_offset_is_stored(store: Client) -> None:
    write_batch(store, _batch([login("ana", "2026-03-01T10:00:00+01:00")]))
    # The topic was recreated: offsets start again, with other events.
    assert len(write_batch(store, _batch([login("ben", "2026-03-01T10:00:00+01:00")]))) == 1
    assert _counts(store)["events"] == 2


def test_the_guard_suspects_partitions_where_a_replay_can_start() -> None:
    guard = ReplayGuard()
    first = {0: OffsetSpan(0, 9), 1: OffsetSpan(0, 4)}
    suspects, generation = guard.begin(first)
    assert suspects == {0, 1}  # a fresh process: anything may be a replay
    guard.finish(first, generation, replayed_in=set())
    assert guard.begin({0: OffsetSpan(10, 19)})[0] == set()  # where the last stored batch ended
    # ... and that attempt failed: its retry starts where it did, and is suspect.
    assert guard.begin({0: OffsetSpan(10, 19)})[0] == {0}
    suspects, generation = guard.begin({1: OffsetSpan(5, 9)})
    guard.forget()  # a rebalance while that batch was in flight
    guard.finish({1: OffsetSpan(5, 9)}, generation, replayed_in=set())
    assert guard.begin({1: OffsetSpan(10, 14)})[0] == {1}
    _, generation = guard.begin({2: OffsetSpan(0, 4)})
    guard.finish({2: OffsetSpan(0, 4)}, generation, replayed_in={2})
    assert guard.begin({2: OffsetSpan(5, 9)})[0] == {2}  # a replay can run on past one batch


# ---- on a cluster (store/topology.py): no cluster runs here, the statements are checked ----

CLUSTER = ClusterTopology("skillpulse", null_tables())


def _as_on_a_cluster(view: ViewOnEvents, database: str) -> ViewOnEvents:
    """`view` as a cluster node describes it: reading events_local, filling its target's local table."""
    target = view_target(view)
    assert f" TO {database}.{target} " in view.create and f"FROM {database}.events" in view.select, view
    return view._replace(select=view.select.replace(f"FROM {database}.events", f"FROM {database}.events_local"),
                         create=view.create.replace(f" TO {database}.{target} ", f" TO {database}.{target}_local "))


def test_on_a_cluster_a_view_is_re_run_over_every_shard_s_rows_into_the_distributed_target() -> None:
    view = ViewOnEvents(
        "user_days_mv",
        "SELECT DISTINCT platform, user_key, toDate(occurred_at, 'Europe/Luxembourg') AS day, organisation_id "
        "FROM skillpulse.events_local",
        "CREATE MATERIALIZED VIEW skillpulse.user_days_mv TO skillpulse.user_days_local (`platform` String) AS SELECT",
        ["platform", "user_key", "day", "organisation_id"])
    statement = rerun_statement(view, "skillpulse", CLUSTER)
    assert statement == (
        "INSERT INTO skillpulse.user_days (`platform`, `user_key`, `day`, `organisation_id`) "
        "SELECT DISTINCT platform, user_key, toDate(occurred_at, 'Europe/Luxembourg') AS day, organisation_id "
        "FROM (SELECT * FROM skillpulse.events WHERE (kafka_partition, kafka_offset, event_id) "
        "IN {keys:Array(Tuple(UInt32, UInt64, UUID))}) AS events_local")
    assert render_statement(statement, CLUSTER) == [statement]  # once, through the Distributed tables


def test_every_view_on_events_re_runs_the_same_way_in_both_topologies(store: Client) -> None:
    database = store.query("SELECT currentDatabase()").result_rows[0][0]
    views = views_on_events(store, None)
    assert {view_target(view) for view in views} == set(_VIEW_TARGETS)
    for view in views:
        if view_target(view) == "login_day_counts":
            continue  # a counter: recounted, not re-run
        single = rerun_statement(view, database, None)
        assert rerun_statement(_as_on_a_cluster(view, database), database, CLUSTER) == \
            single.replace(") AS events", ") AS events_local")


def test_on_a_cluster_the_views_are_found_on_events_local(store: Client) -> None:
    store.command("CREATE TABLE events_local (a UInt8) ENGINE = MergeTree ORDER BY a")
    store.command("CREATE TABLE copies_local (a UInt8) ENGINE = MergeTree ORDER BY a")
    store.command("CREATE MATERIALIZED VIEW copies_mv TO copies_local AS SELECT a FROM events_local")
    found = views_on_events(store, CLUSTER)
    assert [(view.name, view.columns, view_target(view)) for view in found] == [("copies_mv", ["a"], "copies")]


def test_a_view_reading_events_twice_is_refused() -> None:
    view = ViewOnEvents("odd_mv", "SELECT a FROM db.events_local JOIN (SELECT a FROM db.events_local) USING a",
                        "CREATE MATERIALIZED VIEW db.odd_mv TO db.odd_local (`a` UInt8) AS SELECT", ["a"])
    with pytest.raises(replays.ViewRepairError):
        rerun_statement(view, "db", CLUSTER)
