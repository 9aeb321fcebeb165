"""Rolling active users: B2 (>= 2 logins in 60 days) and WAU/MAU (any event in 7/30
days), as exact daily series over Europe/Luxembourg calendar days.

Default definitions read the per-user runs kept in `user_activity` (fast path); any
other window, threshold or an organisation filter recomputes runs from the exact
day rollups for the requested range (general path). Both use `rolling`'s builders.
"""

from __future__ import annotations

from typing import Literal

from clickhouse_connect.driver.client import Client

from skillpulse.kpi.params import B2_MIN_LOGINS, B2_WINDOW_DAYS, KpiParams
from skillpulse.kpi.rolling import active_days_sql, login_days_sql, runs_expr, series_sql

# (window, threshold) kept per user in user_activity, by the column that holds them.
FAST_COLUMNS = {("login", B2_WINDOW_DAYS, B2_MIN_LOGINS): "b2", ("any", 7, 1): "wau", ("any", 30, 1): "mau"}

_FAST_SOURCE = "SELECT {column} AS runs FROM user_activity FINAL WHERE platform IN {{platforms:Array(String)}}"

_ORGANISATION = "({organisation:String} = '' OR organisation_id = {organisation:String})"
_RANGE = "day BETWEEN {start:Date} - ({window:UInt32} - 1) AND {end:Date}"
_WHERE = f"platform IN {{platforms:Array(String)}} AND {_RANGE} AND {_ORGANISATION}"


def _general_source(events: str, condition: str = "") -> str:
    where = f"{_WHERE} AND {condition}" if condition else _WHERE
    days = login_days_sql(where, "{min_count:UInt32}") if events == "login" else active_days_sql(where)
    return f"""
        SELECT {runs_expr("days", "{window:UInt32}", "{min_count:UInt32}", "runs")}
        FROM ({days}) WHERE length(days) >= {{min_count:UInt32}}"""


def runs_source(events: Literal["login", "any"], window_days: int, min_count: int, *, by_organisation: bool,
                condition: str = "") -> str:
    """SQL of the per-user `runs` that `rolling_series` reads: the rollup's column for a
    default definition without organisation filter (fast path), else recomputed from the
    day rollups (general path). Rows read must also meet `condition`, if given: the
    dashboards render this text for Grafana and pick a path with it."""
    column = None if by_organisation else FAST_COLUMNS.get((events, window_days, min_count))
    if not column:
        return _general_source(events, condition)
    return _FAST_SOURCE.format(column=column) + (f" AND {condition}" if condition else "")


def rolling_series(
    store: Client, params: KpiParams, *, events: Literal["login", "any"], value: str
) -> list[dict[str, object]]:
    """[{"day": "YYYY-MM-DD", value: N}, …]: users with >= min_logins `events` in the window ending each day."""
    min_count = params.min_logins if events == "login" else 1
    source = runs_source(events, params.window_days, min_count, by_organisation=bool(params.organisation))
    result = store.query(series_sql(source, value), parameters={
        "start": params.start, "end": params.end, "window": params.window_days, "min_count": min_count,
        "platforms": list(params.platforms), "organisation": params.organisation or "",
    })
    return [{"day": day.isoformat(), value: int(count)} for day, count in result.result_rows]


def active_users_series(store: Client, params: KpiParams) -> list[dict[str, object]]:
    """B2 as a daily series: `[{"day": "YYYY-MM-DD", "active_users": N}, …]`."""
    return rolling_series(store, params, events="login", value="active_users")
