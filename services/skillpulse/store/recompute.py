"""The rollups fed by views on `events`, recomputed from the events that remain, for the
users, days and tools some removal touched: the views fire on inserts, never on deletes.
Used by the voids (withdrawn events, `aggregator.voids`) and by erasure (`store.erasure`).

The recomputations repeat the SELECT of the views that feed these tables
(schemas/clickhouse/0003_activity_rollups.sql), for the touched keys only. Their deletes go
through the topology (`store.topology.run_statement`): on a cluster they reach the local
tables of every shard, and the inserts go through the Distributed tables to each row's shard.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from skillpulse.kpi.params import TIMEZONE
from skillpulse.store.rollups import refresh_daily_activity, refresh_user_activity
from skillpulse.store.topology import run_statement

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

_DAY = f"toDate(occurred_at, '{TIMEZONE}')"
_OF_PLATFORM = "platform = {platform:String}"
_USERS = " AND user_key IN {users:Array(String)} AND "
_DAYS = " IN {days:Array(Date)}"
_TOOLS = _OF_PLATFORM + " AND tool_id IN {tools:Array(String)}"

_RECOMPUTE_DAYS = (
    f"DELETE FROM user_days WHERE {_OF_PLATFORM}{_USERS}day{_DAYS}",
    f"INSERT INTO user_days SELECT DISTINCT platform, user_key, {_DAY} AS day, organisation_id FROM events "
    f"WHERE {_OF_PLATFORM}{_USERS}{_DAY}{_DAYS}",
)
_RECOMPUTE_TOOLS = (
    f"DELETE FROM tool_first_seen WHERE {_TOOLS}",
    "INSERT INTO tool_first_seen SELECT platform, tool_id, feature, tool_category, min(occurred_at) FROM events "
    f"WHERE {_TOOLS} GROUP BY platform, tool_id, feature, tool_category",
)
# A user or day left with no event at all gets no new row: their old ones go first.
_CLEAR_USERS = tuple(f"DELETE FROM {table} WHERE {_OF_PLATFORM} AND user_key IN {{users:Array(String)}}"
                     for table in ("user_active_days", "user_activity"))
_CLEAR_DAYS = f"DELETE FROM daily_activity WHERE {_OF_PLATFORM} AND day{_DAYS}"


class TouchedKeys(NamedTuple):
    """What the removed events of one platform fed: their users, days and tools."""

    users: list[str]
    days: list[date]
    tools: list[str]


def recompute_rollups(store: Client, platform: str, touched: TouchedKeys) -> None:
    """The rollups of the touched users, days and tools, from the events that remain.
    Idempotent: run again after a failure part-way, it gives the same rows."""
    keys = {"platform": platform, "users": touched.users, "days": touched.days, "tools": touched.tools}
    for statement in _RECOMPUTE_DAYS + (_RECOMPUTE_TOOLS if touched.tools else ()):
        run_statement(store, statement, keys)
    for statement in _CLEAR_USERS:
        run_statement(store, statement, keys)
    refresh_user_activity(store, "platform = {platform:String} AND user_key IN {users:Array(String)}", keys)
    run_statement(store, _CLEAR_DAYS, keys)
    for day in touched.days:
        refresh_daily_activity(store, (platform, day, day))
