"""The catalogue's KPI SQL and the pipeline-health SQL, rendered for Grafana's ClickHouse
data source.

Those queries take ClickHouse server-side parameters (`{start:Date}`, `{platforms:Array(String)}`,
`{from_time:DateTime64(3)}` …); Grafana sends none, so `render` replaces each parameter by
the plugin macro or dashboard variable that carries the same value. Nothing here says how
a KPI is counted: only what each parameter becomes, which columns a panel shows, and one
row per agreement year, around the catalogue's text (`kpi.queries`, `kpi.active_users`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from skillpulse.health import queries as health
from skillpulse.kpi import queries
from skillpulse.kpi.active_users import Events, runs_source_for_any_organisation
from skillpulse.kpi.agreement import AGREEMENT_END
from skillpulse.kpi.catalogue import METRICS
from skillpulse.kpi.params import B2_MIN_LOGINS, B2_WINDOW_DAYS, MAU_WINDOW_DAYS, TIMEZONE, WAU_WINDOW_DAYS
from skillpulse.kpi.rolling import series_sql
from skillpulse.kpi.summary import AGREEMENT_START
from skillpulse.kpi.trajectory import TREND_DAYS
from skillpulse.kpi.trajectory_sql import linear_trajectory_sql, trend_trajectory_sql

AGREEMENT_YEARS = tuple(range(AGREEMENT_START.year, AGREEMENT_START.year + 4))  # 2026–2029

# `{name:Type}`, but not Grafana's `${name:format}` that a binding may have put in.
_PARAMETER = re.compile(r"(?<!\$)\{(\w+):([^{}]+)\}")
# Filters and buckets written exactly as the plugin expands `$__timeFilter_ms(col)` and
# `$__timeInterval(col)` (pkg/macros/macros.go) go back to the macro: same SQL, and the
# panel's interval and range stay visible in Grafana's query editor.
_TIME_FILTER_MS = re.compile(r"(\w+) >= \{from_time:DateTime64\(3\)\} AND \1 <= \{to_time:DateTime64\(3\)\}")
_TIME_INTERVAL = re.compile(r"toStartOfInterval\(toDateTime\((\w+)\), INTERVAL \{bucket_s:UInt32\} SECOND\)")
# The plugin replaces each match of a macro everywhere in the text, so `$__fromTime` would
# also rewrite the start of `$__fromTime_ms`: one query may use one of the two only.
_SECONDS_AND_MS = [(re.compile(rf"\$__{name}(?!_ms)"), f"$__{name}_ms") for name in ("fromTime", "toTime")]

# Luxembourg calendar days of the dashboard's range. A macro without arguments is always
# followed by `,` or `)` here: the plugin takes the first `(…)` after a macro name as its
# arguments, so `$__fromTime AND x IN (…)` would swallow the `IN` list.
RANGE_FIRST_DAY = f"toDate($__fromTime, '{TIMEZONE}')"
RANGE_LAST_DAY = f"toDate($__toTime, '{TIMEZONE}')"

# KPI parameters → the range's days and the dashboard variables. `organisation` has the
# custom all-value `''` (Grafana inserts it unformatted): the catalogue's "all organisations".
KPI_BINDINGS: Mapping[str, str] = {
    "start": RANGE_FIRST_DAY,
    "end": RANGE_LAST_DAY,
    "platforms": "[${platform:singlequote}]",
    "organisation": "${organisation:sqlstring}",
}
HEALTH_BINDINGS: Mapping[str, str] = {
    "from_time": "toDateTime64($__fromTime_ms, 3)",
    "to_time": "toDateTime64($__toTime_ms, 3)",
    "bucket_s": "toUInt32($__interval_s)",
}


def render(sql: str, bindings: Mapping[str, str]) -> str:
    """`sql` with its time filters and buckets as plugin macros and every parameter bound;
    KeyError names a parameter without a binding."""
    sql = _TIME_FILTER_MS.sub(r"$__timeFilter_ms(\1)", sql)
    sql = _TIME_INTERVAL.sub(r"$__timeInterval(\1)", sql)

    def bind(match: re.Match[str]) -> str:
        if match.group(1) not in bindings:
            raise KeyError(f"no Grafana binding for the parameter {match.group(0)}")
        return bindings[match.group(1)]

    rendered = _PARAMETER.sub(bind, sql).strip()
    for seconds, milliseconds in _SECONDS_AND_MS:
        if seconds.search(rendered) and milliseconds in rendered:
            raise ValueError(f"{seconds.pattern} and {milliseconds} in one query")
    return rendered


def render_kpi(sql: str, **overrides: str) -> str:
    return render(sql, {**KPI_BINDINGS, **overrides})


def render_rolling(sql: str, window_days: int, min_count: int, **overrides: str) -> str:
    """`sql`, reading the runs of `runs_source_for_any_organisation(…, window_days,
    min_count)`, rendered with that window and threshold."""
    return render_kpi(sql, window=str(window_days), min_count=str(min_count), **overrides)


def rolling_series_sql(events: Events, window_days: int, min_count: int, value: str, **overrides: str) -> str:
    """A rolling-window daily series as `rolling_series` computes it, with the source (the
    rollup's runs, or recomputed for an organisation) chosen by the organisation variable."""
    source = runs_source_for_any_organisation(events, window_days, min_count)
    return render_rolling(series_sql(source, value), window_days, min_count, **overrides)


def _per_agreement_year() -> str:
    """MC4 and MP2 for each agreement year, clipped to the range (a year outside it has no row)."""
    rows = []
    for year in AGREEMENT_YEARS:
        first, last = date(year, 1, 1), date(year, 12, 31)
        rows.append(render_kpi(f"""
SELECT {year} AS year,
       (SELECT new_tools FROM ({queries.NEW_CONTENT_TOOLS})) AS mc4_new_content_tools,
       (SELECT new_features FROM ({queries.NEW_FEATURES})) AS mp2_new_features
WHERE {{start:Date}} <= {{end:Date}}""", start=f"greatest(toDate('{first}'), {RANGE_FIRST_DAY})",
                               end=f"least(toDate('{last}'), {RANGE_LAST_DAY})"))
    return "SELECT * FROM (\n" + "\nUNION ALL\n".join(rows) + "\n) ORDER BY year"


def _trajectories() -> str:
    """Each target's trajectory as of the range's last day, as the contract summary's rows
    carry it (`kpi.agreement`): B2, MA4, MC4 to the agreement's end, MP2 to its year's end."""
    first, last = f"toDate('{AGREEMENT_START}')", f"toDate('{AGREEMENT_END}')"
    as_of = f"least({RANGE_LAST_DAY}, {last})"
    year_start = f"greatest(toStartOfYear({as_of}), {first})"  # MP2 has no row before the agreement either

    def target_of(slug: str) -> float:
        found = METRICS[slug].target
        assert found is not None, slug
        return found

    # The trend's days: TREND_DAYS ending on the as-of day, none before the agreement (and a
    # valid range even before it, where the outer filter leaves no row).
    trend_end = f"greatest({as_of}, {first})"
    series = rolling_series_sql("login", B2_WINDOW_DAYS, B2_MIN_LOGINS, "active_users",
                                start=f"greatest({first}, {trend_end} - {TREND_DAYS - 1})", end=trend_end)
    rows = [
        trend_trajectory_sql("B2", series=series, value_column="active_users", target=target_of("active-users"),
                             start=first, deadline=last, as_of=as_of),
        linear_trajectory_sql("MA4", value=render_kpi(queries.TRAINED_USERS, start=first, end=as_of),
                              target=target_of("trained-users"), start=first, deadline=last, as_of=as_of),
        linear_trajectory_sql("MC4", value=render_kpi(f"SELECT new_tools FROM ({queries.NEW_CONTENT_TOOLS})",
                                                      start=first, end=as_of),
                              target=target_of("new-tools"), start=first, deadline=last, as_of=as_of),
        linear_trajectory_sql("MP2", value=render_kpi(f"SELECT new_features FROM ({queries.NEW_FEATURES})",
                                                      start=year_start, end=as_of),
                              target=target_of("new-features"), start=year_start,
                              deadline=f"toLastDayOfMonth(addMonths({year_start}, 11))", as_of=as_of),
    ]
    return "SELECT * FROM (\n" + "\nUNION ALL\n".join(rows) + "\n) ORDER BY kpi"


B2_SERIES = rolling_series_sql("login", B2_WINDOW_DAYS, B2_MIN_LOGINS, "active_users")
# The stat: B2 on the range's last day (the catalogue panel "as of").
B2_NOW = f"""SELECT active_users FROM ({rolling_series_sql("login", B2_WINDOW_DAYS, B2_MIN_LOGINS, "active_users",
                                                          start=RANGE_LAST_DAY)})"""
# MA4 counts over the whole agreement: from its start to the range's last day.
MA4_SINCE_AGREEMENT_START = render_kpi(queries.TRAINED_USERS, start=f"toDate('{AGREEMENT_START}')")
MC4_MP2_PER_YEAR = _per_agreement_year()
TRAJECTORIES = _trajectories()
DAU = render_kpi(f"SELECT day, users AS dau FROM ({queries.DAILY_ACTIVITY})")
WAU = rolling_series_sql("any", WAU_WINDOW_DAYS, 1, "wau")
MAU = rolling_series_sql("any", MAU_WINDOW_DAYS, 1, "mau")
_MAU_SERIES = series_sql(runs_source_for_any_organisation("any", MAU_WINDOW_DAYS, 1), "mau")
STICKINESS = render_rolling(f"SELECT day, stickiness FROM ({queries.stickiness(_MAU_SERIES)})",
                            MAU_WINDOW_DAYS, 1)
TOOL_USAGE = render_kpi(queries.TOOL_USAGE)
TOOL_USES_BY_CATEGORY = render_kpi(queries.TOOL_USES_BY_CATEGORY)
TRAINING_FUNNEL = render_kpi(queries.TRAINING_FUNNEL)
# The organisation variable's options.
ORGANISATIONS = render_kpi(queries.ORGANISATIONS)

ACCEPTED_RATE = render(health.ACCEPTED_RATE_SERIES, HEALTH_BINDINGS)
REJECTED_RATE = render(health.REJECTED_RATE_SERIES, HEALTH_BINDINGS)
FRESHNESS = render(health.FRESHNESS_SERIES, HEALTH_BINDINGS)
BATCH_SIZES = render(health.BATCH_SIZE_SERIES, HEALTH_BINDINGS)
INSERT_LATENCY = render(health.INSERT_LATENCY_SERIES, HEALTH_BINDINGS)
CONSUMER_LAG = render(health.CONSUMER_LAG_SERIES, HEALTH_BINDINGS)
CONSUMER_LAG_NOW = render(health.CONSUMER_LAG, HEALTH_BINDINGS)
EVENT_RATES = render(health.EVENT_RATES, HEALTH_BINDINGS)
REJECTIONS = render(health.REJECTIONS, HEALTH_BINDINGS)
