"""The KPI catalogue: every metric once, with its id, title, unit, target and how it is computed.

The CLI (`skillpulse kpi <slug>`), the HTTP API (`/v1/kpi/<slug>`), the contract summary,
the annual report and the benchmark read `METRICS`. The SQL is in `queries` and in the
rolling-window builders (`active_users`, `rolling`); the Grafana dashboards render that
same text (`dashboards.sql`), so each KPI is counted in one place.

A metric's class says its kind and so its result: a series (one row per day) or rows
metric answers a list of JSON objects, a scalar metric one object. `rows` and `scalar`
return those types; `compute` is the generic path whose JSON the API and the CLI pass on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from skillpulse.contract import PLATFORMS
from skillpulse.kpi import queries
from skillpulse.kpi.active_users import rolling_query, rolling_series
from skillpulse.kpi.params import MAU_WINDOW_DAYS, WAU_WINDOW_DAYS, KpiParams
from skillpulse.kpi.tool_catalogue import cross_check

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

Row = dict[str, Any]  # one JSON object: a day of a series, a row, or a scalar metric's answer
Result = list[Row] | Row  # any metric's answer, as the API and the CLI pass it on
R = TypeVar("R", list[Row], Row)


@dataclass(frozen=True)
class Metric(Generic[R]):
    kind: ClassVar[Literal["series", "rows", "scalar"]]
    id: str
    slug: str
    title: str
    unit: str
    query: Callable[[Client, KpiParams], R]
    definition: str
    target: float | None = None
    target_period: str | None = None
    parameters: tuple[str, ...] = ("platforms", "organisation")

    def compute(self, store: Client, params: KpiParams) -> R:
        if params.organisation and "organisation" not in self.parameters:
            raise ValueError(f"{self.slug} cannot be filtered by organisation")
        return self.query(store, params)


class SeriesMetric(Metric[list[Row]]):
    """One row per day of the range, in order: `{"day": "YYYY-MM-DD", <value>: …}`."""

    kind = "series"


class RowsMetric(Metric[list[Row]]):
    kind = "rows"


class ScalarMetric(Metric[Row]):
    kind = "scalar"


def _fetch(store: Client, sql: str, params: KpiParams) -> Sequence[Sequence[Any]]:
    return store.query(sql, parameters=params.sql_parameters()).result_rows


def _series(store: Client, sql: str, params: KpiParams, field: str) -> list[Row]:
    return [{"day": day.isoformat(), field: int(value)} for day, value in _fetch(store, sql, params)]


def _any_users(window: int) -> Callable[[Client, KpiParams], list[Row]]:
    def compute(store: Client, params: KpiParams) -> list[Row]:
        return rolling_series(store, params.model_copy(update={"window_days": window}), events="any", value="users")
    return compute


def _daily(field: Literal["users", "logins"]) -> Callable[[Client, KpiParams], list[Row]]:
    column = 1 if field == "users" else 2  # DAILY_ACTIVITY: day, users, logins

    def compute(store: Client, params: KpiParams) -> list[Row]:
        return [{"day": row[0].isoformat(), field: int(row[column])}
                for row in _fetch(store, queries.DAILY_ACTIVITY, params)]
    return compute


def _stickiness(store: Client, params: KpiParams) -> list[Row]:
    mau = rolling_query(params.model_copy(update={"window_days": MAU_WINDOW_DAYS}), events="any", value="mau")
    found = store.query(queries.stickiness(mau.sql), parameters=mau.parameters).result_rows
    return [{"day": day.isoformat(), "stickiness": round(ratio, 4), "dau": int(dau), "mau": int(mau_users)}
            for day, ratio, dau, mau_users in found]


def _new_users(store: Client, params: KpiParams) -> list[Row]:
    new = _series(store, queries.NEW_USERS_PER_DAY, params, "new_users")
    dau = _daily("users")(store, params)
    return [n | {"returning_users": d["users"] - n["new_users"]} for n, d in zip(new, dau, strict=True)]


def _period(params: KpiParams) -> Row:
    return {"from": params.start.isoformat(), "to": params.end.isoformat()}


def _trained(store: Client, params: KpiParams) -> Row:
    return _period(params) | {"trained_users": int(_fetch(store, queries.TRAINED_USERS, params)[0][0])}


def _new_tools(sql: str) -> Callable[[Client, KpiParams], Row]:
    def compute(store: Client, params: KpiParams) -> Row:
        [(count, tools)] = _fetch(store, sql, params)
        return _period(params) | {"new_tools": int(count), "tools": list(tools)}
    return compute


def _new_features(sql: str) -> Callable[[Client, KpiParams], Row]:
    def compute(store: Client, params: KpiParams) -> Row:
        [(count, tools, pairs)] = _fetch(store, sql, params)
        return _period(params) | {"new_features": int(count), "new_tools": list(tools),
                                  "new_tool_features": [{"tool_id": t, "feature": f} for t, f in pairs]}
    return compute


def _tool_catalogue_check(store: Client, params: KpiParams) -> Row:
    return cross_check(store, params).as_json()


def _tool_usage(store: Client, params: KpiParams) -> list[Row]:
    return [{"tool_category": c, "tool_id": t, "uses": int(u), "users": int(n)}
            for c, t, u, n in _fetch(store, queries.TOOL_USAGE, params)]


def _funnel(store: Client, params: KpiParams) -> list[Row]:
    counts = _fetch(store, queries.TRAINING_FUNNEL, params)[0]
    return [{"status": status, "users": int(users)} for status, users in zip(queries.TRAINING_STATUSES, counts,
                                                                              strict=True)]


def _b2(store: Client, params: KpiParams) -> list[Row]:
    return rolling_series(store, params, events="login", value="active_users")


def _b2_yearly(store: Client, params: KpiParams) -> list[Row]:
    """Per calendar year in the range: the value on 31 December (or the range's last day)
    and the peak with its date."""
    years: dict[int, list[Row]] = {}
    for row in _b2(store, params):
        years.setdefault(int(row["day"][:4]), []).append(row)
    result = []
    for year, rows in sorted(years.items()):
        peak = max(rows, key=lambda row: row["active_users"])  # max() keeps the earliest of equal peaks
        result.append({"year": year, "last_day": rows[-1]["day"], "last_value": rows[-1]["active_users"],
                       "complete_year": rows[-1]["day"].endswith("12-31") and rows[0]["day"].endswith("01-01"),
                       "peak_value": peak["active_users"], "peak_day": peak["day"]})
    return result


BLOG_SITE = PLATFORMS[2]  # skilltech.cafe: MV2 counts its articles (`skillpulse sources blog`)
ARTICLES_PER_MONTH_TARGET = 4


def _articles(store: Client, params: KpiParams) -> Row:
    site = {"site": BLOG_SITE}
    months = [{"month": month.strftime("%Y-%m"), "articles": int(count),
               "at_target": count >= ARTICLES_PER_MONTH_TARGET}
              for month, count in store.query(queries.ARTICLES_PER_MONTH,
                                              parameters=params.sql_parameters() | site).result_rows]
    [(stored, oldest)] = store.query(queries.ARTICLES_STORED, parameters=site).result_rows
    return _period(params) | {
        "articles": sum(month["articles"] for month in months), "months": months,
        "months_at_target": sum(month["at_target"] for month in months),
        "stored_articles": int(stored), "oldest_article_day": oldest.isoformat() if stored else None}


_ROLLING = ("platforms", "organisation", "window_days", "min_logins")
METRICS: dict[str, SeriesMetric | RowsMetric | ScalarMetric] = {m.slug: m for m in (
    SeriesMetric("B2", "active-users", "Active users (B2)", "users", _b2,
                 "users with >= min_logins logins (distinct event_id) in the window_days calendar days ending "
                 "each day", target=1600, target_period="any day", parameters=_ROLLING),
    RowsMetric("B2-year", "active-users-yearly", "Active users per year: 31 December and peak", "users",
               _b2_yearly, "B2 on the last day of each year in the range, and its peak with the date",
               target=1600, target_period="calendar year", parameters=_ROLLING),
    ScalarMetric("MA4", "trained-users", "Users trained (MA4)", "users", _trained,
                 "distinct users with a training event of status completed or passed in the period",
                 target=500, target_period="2026-2029"),
    ScalarMetric("MC4", "new-tools", "New content-creation tools made available (MC4)", "tools",
                 _new_tools(queries.NEW_CONTENT_TOOLS),
                 "tools of category content_creation that the tool catalogue (`skillpulse tools`) declares made "
                 "available on a day of the period (not withdrawn that same day)",
                 target=10, target_period="2026-2029", parameters=()),
    ScalarMetric("MP2", "new-features", "New tools and features made available (MP2)", "features",
                 _new_features(queries.NEW_FEATURES),
                 "tools plus features of tools that the tool catalogue (`skillpulse tools`) declares made available "
                 "on a day of the period (not withdrawn that same day)",
                 target=6, target_period="calendar year", parameters=()),
    ScalarMetric("MC4-SEEN", "new-tools-first-seen", "Content-creation tools first seen in telemetry (not MC4)",
                 "tools", _new_tools(queries.NEW_CONTENT_TOOLS_FIRST_SEEN),
                 "distinct tool_id of category content_creation whose first event falls in the period (a tool in "
                 "beta that someone opened counts, a renamed tool_id counts again)", parameters=("platforms",)),
    ScalarMetric("MP2-SEEN", "new-features-first-seen", "Tools and features first seen in telemetry (not MP2)",
                 "features", _new_features(queries.NEW_FEATURES_FIRST_SEEN),
                 "new tool_id plus new (tool_id, feature) pairs first seen in the period", parameters=("platforms",)),
    ScalarMetric("TOOL-CHECK", "tool-catalogue-check", "Tool catalogue against telemetry", "tools",
                 _tool_catalogue_check,
                 "tools and features used in the period but never declared in the tool catalogue (after aliases), "
                 "declared and available in the period but never used in it, and used before their declared "
                 "release", parameters=("platforms",)),
    ScalarMetric("MV2", "articles", "Articles published on skilltech.cafe (MV2)", "articles", _articles,
                 "distinct blog articles (by GUID, from `skillpulse sources blog`) whose publication date falls in "
                 "each Luxembourg calendar month of the period; an update is not a new article",
                 target=ARTICLES_PER_MONTH_TARGET, target_period="calendar month", parameters=()),
    SeriesMetric("DAU", "dau", "Daily active users", "users", _daily("users"),
                 "distinct users with any event that day"),
    SeriesMetric("WAU", "wau", "Weekly active users", "users", _any_users(WAU_WINDOW_DAYS),
                 f"distinct users with any event in the {WAU_WINDOW_DAYS} days ending each day"),
    SeriesMetric("MAU", "mau", "Monthly active users", "users", _any_users(MAU_WINDOW_DAYS),
                 f"distinct users with any event in the {MAU_WINDOW_DAYS} days ending each day"),
    SeriesMetric("STICKINESS", "stickiness", "Stickiness (DAU / MAU)", "ratio", _stickiness, "DAU divided by MAU"),
    SeriesMetric("LOGINS", "logins", "Logins per day", "logins", _daily("logins"), "distinct login events per day"),
    SeriesMetric("NEW-USERS", "new-users", "New and returning users", "users", _new_users,
                 "users whose first event falls on the day; returning = DAU - new", parameters=("platforms",)),
    RowsMetric("TOOLS", "tool-usage", "Tool usage by tool and category", "uses", _tool_usage,
               "distinct tool_use events and users per tool in the period"),
    RowsMetric("FUNNEL", "training-funnel", "Training funnel", "users", _funnel,
               "distinct users per training status in the period (enrolled → started → completed/passed)"),
)}


def compute(slug: str, store: Client, params: KpiParams) -> Result:
    return METRICS[slug].compute(store, params)


def rows(slug: str, store: Client, params: KpiParams) -> list[Row]:
    """A series or rows metric's answer."""
    metric = METRICS[slug]
    if isinstance(metric, ScalarMetric):
        raise TypeError(f"{slug} is a scalar metric: use `scalar`")
    return metric.compute(store, params)


def scalar(slug: str, store: Client, params: KpiParams) -> Row:
    """A scalar metric's answer."""
    metric = METRICS[slug]
    if not isinstance(metric, ScalarMetric):
        raise TypeError(f"{slug} is a {metric.kind} metric: use `rows`")
    return metric.compute(store, params)


def rows_of(slug: str, result: Result) -> list[Row]:
    """`result`, a series or rows metric's answer from the generic path (`compute`, or the
    API's JSON of it), typed; TypeError if it is not one."""
    if isinstance(METRICS[slug], ScalarMetric) or not isinstance(result, list):
        raise TypeError(f"{slug} answers one object, not rows")
    return result
