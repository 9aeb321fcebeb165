"""Keeps the recomputed rollups current, behind ingest by a few seconds at most:

* `user_active_days`: each queued user's days and logins per organisation and for all,
  from the exact rollups (`user_days`, `login_day_counts`) over their whole history;
* `user_activity`: their runs of active days for the default definitions, from those;
* `daily_activity`: distinct users and logins of queued days, from `events`.

Each recompute reads everything it summarises, so it is idempotent: doing a user or a
day twice, or after a late event, just produces the right figures again (newest wins).
`refresh_pending` works through `rollup_queue` (filled by a view on `events`) past the
watermark; the aggregator process runs it every second.
"""

from __future__ import annotations

import time
import weakref
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from skillpulse.kpi.params import B2_MIN_LOGINS, B2_WINDOW_DAYS, TIMEZONE, local_days
from skillpulse.kpi.rolling import MAX_LOGINS_A_DAY_KEPT, runs_expr, user_days_sql

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

_WHERE = "{where}"  # filled in by the functions below
# Each queued user's days and login days per organisation and for all ('*'), over their
# whole history; the migration that made the table (0018) ran the same over every user.
ACTIVE_DAYS_SQL = f"""
INSERT INTO user_active_days (platform, organisation, user_key, days, login_days, version)
SELECT platform, organisation, user_key, arrayMap(entry -> entry.1, entries) AS days,
       arrayFlatten(arrayMap(entry -> arrayWithConstant(least(entry.2, {MAX_LOGINS_A_DAY_KEPT}), entry.1), entries))
           AS login_days,
       now64(6) AS version
FROM (
    SELECT platform, organisation, user_key, arraySort(groupArray((day, logins))) AS entries
    FROM (
        SELECT platform, organisation, user_key, day, toUInt32(sum(logins)) AS logins
        FROM (
            SELECT platform, organisation, user_key, day, logins FROM login_day_counts WHERE {_WHERE}
            UNION ALL
            SELECT platform, organisation, user_key, day, toUInt32(0) AS logins
            FROM user_days ARRAY JOIN [organisation_id, '*'] AS organisation WHERE {_WHERE}
        )
        GROUP BY platform, organisation, user_key, day
    )
    GROUP BY platform, organisation, user_key
)
"""
# ... then their runs for the default definitions, from those days (all organisations).
REFRESH_SQL = f"""
INSERT INTO user_activity (platform, user_key, b2, wau, mau, first_day, version)
SELECT platform, user_key, b2, wau, mau, days[1] AS first_day, now64(6) AS version
FROM (
    SELECT platform, user_key, days,
        {runs_expr("login_days", str(B2_WINDOW_DAYS), str(B2_MIN_LOGINS), "b2")},
        {runs_expr("days", "7", "1", "wau")},
        {runs_expr("days", "30", "1", "mau")}
    FROM ({user_days_sql(_WHERE)})
)
"""


# Queued users recomputed per query: the queue is read in slices of about this many
# users (by a hash of the key), inside ClickHouse, so neither the engine nor Python ever
# holds a whole backlog's users (loadtests/results/aggregator-burst.md).
USERS_PER_REFRESH = 2_000


def refresh_user_activity(store: Client, where: str = "1", parameters: dict[str, Any] | None = None) -> None:
    """Recompute the days (`user_active_days`) and then the runs (`user_activity`) of the
    users matching `where`, trusted SQL on `user_key` (all users by default)."""
    store.command(ACTIVE_DAYS_SQL.replace(_WHERE, where), parameters=parameters)
    store.command(REFRESH_SQL.replace(_WHERE, where), parameters=parameters)


DAILY_SQL = f"""
INSERT INTO daily_activity (platform, day, organisation, users, logins, version)
SELECT platform, toDate(occurred_at, '{TIMEZONE}') AS day,
       if(grouping(organisation_id) = 1, '*', organisation_id) AS organisation,
       uniqExact(user_key) AS users, uniqExactIf(event_id, type = 'login') AS logins, now64(6) AS version
FROM events
WHERE {_WHERE}
GROUP BY GROUPING SETS ((platform, day, organisation_id), (platform, day))
"""
_DAY_RANGE = f"platform = {{platform:String}} AND {local_days('{first:Date}', '{last:Date}')}"


def refresh_daily_activity(store: Client, days: tuple[str, date, date] | None = None) -> None:
    """Recount one platform's days (platform, first, last), or every day when None."""
    if days is None:
        store.command(DAILY_SQL.replace(_WHERE, "1"))
        return
    platform, first, last = days
    store.command(DAILY_SQL.replace(_WHERE, _DAY_RANGE),
                  parameters={"platform": platform, "first": first, "last": last})


# Rows become visible a moment after `queued_at` is stamped: the watermark stays this far
# behind the clock, so a row still being written is picked up by the next round.
VISIBILITY_LAG = timedelta(seconds=3)


# Days recounted per query: its exact distinct counts hold every event of those days, so
# a 1,000,000-event burst over 60 days recounted at once peaked at 768 MB, a week at a
# time at 618 MB (loadtests/results/aggregator-burst.md).
DAYS_PER_RECOUNT = 7


def _day_ranges(days: list[date], longest: int = DAYS_PER_RECOUNT) -> list[tuple[date, date]]:
    """Sorted days as contiguous [first, last] ranges of at most `longest` days."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1) and (day - ranges[-1][0]).days < longest:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


_QUEUED = ("rollup_queue WHERE queued_at > {since:DateTime64(6, 'UTC')} "
           "AND queued_at <= {until:DateTime64(6, 'UTC')}")
_QUEUED_SLICE = (f"user_key IN (SELECT user_key FROM {_QUEUED} "
                 "AND cityHash64(user_key) % {slices:UInt64} = {slice:UInt64})")


# The background refresher (wait_for_visibility=True) shares the writer's handle, and
# under a backlog each of its rounds recounts every day the backlog touches: it may
# use at most this share of the handle's time, so that ingest keeps the rest.
REFRESH_SHARE = 0.25
_not_before: weakref.WeakKeyDictionary[Client, float] = weakref.WeakKeyDictionary()


def refresh_pending(store: Client, *, wait_for_visibility: bool = True, paced: bool = True) -> int:
    """Recompute the users and days queued since the watermark; return how many users.

    `wait_for_visibility=False` also takes rows younger than the visibility lag (for a
    caller that knows no insert is under way, e.g. right after a drain); the watermark
    never moves past the lag either way, so nothing can be skipped. With True and
    `paced` (the periodic refresher), a call sooner than REFRESH_SHARE allows after the
    last round does nothing (0): the queue waits for the next round.
    """
    started = time.monotonic()
    if wait_for_visibility and paced and started < _not_before.get(store, 0.0):
        return 0
    try:
        return _refresh_pending(store, wait_for_visibility)
    finally:
        took = time.monotonic() - started
        _not_before[store] = time.monotonic() + took * (1 - REFRESH_SHARE) / REFRESH_SHARE


def _refresh_pending(store: Client, wait_for_visibility: bool) -> int:
    now = datetime.now(UTC)
    since = store.query("SELECT max(upto) FROM rollup_watermark").result_rows[0][0]
    until = now - VISIBILITY_LAG if wait_for_visibility else now + timedelta(days=1)
    window = {"since": since, "until": until.replace(tzinfo=None)}
    users = store.query(f"SELECT uniqExact(platform, user_key) FROM {_QUEUED}", parameters=window).result_rows[0][0]
    slices = -(-users // USERS_PER_REFRESH)
    for index in range(slices):
        refresh_user_activity(store, _QUEUED_SLICE, window | {"slices": slices, "slice": index})
    days = store.query(f"SELECT platform, groupUniqArray(day) FROM {_QUEUED} GROUP BY platform",
                       parameters=window).result_rows
    for platform, platform_days in days:
        for first, last in _day_ranges(platform_days):
            refresh_daily_activity(store, (platform, first, last))
    watermark = now - VISIBILITY_LAG
    if watermark.replace(tzinfo=None) > since:
        store.insert("rollup_watermark", [[watermark.replace(tzinfo=None)]], column_names=["upto"])
    return int(users)
