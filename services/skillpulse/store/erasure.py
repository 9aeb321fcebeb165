"""Erasure of one person's data (GDPR Art. 17): every row of the store that holds their
pseudonym leaves it, and the aggregate figures those rows fed are recomputed without them.

Which tables hold the pseudonym is read from the store itself (`system.columns`), not
from a list: every string column of every table is searched, so a table added later (a
new rollup, a new kind of dead letter) is covered without touching this module, and so
is a pseudonym quoted inside a value (a dead letter's redacted payload). `event_ids` holds
no pseudonym: the person's event ids are taken from `events` before those rows go.

Rows leave through mutations that rewrite the parts holding them (`ALTER TABLE … DELETE`,
synchronous), not through lightweight deletes, which only mask rows until a merge. On a
cluster the tables searched are the Distributed ones (every shard's rows), and each
mutation is rendered by the topology (`store.topology.run_statement`) to run on the local
tables of every shard, waiting there for both replicas (`mutations_sync`).
Rollups keyed by the pseudonym lose the person's rows with the rest; the aggregate ones
(per day or per tool, no pseudonym) are recomputed from the `events` that remain for the
person's days and tools (`store.recompute`, as for withdrawn events), and those
days are queued for the background refresher too, with no user, so rollups it keeps are
recounted as well.

A receipt (`erasure_receipts`, migration 0014) says what was done and never whom: written
before anything is removed and again once finished, so an erasure a crash interrupted has
its figures recomputed by the next erasure (its deletions are the caller's to repeat: an
erasure is idempotent).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import TypeAdapter, ValidationError

from skillpulse.config import Settings
from skillpulse.contract import UserId
from skillpulse.credentials import pseudonym_secret
from skillpulse.errors import SkillpulseError
from skillpulse.kpi.params import TIMEZONE
from skillpulse.pseudonym import Pseudonymiser
from skillpulse.store.recompute import TouchedKeys, recompute_rollups
from skillpulse.store.topology import LOCAL_SUFFIX, run_statement

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

RECEIPTS = "erasure_receipts"
_RECEIPT_COLUMNS = ["erasure_id", "requested_at", "platform", "requested_by", "days", "tools", "rows_removed",
                    "finished"]
# A mutation waits until every part holding the rows is rewritten (the rows are gone from disk).
_SYNC = {"mutations_sync": 2}
NO_USER = "\x00" * 64  # a rollup_queue row that recounts a day without naming anyone


class ErasureReceipt(NamedTuple):
    """What one erasure removed: rows per table, the days and tools recomputed; no identifier."""

    erasure_id: uuid.UUID
    requested_at: datetime
    platform: str
    requested_by: str  # "operator" or "platform"
    days: list[date]
    tools: list[str]
    rows_removed: dict[str, int]
    finished: bool


class StringColumns(NamedTuple):
    """A table with data of its own and its columns that can hold text."""

    table: str
    columns: list[str]


class ErasureError(SkillpulseError, ValueError):
    """An erasure that cannot be done as asked (the message says why, never the id)."""


_user_id: TypeAdapter[str] = TypeAdapter(UserId)


def erasure_key(settings: Settings, platform: str, user_id: str) -> str:
    """The pseudonym the collector gives `user_id` on `platform`: the contract's check of
    the id, the same secret, the same hash."""
    try:
        checked = _user_id.validate_python(user_id)
    except ValidationError:
        raise ErasureError("not a user id the collector accepts (1 to 256 characters, no control character)") from None
    return Pseudonymiser(pseudonym_secret(settings)).user_key(platform, checked)


def receipt_json(receipt: ErasureReceipt) -> dict[str, Any]:
    """A receipt as JSON (the API, the CLI)."""
    return {"erasure_id": str(receipt.erasure_id), "requested_at": receipt.requested_at.isoformat(),
            "platform": receipt.platform, "requested_by": receipt.requested_by,
            "days": [day.isoformat() for day in receipt.days], "tools": receipt.tools,
            "rows_removed": receipt.rows_removed, "finished": receipt.finished}


# On a cluster, a Distributed table stands for its local one (which holds one shard's rows).
_STORING_TABLES = (
    "SELECT name FROM system.tables WHERE database = currentDatabase() "
    "AND (engine = 'Distributed' OR has_own_data AND engine NOT IN ('MaterializedView', 'View')) "
    "AND name NOT IN (SELECT name || {local_suffix:String} FROM system.tables "
    "WHERE database = currentDatabase() AND engine = 'Distributed')")


def string_columns(store: Client) -> list[StringColumns]:
    """Every table of the database that stores rows, with its string-typed columns
    (String, FixedString, LowCardinality, Nullable, Array, Map of them); views excluded."""
    found = store.query(
        "SELECT table, groupArray(name) FROM system.columns "
        f"WHERE database = currentDatabase() AND type LIKE '%String%' AND table IN ({_STORING_TABLES}) "
        "GROUP BY table ORDER BY table", parameters={"local_suffix": LOCAL_SUFFIX}).result_rows
    return [StringColumns(table, sorted(columns)) for table, columns in found]


def _quoted(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def holding(columns: StringColumns) -> str:
    """SQL true for a row of `columns.table` that holds `{key:String}` in any string column."""
    return " OR ".join(f"position(toString({_quoted(column)}), {{key:String}}) > 0" for column in columns.columns)


def deletion(columns: StringColumns) -> str:
    """The mutation that removes the rows of `columns.table` holding `{key:String}`, written
    for one server (`run_statement` renders it for a cluster)."""
    return f"ALTER TABLE {_quoted(columns.table)} DELETE WHERE {holding(columns)}"


def rows_holding(store: Client, user_key: str, tables: list[StringColumns] | None = None) -> dict[str, int]:
    """Per table (of `tables`, default all), how many rows hold `user_key` anywhere; tables
    holding none left out. One statement for all tables."""
    tables = string_columns(store) if tables is None else tables
    if not tables:
        return {}
    counts = " UNION ALL ".join(f"SELECT {index} AS table_index, count() AS rows FROM {_quoted(columns.table)} "
                                f"WHERE {holding(columns)}" for index, columns in enumerate(tables))
    found = store.query(f"SELECT table_index, rows FROM ({counts}) WHERE rows > 0",
                        parameters={"key": user_key}).result_rows
    return {tables[index].table: int(rows) for index, rows in found}


def _write_receipt(store: Client, receipt: ErasureReceipt) -> None:
    store.insert(RECEIPTS, [[receipt.erasure_id, receipt.requested_at.replace(tzinfo=None), receipt.platform,
                             receipt.requested_by, receipt.days, receipt.tools, receipt.rows_removed,
                             int(receipt.finished)]], column_names=_RECEIPT_COLUMNS)


def _recompute_aggregates(store: Client, platform: str, days: list[date], tools: list[str]) -> None:
    """The per-day and per-tool rollups of `days` and `tools`, from the events that remain."""
    if not days and not tools:
        return
    recompute_rollups(store, platform, TouchedKeys(users=[], days=days, tools=tools))
    if days:  # for rollups the background refresher keeps: recount these days, for no user
        store.insert("rollup_queue", [[platform, NO_USER, day] for day in days],
                     column_names=["platform", "user_key", "day"])


def _as_receipts(rows: Sequence[Sequence[Any]]) -> list[ErasureReceipt]:
    return [ErasureReceipt(erasure_id, requested_at.replace(tzinfo=UTC), platform, requested_by, list(days),
                           list(tools), dict(removed), bool(finished))
            for erasure_id, requested_at, platform, requested_by, days, tools, removed, finished in rows]


def finish_interrupted(store: Client) -> int:
    """Recompute the figures of erasures a crash left unfinished; how many."""
    pending = store.query(f"SELECT {', '.join(_RECEIPT_COLUMNS)} FROM {RECEIPTS} FINAL WHERE finished = 0 "
                          "ORDER BY requested_at").result_rows
    for receipt in _as_receipts(pending):
        _recompute_aggregates(store, receipt.platform, receipt.days, receipt.tools)
        _write_receipt(store, receipt._replace(finished=True))
    return len(pending)


def erase_user(store: Client, platform: str, user_key: str, *, requested_by: str) -> ErasureReceipt:
    """Remove every row holding `user_key` (the pseudonym of one person on `platform`) and
    recompute what those rows fed; the receipt of what was done."""
    finish_interrupted(store)
    of_user = {"platform": platform, "key": user_key}
    fed = store.query(
        f"SELECT groupUniqArray(toDate(occurred_at, '{TIMEZONE}')), groupUniqArrayIf(tool_id, tool_id != ''), "
        "groupArray(event_id) FROM events WHERE platform = {platform:String} AND user_key = {key:String}",
        parameters=of_user).result_rows[0]
    days, tools, event_ids = sorted(fed[0]), sorted(fed[1]), list(fed[2])
    receipt = ErasureReceipt(uuid.uuid4(), datetime.now(UTC), platform, requested_by, days, tools, {}, False)
    _write_receipt(store, receipt)  # before anything goes: a crash from here on is finished later
    removed: dict[str, int] = {}
    if event_ids:  # the dedup table: the person's ids, while `events` still says which they are
        ids = {"platform": platform, "ids": event_ids}
        where = "platform = {platform:String} AND event_id IN {ids:Array(UUID)}"
        removed["event_ids"] = int(store.query(f"SELECT count() FROM event_ids WHERE {where}",
                                               parameters=ids).result_rows[0][0])
        run_statement(store, f"ALTER TABLE event_ids DELETE WHERE {where}", ids, _SYNC)
    tables = [columns for columns in string_columns(store) if columns.table != RECEIPTS]
    holding_rows = rows_holding(store, user_key, tables)
    for columns in tables:
        if columns.table in holding_rows:
            run_statement(store, deletion(columns), of_user, _SYNC)
            removed[columns.table] = holding_rows[columns.table]
    _recompute_aggregates(store, platform, days, tools)
    receipt = receipt._replace(rows_removed=removed, finished=True)
    _write_receipt(store, receipt)
    return receipt


def receipts(store: Client, limit: int = 100) -> list[ErasureReceipt]:
    """The newest erasures' receipts, newest first."""
    found = store.query(f"SELECT {', '.join(_RECEIPT_COLUMNS)} FROM {RECEIPTS} FINAL "
                        "ORDER BY requested_at DESC LIMIT {limit:UInt32}", parameters={"limit": limit}).result_rows
    return _as_receipts(found)
