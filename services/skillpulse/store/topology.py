"""One migration source, two topologies. The numbered SQL files are written for one
server (and the embedded store); on a cluster each statement is rendered here into its
sharded, replicated form:

- a table becomes `<name>_local` (the `Replicated` flavour of its engine, one replica path
  per shard) plus `<name>`, a `Distributed` table over it, so the code's SQL reads and
  writes the same names in both topologies;
- rows that must meet meet on one shard: a table with a `user_key` is sharded by it, so
  one person's events, their `event_ids`, and their per-user rollups (filled by views on
  the shard that holds the events) stay shard-local; a table that merges rows by key
  (Replacing/Aggregating/Summing) is sharded by that key; any other by `rand()`;
- a materialized view reads the local source and writes the local target, on every node;
- an `ALTER` runs on every node's local table;
- a `Null` table (an input that only feeds views) exists on every node, and a view on it
  writes through the target's Distributed table, so its rows reach their shard;
- an `INSERT … SELECT` (a backfill) runs once, on one node, through the Distributed tables.

The code's own runtime statements go through the same rules (`run_statement`), with the
topology read from the store itself (`store_topology`: on a cluster `events` is a
Distributed table), so no call site writes a cluster variant:

- a mutation (`ALTER TABLE … DELETE/UPDATE`), a lightweight `DELETE FROM`, a `TRUNCATE` or
  an `OPTIMIZE` runs on the local table `ON CLUSTER` (a Distributed table takes none of
  them); the caller's settings travel with it to every node (`mutations_sync` waits
  there for the shard's replicas, and `ON CLUSTER` waits for every shard);
- an `INSERT … SELECT` runs as written: it reads through the Distributed tables and each
  row reaches its shard.

A statement of any other shape is refused, so a new migration cannot silently stay
single-server: `tests/store/test_topology.py` renders every file."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from skillpulse.config import ClickHouseSettings
from skillpulse.errors import SkillpulseError
from skillpulse.store.migrations import migration_files, sql_only, statements

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

LOCAL_SUFFIX = "_local"
MERGING_ENGINES = ("ReplacingMergeTree", "AggregatingMergeTree", "SummingMergeTree", "CollapsingMergeTree")

_CREATE_TABLE = re.compile(
    r"^CREATE TABLE (?P<exists>IF NOT EXISTS )?(?P<name>\w+) (?P<columns>\(.*\)) "
    r"ENGINE = (?P<engine>\w*MergeTree)(?:\((?P<args>[^()]*)\))?(?P<rest>.*)$", re.DOTALL)
_CREATE_VIEW = re.compile(
    r"^CREATE MATERIALIZED VIEW (?P<exists>IF NOT EXISTS )?(?P<name>\w+) TO (?P<target>\w+) AS (?P<select>SELECT .*)$",
    re.DOTALL)
_CREATE_NULL = re.compile(r"^CREATE TABLE (?P<exists>IF NOT EXISTS )?(?P<name>\w+) (?P<columns>\(.*\)) ENGINE = Null$",
                          re.DOTALL)
# A table as the code names it: `name`, `db.name`, either quoted in backticks.
_TABLE = r"(?P<database>\w+\.|`\w+`\.)?(?P<quote>`?)(?P<name>\w+)(?P=quote)"
_INSERT_SELECT = re.compile(r"^INSERT INTO (?:\w+\.)?`?\w+`? (?:\([^()]*\) )?SELECT ", re.DOTALL)
_ALTER = re.compile(rf"^ALTER TABLE {_TABLE} (?P<rest>.*)$", re.DOTALL)
_DELETE_FROM = re.compile(rf"^DELETE FROM {_TABLE} (?P<rest>WHERE .*)$", re.DOTALL)
_TRUNCATE_OR_OPTIMIZE = re.compile(rf"^(?P<verb>TRUNCATE|OPTIMIZE) TABLE (?P<exists>IF EXISTS )?{_TABLE}(?P<rest>.*)$",
                                   re.DOTALL)
_DISTRIBUTED_CLUSTER = re.compile(r"^Distributed\('(?P<cluster>\w+)'")
# Column changes also reach the Distributed table, which copied the columns when it was made.
_COLUMN_CHANGE = re.compile(r"^(ADD|DROP|MODIFY|RENAME|COMMENT) COLUMN\b")
_CLAUSE = re.compile(r",\s*(?=(?:ADD|DROP|MODIFY|RENAME|COMMENT|MATERIALIZE|UPDATE|DELETE|CLEAR)\b)")
_FROM = re.compile(r"\b(FROM|JOIN) (\w+)\b")
_ORDER_BY = re.compile(r"\bORDER BY (\(.*?\)|\S+?)(?= TTL\b| SETTINGS\b| PARTITION\b| PRIMARY\b| SAMPLE\b|$)")


class UnsupportedStatement(SkillpulseError):
    """A statement the cluster renderer has no rule for: add one here."""


@dataclass(frozen=True)
class ClusterTopology:
    name: str  # the cluster of ClickHouse's `remote_servers` (infra/clickhouse/cluster/)
    # The migrations' Null tables (a view reading one must write through its Distributed target).
    null_tables: frozenset[str] = frozenset()

    @property
    def on_cluster(self) -> str:
        return f"ON CLUSTER '{self.name}'"

    def render(self, statement: str) -> list[str]:
        """The cluster form of one single-server statement (one or more statements)."""
        return render_statement(statement, self)


@functools.cache  # the migration files do not change while a process runs; read once, not per statement
def null_tables() -> frozenset[str]:
    """Every `ENGINE = Null` table the migrations create (whichever are applied already)."""
    return frozenset(match["name"] for migration in migration_files()
                     for statement in statements(migration.path.read_text())
                     if (match := _CREATE_NULL.match(sql_only(statement))))


def topology_of(settings: ClickHouseSettings) -> ClusterTopology | None:
    return ClusterTopology(settings.cluster, null_tables()) if settings.cluster else None


def store_topology(store: Client) -> ClusterTopology | None:
    """The topology `store` holds: a cluster's when `events` is a Distributed table (its
    cluster named in the engine), else None (one server, the embedded store, or none
    migrated yet). Read from the store on each call: a cheap look at `system.tables`."""
    found = store.query("SELECT engine_full FROM system.tables WHERE database = currentDatabase() "
                        "AND name = 'events' AND engine = 'Distributed'").result_rows
    cluster = distributed_cluster(found[0][0]) if found else None
    return ClusterTopology(cluster, null_tables()) if cluster else None


def distributed_cluster(engine_full: str) -> str | None:
    """The cluster a Distributed table's engine (`system.tables.engine_full`) names."""
    match = _DISTRIBUTED_CLUSTER.match(engine_full)
    return match["cluster"] if match else None


def run_statement(store: Client, statement: str, parameters: dict[str, Any] | None = None,
                  settings: dict[str, Any] | None = None) -> None:
    """Run `statement`, written for one server, in the topology `store` holds."""
    topology = store_topology(store)
    for rendered in topology.render(statement) if topology else [statement]:
        store.command(rendered, parameters=parameters, settings=settings)


def local_name(name: str) -> str:
    """The local table behind the Distributed table `name`, on a cluster."""
    return name + LOCAL_SUFFIX


def logical_name(name: str) -> str:
    """The name the code uses for the table `name` of a cluster node: `events` for `events_local`."""
    return name.removesuffix(LOCAL_SUFFIX)


def _local(match: re.Match[str]) -> str:
    return f"{match['database'] or ''}{match['quote']}{local_name(match['name'])}{match['quote']}"


def sharding_key(columns: str, engine: str, rest: str) -> str:
    if re.search(r"[(,] ?user_key ", columns):
        return "cityHash64(user_key)"
    order_by = _ORDER_BY.search(rest)
    if engine in MERGING_ENGINES and order_by:
        key = order_by.group(1)
        return f"cityHash64{key}" if key.startswith("(") else f"cityHash64({key})"
    return "rand()"


def _table(match: re.Match[str], topology: ClusterTopology) -> list[str]:
    name, local, exists = match["name"], local_name(match["name"]), match["exists"] or ""
    # {shard} and {replica} are each node's macros, {database} ClickHouse's own.
    path = "'/clickhouse/tables/{shard}/{database}/" + local + "', '{replica}'"
    args = f"{path}, {match['args']}" if match["args"] else path
    key = sharding_key(match["columns"], match["engine"], match["rest"])
    return [
        f"CREATE TABLE {exists}{local} {topology.on_cluster} {match['columns']} "
        f"ENGINE = Replicated{match['engine']}({args}){match['rest']}",
        f"CREATE TABLE {exists}{name} {topology.on_cluster} AS {local} "
        f"ENGINE = Distributed('{topology.name}', currentDatabase(), {local}, {key})",
    ]


def _view(match: re.Match[str], topology: ClusterTopology) -> list[str]:
    sources = {source[2] for source in _FROM.finditer(match["select"])}
    if sources & topology.null_tables:
        if not sources <= topology.null_tables:
            raise UnsupportedStatement("a view reading a Null table and a stored one: no cluster rule")
        # Fed on whichever node took the insert: the Distributed target places each row.
        return [f"CREATE MATERIALIZED VIEW {match['exists'] or ''}{match['name']} {topology.on_cluster} "
                f"TO {match['target']} AS {match['select']}"]
    select = _FROM.sub(lambda source: f"{source[1]} {local_name(source[2])}", match["select"])
    return [f"CREATE MATERIALIZED VIEW {match['exists'] or ''}{match['name']} {topology.on_cluster} "
            f"TO {local_name(match['target'])} AS {select}"]


def _alter(match: re.Match[str], topology: ClusterTopology) -> list[str]:
    local = [f"ALTER TABLE {_local(match)} {topology.on_cluster} {match['rest']}"]
    clauses = _CLAUSE.split(match["rest"])
    if all(_COLUMN_CHANGE.match(clause) for clause in clauses):
        distributed = f"{match['database'] or ''}{match['quote']}{match['name']}{match['quote']}"
        return local + [f"ALTER TABLE {distributed} {topology.on_cluster} {match['rest']}"]
    if any(_COLUMN_CHANGE.match(clause) for clause in clauses):
        raise UnsupportedStatement("an ALTER mixing column changes with other clauses: split it in two")
    return local


def render_statement(statement: str, topology: ClusterTopology) -> list[str]:
    """The cluster form of one single-server statement (one or more statements)."""
    sql = sql_only(statement)
    if table := _CREATE_TABLE.match(sql):
        return _table(table, topology)
    if view := _CREATE_VIEW.match(sql):
        return _view(view, topology)
    if null := _CREATE_NULL.match(sql):
        return [f"CREATE TABLE {null['exists'] or ''}{null['name']} {topology.on_cluster} {null['columns']} "
                "ENGINE = Null"]
    if _INSERT_SELECT.match(sql):
        return [sql]  # once, on the node migrate talks to, through the Distributed tables
    if alter := _ALTER.match(sql):
        return _alter(alter, topology)
    if delete := _DELETE_FROM.match(sql):
        return [f"DELETE FROM {_local(delete)} {topology.on_cluster} {delete['rest']}"]
    if verb := _TRUNCATE_OR_OPTIMIZE.match(sql):
        return [f"{verb['verb']} TABLE {verb['exists'] or ''}{_local(verb)} {topology.on_cluster}{verb['rest']}"]
    raise UnsupportedStatement(f"no cluster rule for a statement starting {sql[:40]!r}")
