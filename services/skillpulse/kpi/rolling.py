"""Rolling-window activity in SQL, exact, without a per-day fan-out.

Give it, per user, the sorted days of their counted events (a day repeated once per
event; copies beyond the threshold change nothing). Any `k` consecutive entries d_i ≤ … ≤ d_{i+k-1} make
the user active exactly on [d_{i+k-1}, d_i + window - 1]; both ends grow with i, so
dropping empty intervals and joining overlapping or touching ones (an interval starts a
run unless it begins by the day after the previous one ends) leaves a few disjoint runs
per user. A run adds +1 on its first day and -1 after its last; the
running sum over the calendar is the number of active users per day.

These two builders are the only place that logic is written: the rollup refresh, the
fast B2/WAU/MAU path and the general path (any window, threshold, organisation) use them.
"""

from __future__ import annotations

from skillpulse.kpi.params import MAX_LOGINS_PER_DAY, MAX_WINDOW_DAYS


def runs_expr(days: str, window: str, min_count: str, name: str) -> str:
    """SELECT-list SQL defining `<name>` (Array(Tuple(Date, Date))) from the day array `days`.
    Whole-array slices and shifts, no per-element index lookups or tuples until the end:
    this is the per-element cost of every general-path query. The first interval always
    starts a run (by its index: no day stands before 1970-01-01 to compare it with)."""
    last, reach, first_days, last_days = (f"{name}_{part}" for part in ("last", "reach", "first_days", "last_days"))
    return f"""arraySlice({days}, {min_count}) AS {last},
    arrayMap(d -> d + ({window} - 1),
             arraySlice({days}, 1, greatest(toInt64(length({days})) - {min_count} + 1, 0))) AS {reach},
    arrayFilter((first, through) -> first <= through, {last}, {reach}) AS {first_days},
    arrayFilter((through, first) -> first <= through, {reach}, {last}) AS {last_days},
    arrayZip(
        arrayFilter((first, before, i) -> i = 1 OR first > before + 1, {first_days},
                    arrayShiftRight({last_days}, 1, toDate(0)), arrayEnumerate({first_days})),
        arrayFilter((through, next) -> next > through + 1, {last_days},
                    arrayShiftLeft({first_days}, 1, toDate('2149-06-06')))
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


# `user_active_days` keeps every user's days under their organisations and under this one.
ALL_ORGANISATIONS = "'*'"
# ... and a day's logins as that many copies of the day, up to the highest threshold a
# query may ask (more copies never change whether it is met; fewer would).
MAX_LOGINS_A_DAY_KEPT = MAX_WINDOW_DAYS * MAX_LOGINS_PER_DAY


def user_days_sql(where: str, organisation: str = ALL_ORGANISATIONS) -> str:
    """Per (platform, user_key) of `organisation` (SQL; all of them by default): `days`, the
    sorted days with any event, and `login_days`, the sorted days of their logins, a day
    once per login (up to MAX_LOGINS_A_DAY_KEPT): both inputs of `runs_expr` as they are,
    for any threshold, over the user's whole history (days outside a range only yield
    runs that `series_sql` drops). One row per user (migration 0018), as current as the
    refresher's last round, like `user_activity`."""
    return f"""
        SELECT platform, user_key, days, login_days FROM user_active_days FINAL
        WHERE organisation = {organisation} AND {where}"""
