"""The cluster form of the migrations (store/topology.py), rendered from the one source
and parsed by ClickHouse's own parser (`formatQuery`): no cluster runs here."""

import re
from pathlib import Path

import chdb
import pytest
from click.testing import CliRunner
from clickhouse_connect.driver.client import Client

from skillpulse.cli import main
from skillpulse.config import get_settings
from skillpulse.store import login_counts, recompute
from skillpulse.store.erasure import StringColumns, deletion
from skillpulse.store.migrations import migration_files, sql_only, statements
from skillpulse.store.topology import (
    ClusterTopology,
    UnsupportedStatement,
    distributed_cluster,
    null_tables,
    render_statement,
    run_statement,
    store_topology,
)

CLUSTER = ClusterTopology("skillpulse", null_tables())


def _rendered() -> list[str]:
    return [rendered for migration in migration_files() for statement in statements(migration.path.read_text())
            for rendered in render_statement(statement, CLUSTER)]


def _parses(sql: str) -> bool:
    quoted = sql.replace("\\", "\\\\").replace("'", "\\'")
    return bool(str(chdb.query(f"SELECT formatQuery('{quoted}')", "TSVRaw")).strip())  # type: ignore[no-untyped-call]


def test_every_migration_renders_for_the_cluster_and_clickhouse_parses_it() -> None:
    rendered = _rendered()
    ddl = [sql for sql in rendered if not sql.startswith("INSERT INTO ")]  # a backfill runs once, on one node
    assert rendered and all(" ON CLUSTER 'skillpulse' " in sql for sql in ddl)
    for sql in rendered:
        assert _parses(sql), sql


def test_the_parser_check_can_fail() -> None:
    with pytest.raises(Exception):  # noqa: B017 - chdb raises its own error type for a syntax error
        _parses("CREATE TABLE x ON CLUSTER 'c' (a UInt8) ENGINE = ReplicatedMergeTree( ORDER BY a")


def test_each_table_is_a_replicated_local_table_behind_a_distributed_one() -> None:
    created = [sql for sql in _rendered() if sql.startswith("CREATE TABLE")]
    local = {re.match(r"CREATE TABLE IF NOT EXISTS (\w+)_local ", sql)[1]: sql  # type: ignore[index]
             for sql in created if "_local ON CLUSTER" in sql.split("(")[0]}
    distributed = {re.match(r"CREATE TABLE IF NOT EXISTS (\w+) ", sql)[1]: sql  # type: ignore[index]
                   for sql in created if "ENGINE = Distributed(" in sql}
    assert local and local.keys() == distributed.keys()
    for name, sql in local.items():
        assert re.search(rf"ENGINE = Replicated\w*MergeTree\('/clickhouse/tables/{{shard}}/{{database}}/{name}_local', "
                         r"'\{replica\}'", sql), name
        over_local = f"AS {name}_local ENGINE = Distributed('skillpulse', currentDatabase(), {name}_local, "
        assert over_local in distributed[name]


def test_one_person_s_rows_land_on_one_shard() -> None:
    keys = {re.match(r"CREATE TABLE IF NOT EXISTS (\w+) ", sql)[1]: sql.split("_local, ")[-1]  # type: ignore[index]
            for sql in _rendered() if "ENGINE = Distributed(" in sql}
    for per_user in ("events", "login_days", "user_days", "user_activity", "rollup_queue"):
        assert keys[per_user] == "cityHash64(user_key))", per_user
    # Rows a merging engine collapses share its key's shard; plain logs go anywhere.
    assert keys["blog_articles"] == "cityHash64(site, guid))"
    assert keys["pipeline_stats"] == "rand())"


def test_views_read_and_write_the_local_tables_on_every_node() -> None:
    views = [sql for sql in _rendered() if sql.startswith("CREATE MATERIALIZED VIEW")
             and re.search(r"\bFROM (\w+)", sql)[1] not in CLUSTER.null_tables]  # type: ignore[index]
    assert views
    for sql in views:
        assert re.search(r" TO \w+_local AS SELECT ", sql), sql
        assert all(source.endswith("_local") for source in re.findall(r"\bFROM (\w+)", sql)), sql


def test_a_null_input_is_on_every_node_and_its_view_writes_through_the_distributed_target() -> None:
    assert "event_records" in CLUSTER.null_tables  # the aggregator's JSON rows (0017)
    topology = ClusterTopology("c", frozenset({"inbox"}))
    table = render_statement("CREATE TABLE IF NOT EXISTS inbox (a UInt8) ENGINE = Null", topology)
    assert table == ["CREATE TABLE IF NOT EXISTS inbox ON CLUSTER 'c' (a UInt8) ENGINE = Null"]
    view = render_statement("CREATE MATERIALIZED VIEW IF NOT EXISTS inbox_mv TO events AS SELECT a FROM inbox",
                            topology)
    assert view == ["CREATE MATERIALIZED VIEW IF NOT EXISTS inbox_mv ON CLUSTER 'c' TO events AS SELECT a FROM inbox"]
    with pytest.raises(UnsupportedStatement):
        render_statement("CREATE MATERIALIZED VIEW v TO t AS SELECT a FROM inbox JOIN events USING a", topology)


def test_a_backfill_runs_once_through_the_distributed_tables() -> None:
    backfill = "INSERT INTO login_day_counts SELECT platform FROM events WHERE type = 'login'"
    assert render_statement(backfill, CLUSTER) == [backfill]


def test_a_column_change_reaches_the_distributed_table_too_and_an_index_only_the_local_one() -> None:
    added = render_statement("ALTER TABLE t ADD COLUMN IF NOT EXISTS c UInt8 DEFAULT 0, DROP COLUMN d", CLUSTER)
    assert [sql.split(" ON ")[0] for sql in added] == ["ALTER TABLE t_local", "ALTER TABLE t"]
    indexed = render_statement("ALTER TABLE t ADD INDEX i c TYPE minmax GRANULARITY 1", CLUSTER)
    assert [sql.split(" ON ")[0] for sql in indexed] == ["ALTER TABLE t_local"]
    with pytest.raises(UnsupportedStatement, match="split it"):
        render_statement("ALTER TABLE t ADD COLUMN c UInt8, MATERIALIZE INDEX i", CLUSTER)


def test_a_statement_without_a_cluster_rule_is_refused() -> None:
    for statement in ("INSERT INTO events VALUES (1)", "CREATE VIEW v AS SELECT 1", "DROP TABLE events",
                      "CREATE TABLE t (a UInt8) ENGINE = Memory"):
        with pytest.raises(UnsupportedStatement):
            render_statement(statement, CLUSTER)


def test_migrate_prints_the_sql_of_the_configured_topology_and_applies_nothing(tmp_path: Path) -> None:
    env = {"SKILLPULSE_PATHS_DATA_DIR": str(tmp_path / "data")}
    single = CliRunner().invoke(main, ["migrate", "--print-sql"], env=env)
    get_settings.cache_clear()
    try:
        cluster = CliRunner().invoke(main, ["migrate", "--print-sql"],
                                     env=env | {"SKILLPULSE_CLICKHOUSE_CLUSTER": "skillpulse"})
    finally:
        get_settings.cache_clear()
    assert single.exit_code == 0 and cluster.exit_code == 0, single.output + cluster.output
    assert "CREATE TABLE IF NOT EXISTS events (" in single.output and "ON CLUSTER" not in single.output
    assert "CREATE TABLE IF NOT EXISTS events_local ON CLUSTER 'skillpulse' (" in cluster.output
    assert not (tmp_path / "data" / "clickhouse").exists()  # printed, not applied


# ---- the code's runtime statements, through the same rules (run_statement) ----

def test_a_mutation_reaches_the_local_table_of_every_shard() -> None:
    erased = deletion(StringColumns("events", ["tool_id", "user_key"]))
    assert render_statement(erased, CLUSTER) == [
        "ALTER TABLE `events_local` ON CLUSTER 'skillpulse' DELETE WHERE "
        "position(toString(`tool_id`), {key:String}) > 0 OR position(toString(`user_key`), {key:String}) > 0"]
    updated = render_statement("ALTER TABLE skillpulse.t UPDATE a = 1 WHERE b = 2", CLUSTER)
    assert updated == ["ALTER TABLE skillpulse.t_local ON CLUSTER 'skillpulse' UPDATE a = 1 WHERE b = 2"]


def test_a_lightweight_delete_truncate_and_optimize_reach_the_local_tables() -> None:
    withdrawn = "DELETE FROM events WHERE platform = {platform:String} AND event_id IN {ids:Array(UUID)}"
    assert render_statement(withdrawn, CLUSTER) == [
        "DELETE FROM events_local ON CLUSTER 'skillpulse' WHERE platform = {platform:String} "
        "AND event_id IN {ids:Array(UUID)}"]
    assert render_statement("TRUNCATE TABLE `user_days`", CLUSTER) == [
        "TRUNCATE TABLE `user_days_local` ON CLUSTER 'skillpulse'"]
    assert render_statement("OPTIMIZE TABLE user_days FINAL", CLUSTER) == [
        "OPTIMIZE TABLE user_days_local ON CLUSTER 'skillpulse' FINAL"]


def test_the_recount_of_login_day_counts_deletes_on_every_shard_and_counts_through_the_distributed_tables() -> None:
    """store/login_counts.py's two statements, as the cluster rules render them."""
    assert render_statement(login_counts._DELETE, CLUSTER) == [
        "ALTER TABLE login_day_counts_local ON CLUSTER 'skillpulse' DELETE WHERE "
        "platform = {platform:String} AND day BETWEEN {first:Date} AND {last:Date}"]
    assert render_statement(login_counts._COUNT, CLUSTER) == [sql_only(login_counts._COUNT)]


def test_every_runtime_statement_of_the_rollup_recompute_renders_and_parses() -> None:
    statements_ = [*recompute._RECOMPUTE_DAYS, *recompute._RECOMPUTE_TOOLS, *recompute._CLEAR_USERS,
                   recompute._CLEAR_DAYS, login_counts._DELETE, login_counts._COUNT, login_counts._QUEUE,
                   deletion(StringColumns("event_ids", ["platform"]))]
    for statement in statements_:
        for rendered in render_statement(statement, CLUSTER):
            assert rendered.startswith("INSERT INTO ") or " ON CLUSTER 'skillpulse' " in rendered, rendered
            assert _parses(rendered.replace("{", "'").replace("}", "'")), rendered  # parameters as literals


def test_the_embedded_store_is_one_server_and_a_distributed_events_names_its_cluster(store: Client) -> None:
    assert store_topology(store) is None
    assert distributed_cluster("Distributed('skillpulse', 'skillpulse', 'events_local', cityHash64(user_key))") \
        == "skillpulse"
    assert distributed_cluster("MergeTree ORDER BY (platform, occurred_at)") is None


def test_run_statement_on_one_server_runs_the_statement_as_written(store: Client) -> None:
    store.command("CREATE TABLE scratch (a UInt8) ENGINE = MergeTree ORDER BY a")
    store.command("INSERT INTO scratch VALUES (1), (2)")
    run_statement(store, "ALTER TABLE `scratch` DELETE WHERE a = {a:UInt8}", {"a": 1}, {"mutations_sync": 2})
    assert store.query("SELECT a FROM scratch").result_rows == [(2,)]
