"""Rolling-window activity in SQL, exact, without a per-day fan-out.

Give it, per user, the sorted days of their counted events (a day repeated once per
event, capped at the threshold). Any `k` consecutive entries d_i ≤ … ≤ d_{i+k-1} make
the user active exactly on [d_{i+k-1}, d_i + window - 1]; both ends grow with i, so
dropping empty intervals and joining overlapping or touching ones leaves a few
disjoint runs per user. A run adds +1 on its first day and -1 after its last; the
running sum over the calendar is the number of active users per day.

These two builders are the only place that logic is written: the rollup refresh, the
fast B2/WAU/MAU path and the general path (any window, threshold, organisation) use them.
"""

from __future__ import annotations


def runs_expr(days: str, window: str, min_count: str, name: str) -> str:
    """SELECT-list SQL defining `<name>` (Array(Tuple(Date, Date))) from the day array `days`."""
    ivs = f"{name}_intervals"
    return f"""arrayFilter(iv -> iv.1 <= iv.2, arrayMap(
        i -> ({days}[i + {min_count} - 1], {days}[i] + ({window} - 1)),
        range(1, toUInt32(length({days})) - {min_count} + 2))) AS {ivs},
    arrayZip(
        arrayMap(iv -> iv.1, arrayFilter((iv, i) -> i = 1 OR iv.1 > {ivs}[i - 1].2 + 1, {ivs}, arrayEnumerate({ivs}))),
        arrayMap(iv -> iv.2, arrayFilter((iv, i) -> i = length({ivs}) OR {ivs}[i + 1].1 > iv.2 + 1,
                                         {ivs}, arrayEnumerate({ivs})))
    ) AS {name}"""


def series_sql(runs_source: str, value: str) -> str:
    """Daily series over [{start:Date}, {end:Date}] from a subquery with a `runs` column."""
    return f"""
WITH deltas AS (
    SELECT greatest(change.1, {{start:Date}}) AS day, sum(change.2) AS total
    FROM (
        -- only runs that overlap the range can change it
        SELECT arrayJoin(arrayFlatten(arrayMap(r -> [(r.1, 1), (r.2 + 1, -1)],
                                               arrayFilter(r -> r.2 >= {{start:Date}} AND r.1 <= {{end:Date}}, runs))))
               AS change
        FROM ({runs_source})
    )
    WHERE change.1 <= {{end:Date}}
    GROUP BY day
)
SELECT calendar.day AS day,
       toUInt64(sum(deltas.total) OVER (ORDER BY calendar.day ROWS UNBOUNDED PRECEDING)) AS {value}
FROM (SELECT toDate({{start:Date}} + number) AS day
      FROM numbers(toUInt64({{end:Date}} - {{start:Date}} + 1))) AS calendar
LEFT JOIN deltas ON deltas.day = calendar.day
ORDER BY day
"""


# `login_day_counts` keeps every login under its organisation and under this one.
ALL_ORGANISATIONS = "'*'"


def login_days_sql(where: str, min_count: str, organisation: str = ALL_ORGANISATIONS) -> str:
    """Per (platform, user_key), `days`: a day per login, at most `min_count` of them per
    stored row (more never change whether a threshold of `min_count` is met; a day split
    over rows not yet summed by a merge still yields at least `min_count`), counting the
    logins of `organisation` (SQL; all of them by default). Grouped in the table's order,
    so it streams user after user instead of holding every user at once."""
    return f"""
        SELECT platform, user_key,
               arraySort(arrayFlatten(groupArray(arrayWithConstant(least(logins, {min_count}), day)))) AS days
        FROM login_day_counts WHERE organisation = {organisation} AND {where}
        GROUP BY platform, organisation, user_key
        SETTINGS optimize_aggregation_in_order = 1"""


def active_days_sql(where: str) -> str:
    """Per (platform, user_key), `days`: each day with any event, once."""
    return f"""
        SELECT platform, user_key, arraySort(groupUniqArray(day)) AS days
        FROM user_days WHERE {where} GROUP BY platform, user_key"""
