"""Rolling active users: B2 (>= 2 logins in 60 days) and WAU/MAU (any event in 7/30
days), as exact daily series over Europe/Luxembourg calendar days.

Default definitions read the per-user runs kept in `user_activity` (fast path); any
other window, threshold or an organisation filter recomputes runs for the requested
range (general path) from each user's days and logins in `user_active_days` (one row per
user and organisation, or for all). Both tables are refreshed together, for the same
queued users, so both paths are equally current (a few seconds behind ingest, until the
refresher's next round). Both use `rolling`'s builders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from skillpulse.kpi.params import B2_MIN_LOGINS, B2_WINDOW_DAYS, MAU_WINDOW_DAYS, WAU_WINDOW_DAYS, KpiParams
from skillpulse.kpi.rolling import ALL_ORGANISATIONS, runs_expr, series_sql, user_days_sql

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

Events = Literal["login", "any"]
# (window, threshold) kept per user in user_activity, by the column that holds them.
FAST_COLUMNS = {("login", B2_WINDOW_DAYS, B2_MIN_LOGINS): "b2", ("any", WAU_WINDOW_DAYS, 1): "wau",
                ("any", MAU_WINDOW_DAYS, 1): "mau"}

_FAST_SOURCE = "SELECT {column} AS runs FROM user_activity FINAL WHERE platform IN {{platforms:Array(String)}}"

# user_active_days keeps every organisation's users under ALL_ORGANISATIONS too.
_USERS_OF = f"if({{organisation:String}} = '', {ALL_ORGANISATIONS}, {{organisation:String}})"


def _general_source(events: str, condition: str = "") -> str:
    where = "platform IN {platforms:Array(String)}" + (f" AND {condition}" if condition else "")
    days = "login_days" if events == "login" else "days"
    return f"""
        SELECT {runs_expr(days, "{window:UInt32}", "{min_count:UInt32}", "runs")}
        FROM ({user_days_sql(where, _USERS_OF)}) WHERE length({days}) >= {{min_count:UInt32}}"""


def runs_source(events: Events, window_days: int, min_count: int, *, by_organisation: bool,
                condition: str = "") -> str:
    """SQL of the per-user `runs` that `rolling_series` reads: the rollup's column for a
    default definition without organisation filter (fast path), else recomputed from the
    day rollups (general path). Rows read must also meet `condition`, if given."""
    column = None if by_organisation else FAST_COLUMNS.get((events, window_days, min_count))
    if not column:
        return _general_source(events, condition)
    return _FAST_SOURCE.format(column=column) + (f" AND {condition}" if condition else "")


def runs_source_for_any_organisation(events: Events, window_days: int, min_count: int) -> str:
    """`runs_source` for SQL that learns the organisation only as text (the dashboards:
    Grafana inserts it): both paths, each reading its table under a condition that is
    constant once `{organisation:String}` is bound; ClickHouse reads nothing for a
    constant false."""
    everyone = "{organisation:String} = ''"
    fast = runs_source(events, window_days, min_count, by_organisation=False, condition=everyone)
    general = runs_source(events, window_days, min_count, by_organisation=True, condition=f"NOT ({everyone})")
    return f"SELECT runs FROM ({fast})\nUNION ALL\nSELECT runs FROM ({general})"


class Query(NamedTuple):
    sql: str
    parameters: dict[str, object]


def rolling_query(params: KpiParams, *, events: Events, value: str) -> Query:
    """The daily series (`day`, `<value>`) of users with >= min_logins `events` (1 for any
    event) in the window_days ending each day, to run or to join (stickiness)."""
    min_count = params.min_logins if events == "login" else 1
    source = runs_source(events, params.window_days, min_count, by_organisation=bool(params.organisation))
    return Query(series_sql(source, value),
                 params.sql_parameters() | {"window": params.window_days, "min_count": min_count})


def rolling_series(store: Client, params: KpiParams, *, events: Events, value: str) -> list[dict[str, Any]]:
    """[{"day": "YYYY-MM-DD", value: N}, …]: `rolling_query` run."""
    query = rolling_query(params, events=events, value=value)
    result = store.query(query.sql, parameters=query.parameters)
    return [{"day": day.isoformat(), value: int(count)} for day, count in result.result_rows]


def active_users_series(store: Client, params: KpiParams) -> list[dict[str, Any]]:
    """B2 as a daily series: `[{"day": "YYYY-MM-DD", "active_users": N}, …]`."""
    return rolling_series(store, params, events="login", value="active_users")
