"""`trajectory`'s two projections written in SQL, for a panel that only runs SQL (the
Grafana contract dashboard): the same formulas, next to the Python in this room, and
tested to give the same rows (tests/dashboards/test_panels.py). Each builder takes SQL
expressions (a Date for days, a scalar subquery for a value) and answers one row:

kpi, value, target, deadline, needed_per_month, achieved_per_month, projection, status, method
"""

from __future__ import annotations

from skillpulse.kpi.trajectory import DAYS_PER_MONTH, TREND_DAYS


def _outer(level: bool) -> str:
    """The row's figures and status; a `level` (B2) is reached only on its deadline, as in `trajectory._status`."""
    reached = "value >= target AND remaining <= 0" if level else "value >= target"
    return f"""
SELECT kpi, value, target, deadline,
       if(remaining > 0, greatest(target - value, 0) / remaining * {DAYS_PER_MONTH}, NULL) AS needed_per_month,
       achieved_per_day * {DAYS_PER_MONTH} AS achieved_per_month, projection,
       multiIf({reached}, 'reached', remaining <= 0, 'missed', projection >= target, 'on course',
               'at risk') AS status,
       method"""


def linear_trajectory_sql(kpi: str, *, value: str, target: float, start: str, deadline: str, as_of: str) -> str:
    """`trajectory.linear_trajectory`: value × (days of the period) / (days elapsed); no row
    before `start`."""
    return f"""{_outer(level=False)}
FROM (
    SELECT '{kpi}' AS kpi, toFloat64({target}) AS target, {start} AS start, {deadline} AS deadline,
           least({as_of}, deadline) AS day, toFloat64(({value})) AS value,
           toInt32(deadline - day) AS remaining, toInt32(day - start) + 1 AS elapsed,
           value / elapsed AS achieved_per_day, value * (toInt32(deadline - start) + 1) / elapsed AS projection,
           concat('linear from ', toString(start), ' to ', toString(deadline)) AS method
    WHERE {as_of} >= {start}
)"""


def trend_trajectory_sql(kpi: str, *, series: str, value_column: str, target: float, start: str, deadline: str,
                         as_of: str) -> str:
    """`trajectory.trend_trajectory`: the last value plus the least-squares slope of the
    daily `series` (columns `day`, `value_column`: the `TREND_DAYS` days ending on the
    as-of day) times the days left, never below 0; no row before `start`."""
    return f"""{_outer(level=True)}
FROM (
    SELECT '{kpi}' AS kpi, toFloat64({target}) AS target, {start} AS start, {deadline} AS deadline,
           max(day) AS last_day, toFloat64(argMax({value_column}, day)) AS value,
           toInt32(deadline - last_day) AS remaining,
           if(count() < 2, 0, simpleLinearRegression(toFloat64(toUInt32(day)), toFloat64({value_column})).1)
               AS achieved_per_day,
           greatest(value + achieved_per_day * remaining, 0) AS projection,
           concat('trailing trend: least-squares slope of the last {TREND_DAYS} days to ', toString(deadline))
               AS method
    FROM ({series})
    WHERE day >= start
    HAVING {as_of} >= {start}
)"""
