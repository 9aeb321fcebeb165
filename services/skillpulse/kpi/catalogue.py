"""The KPI catalogue: every metric once, with its id, title, unit, target and query.

The CLI (`skillpulse kpi <slug>`), the HTTP API (`/v1/kpi/<slug>`), the summary table
and the benchmark all read `METRICS`; no KPI SQL is written anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from clickhouse_connect.driver.client import Client

from skillpulse.kpi import queries
from skillpulse.kpi.active_users import rolling_series
from skillpulse.kpi.params import KpiParams

Result = list[dict[str, Any]] | dict[str, Any]


@dataclass(frozen=True)
class Metric:
    id: str
    slug: str
    title: str
    unit: str
    kind: Literal["series", "scalar", "rows"]
    compute: Callable[[Client, KpiParams], Result]
    definition: str
    target: float | None = None
    target_period: str | None = None
    parameters: tuple[str, ...] = ("platforms", "organisation")


def _rows(store: Client, sql: str, params: KpiParams) -> list[tuple[Any, ...]]:
    return list(store.query(sql, parameters=params.sql_parameters()).result_rows)


def _series(store: Client, sql: str, params: KpiParams, field: str) -> list[dict[str, Any]]:
    return [{"day": day.isoformat(), field: int(value)} for day, value in _rows(store, sql, params)]


def _any_users(window: int) -> Callable[[Client, KpiParams], Result]:
    def compute(store: Client, params: KpiParams) -> Result:
        return rolling_series(store, params.model_copy(update={"window_days": window}), events="any", value="users")
    return compute


def _daily(field: Literal["users", "logins"]) -> Callable[[Client, KpiParams], Result]:
    column = 1 if field == "users" else 2  # DAILY_ACTIVITY: day, users, logins

    def compute(store: Client, params: KpiParams) -> Result:
        return [{"day": row[0].isoformat(), field: int(row[column])}
                for row in _rows(store, queries.DAILY_ACTIVITY, params)]
    return compute


def _stickiness(store: Client, params: KpiParams) -> Result:
    dau, mau = _daily("users")(store, params), _any_users(30)(store, params)
    return [{"day": d["day"], "stickiness": round(d["users"] / m["users"], 4) if m["users"] else 0.0,
             "dau": d["users"], "mau": m["users"]} for d, m in zip(dau, mau, strict=True)]  # type: ignore[call-overload]


def _new_users(store: Client, params: KpiParams) -> Result:
    new = _series(store, queries.NEW_USERS_PER_DAY, params, "new_users")
    dau = _daily("users")(store, params)
    return [n | {"returning_users": d["users"] - n["new_users"]} for n, d in zip(new, dau, strict=True)]  # type: ignore[index]


def _period(params: KpiParams) -> dict[str, Any]:
    return {"from": params.start.isoformat(), "to": params.end.isoformat()}


def _trained(store: Client, params: KpiParams) -> Result:
    return _period(params) | {"trained_users": int(_rows(store, queries.TRAINED_USERS, params)[0][0])}


def _new_tools(store: Client, params: KpiParams) -> Result:
    tools = [tool for (tool,) in _rows(store, queries.NEW_CONTENT_TOOLS, params)]
    return _period(params) | {"new_tools": len(tools), "tools": tools}


def _new_features(store: Client, params: KpiParams) -> Result:
    tools = [tool for (tool,) in _rows(store, queries.NEW_TOOLS, params)]
    features = [{"tool_id": t, "feature": f} for t, f in _rows(store, queries.NEW_TOOL_FEATURES, params)]
    return _period(params) | {"new_features": len(tools) + len(features), "new_tools": tools,
                              "new_tool_features": features}


def _tool_usage(store: Client, params: KpiParams) -> Result:
    return [{"tool_category": c, "tool_id": t, "uses": int(u), "users": int(n)}
            for c, t, u, n in _rows(store, queries.TOOL_USAGE, params)]


def _funnel(store: Client, params: KpiParams) -> Result:
    counts = _rows(store, queries.TRAINING_FUNNEL, params)[0]
    return [{"status": status, "users": int(users)} for status, users in zip(queries.TRAINING_STATUSES, counts,
                                                                              strict=True)]


def _b2(store: Client, params: KpiParams) -> Result:
    return rolling_series(store, params, events="login", value="active_users")


def _b2_yearly(store: Client, params: KpiParams) -> Result:
    """Per calendar year in the range: the value on 31 December (or the range's last day)
    and the peak with its date."""
    series = _b2(store, params)
    years: dict[int, list[dict[str, Any]]] = {}
    for row in series:  # type: ignore[union-attr]
        years.setdefault(int(row["day"][:4]), []).append(row)
    result = []
    for year, rows in sorted(years.items()):
        peak = max(rows, key=lambda row: row["active_users"])  # max() keeps the earliest of equal peaks
        result.append({"year": year, "last_day": rows[-1]["day"], "last_value": rows[-1]["active_users"],
                       "complete_year": rows[-1]["day"].endswith("12-31") and rows[0]["day"].endswith("01-01"),
                       "peak_value": peak["active_users"], "peak_day": peak["day"]})
    return result


_ROLLING = ("platforms", "organisation", "window_days", "min_logins")
METRICS: dict[str, Metric] = {m.slug: m for m in (
    Metric("B2", "active-users", "Active users (B2)", "users", "series", _b2,
           "users with >= min_logins logins (distinct event_id) in the window_days calendar days ending each day",
           target=1600, target_period="any day", parameters=_ROLLING),
    Metric("B2-year", "active-users-yearly", "Active users per year: 31 December and peak", "users", "rows",
           _b2_yearly, "B2 on the last day of each year in the range, and its peak with the date",
           target=1600, target_period="calendar year", parameters=_ROLLING),
    Metric("MA4", "trained-users", "Users trained (MA4)", "users", "scalar", _trained,
           "distinct users with a training event of status completed or passed in the period",
           target=500, target_period="2026-2029"),
    Metric("MC4", "new-tools", "New content-creation tools (MC4)", "tools", "scalar", _new_tools,
           "distinct tool_id of category content_creation whose first event falls in the period",
           target=10, target_period="2026-2029", parameters=("platforms",)),
    Metric("MP2", "new-features", "New tools and features (MP2)", "features", "scalar", _new_features,
           "new tool_id plus new (tool_id, feature) pairs first seen in the period",
           target=6, target_period="calendar year", parameters=("platforms",)),
    Metric("DAU", "dau", "Daily active users", "users", "series", _daily("users"), "distinct users with any event that day"),
    Metric("WAU", "wau", "Weekly active users", "users", "series", _any_users(7),
           "distinct users with any event in the 7 days ending each day"),
    Metric("MAU", "mau", "Monthly active users", "users", "series", _any_users(30),
           "distinct users with any event in the 30 days ending each day"),
    Metric("STICKINESS", "stickiness", "Stickiness (DAU / MAU)", "ratio", "series", _stickiness, "DAU divided by MAU"),
    Metric("LOGINS", "logins", "Logins per day", "logins", "series",
           _daily("logins"),
           "distinct login events per day"),
    Metric("NEW-USERS", "new-users", "New and returning users", "users", "series", _new_users,
           "users whose first event falls on the day; returning = DAU - new", parameters=("platforms",)),
    Metric("TOOLS", "tool-usage", "Tool usage by tool and category", "uses", "rows", _tool_usage,
           "distinct tool_use events and users per tool in the period"),
    Metric("FUNNEL", "training-funnel", "Training funnel", "users", "rows", _funnel,
           "distinct users per training status in the period (enrolled → started → completed/passed)"),
)}


def compute(slug: str, store: Client, params: KpiParams) -> Result:
    metric = METRICS[slug]
    if params.organisation and "organisation" not in metric.parameters:
        raise ValueError(f"{slug} cannot be filtered by organisation")
    return metric.compute(store, params)


@dataclass(frozen=True)
class Panel:
    """A dashboard panel: a catalogue metric over the dashboard's range (or as of its end)."""

    title: str
    slug: str
    as_of: bool = False  # a stat as of the range's last day, else the whole range

    def run(self, store: Client, params: KpiParams, as_of: date) -> Result:
        if self.as_of:
            params = params.model_copy(update={"start": as_of, "end": as_of})
        return compute(self.slug, store, params)


PANELS = (
    Panel("B2 now vs 1,600", "active-users", as_of=True),
    Panel("B2 daily series", "active-users"),
    Panel("B2 year end and peak", "active-users-yearly"),
    Panel("MA4 trained users", "trained-users"),
    Panel("MC4 new content tools", "new-tools"),
    Panel("MP2 new features", "new-features"),
    Panel("DAU", "dau"),
    Panel("WAU", "wau"),
    Panel("MAU", "mau"),
    Panel("Stickiness", "stickiness"),
    Panel("Logins per day", "logins"),
    Panel("New vs returning users", "new-users"),
    Panel("Tool usage", "tool-usage"),
    Panel("Training funnel", "training-funnel"),
)
