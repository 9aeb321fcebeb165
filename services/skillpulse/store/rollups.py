"""Keeps the recomputed rollups current after each stored batch:

* `user_activity`: the runs of active days of the batch's users, from the exact
  rollups (`login_days`, `user_days`) over each user's whole history;
* `daily_activity`: distinct users and logins of the days the batch touched, from `events`.

Each recompute reads everything it summarises, so it is idempotent: a replayed batch or
a late event just produces the right figures again, and the newest version wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from clickhouse_connect.driver.client import Client

from skillpulse.kpi.params import TIMEZONE
from skillpulse.kpi.rolling import runs_expr

B2_WINDOW_DAYS, B2_MIN_LOGINS = 60, 2  # the agreement's definition (glossary, Annex 2)

_USERS = "{where}"
REFRESH_SQL = f"""
INSERT INTO user_activity (platform, user_key, b2, wau, mau, first_day, version)
SELECT platform, user_key, b2, wau, mau, active_days[1] AS first_day, now64(6) AS version
FROM (
    SELECT platform, user_key, active_days, login_days,
        {runs_expr("login_days", str(B2_WINDOW_DAYS), str(B2_MIN_LOGINS), "b2")},
        {runs_expr("active_days", "7", "1", "wau")},
        {runs_expr("active_days", "30", "1", "mau")}
    FROM (
        SELECT platform, user_key, arraySort(groupUniqArray(day)) AS active_days
        FROM user_days WHERE {_USERS} GROUP BY platform, user_key
    ) AS active
    LEFT JOIN (
        SELECT platform, user_key, arraySort(arrayFlatten(groupArray(arrayWithConstant(least(n, {B2_MIN_LOGINS}), day))))
               AS login_days
        FROM (SELECT platform, user_key, day, uniqExactMerge(logins) AS n
              FROM login_days WHERE {_USERS} GROUP BY platform, user_key, day)
        GROUP BY platform, user_key
    ) AS logins USING (platform, user_key)
)
"""


def refresh_user_activity(store: Client, user_keys: Iterable[str] | None = None) -> None:
    """Recompute the runs of these users (all users when None)."""
    if user_keys is None:
        store.command(REFRESH_SQL.replace(_USERS, "1"))
        return
    keys = sorted(set(user_keys))
    if keys:
        store.command(REFRESH_SQL.replace(_USERS, "user_key IN {users:Array(FixedString(64))}"),
                      parameters={"users": keys})


_DAYS = "{where}"
DAILY_SQL = f"""
INSERT INTO daily_activity (platform, day, organisation, users, logins, version)
SELECT platform, toDate(occurred_at, '{TIMEZONE}') AS day,
       if(grouping(organisation_id) = 1, '*', organisation_id) AS organisation,
       uniqExact(user_key) AS users, uniqExactIf(event_id, type = 'login') AS logins, now64(6) AS version
FROM events
WHERE {_DAYS}
GROUP BY GROUPING SETS ((platform, day, organisation_id), (platform, day))
"""
_DAY_RANGE = f"""platform = {{platform:String}}
  AND occurred_at >= toDateTime({{first:Date}} - 1, 'UTC') AND occurred_at < toDateTime({{last:Date}} + 2, 'UTC')
  AND toDate(occurred_at, '{TIMEZONE}') BETWEEN {{first:Date}} AND {{last:Date}}"""


def refresh_daily_activity(store: Client, days: dict[str, tuple[date, date]] | None = None) -> None:
    """Recount the days [first, last] of each platform ({platform: (first, last)}; all when None)."""
    if days is None:
        store.command(DAILY_SQL.replace(_DAYS, "1"))
        return
    for platform, (first, last) in days.items():
        store.command(DAILY_SQL.replace(_DAYS, _DAY_RANGE),
                      parameters={"platform": platform, "first": first, "last": last})
