"""B2: users with at least `min_logins` connections in the `window_days` calendar days
ending on day D (D-(window-1) … D, Europe/Luxembourg days), one value per day.

How the SQL works, per user: sort the login days (one entry per distinct event_id,
so two logins on one day count twice). Any `min_logins` consecutive logins
t_i ≤ … ≤ t_{i+k-1} make the user active exactly on [t_{i+k-1}, t_i + window - 1].
Starts and ends of those intervals both grow with i, so clipping each start to just
after the previous end makes them disjoint without losing a day. Each interval then
adds +1 on its first day and -1 after its last; a running sum over the calendar is
the number of active users per day. Cost: one pass over the logins, no per-day fan-out.
"""

from __future__ import annotations

from datetime import date

from clickhouse_connect.driver.client import Client
from pydantic import BaseModel, ConfigDict, Field, model_validator

from skillpulse.contract import PLATFORMS

TIMEZONE = "Europe/Luxembourg"
MAX_RANGE_DAYS = 3660

ACTIVE_USERS_SQL = f"""
WITH
logins AS (
    SELECT any(user_key) AS user_key, min(toDate(occurred_at, '{TIMEZONE}')) AS day
    FROM events
    WHERE type = 'login'
      AND platform IN {{platforms:Array(String)}}
      -- UTC bounds with a day of margin keep partition pruning; the local day decides.
      AND occurred_at >= toDateTime({{start:Date}} - {{window:UInt32}} - 1, 'UTC')
      AND occurred_at < toDateTime({{end:Date}} + 2, 'UTC')
    GROUP BY platform, event_id  -- a resent event is the same connection
    HAVING day BETWEEN {{start:Date}} - ({{window:UInt32}} - 1) AND {{end:Date}}
),
per_user AS (
    SELECT arraySort(groupArray(day)) AS days
    FROM logins
    GROUP BY user_key
    HAVING length(days) >= {{min_logins:UInt32}}
),
intervals AS (
    SELECT arrayJoin(arrayFilter(iv -> iv.1 <= iv.2, arrayMap(
        i -> (
            greatest(days[i + {{min_logins:UInt32}} - 1],
                     if(i = 1, toDate('1970-01-01'), days[i - 1] + {{window:UInt32}})),
            days[i] + ({{window:UInt32}} - 1)
        ),
        range(1, toUInt32(length(days)) - {{min_logins:UInt32}} + 2)
    ))) AS iv
    FROM per_user
),
deltas AS (
    SELECT day, sum(change) AS change
    FROM (
        SELECT iv.1 AS day, 1 AS change FROM intervals
        UNION ALL
        SELECT iv.2 + 1 AS day, -1 AS change FROM intervals
    )
    GROUP BY day
),
calendar AS (
    SELECT toDate({{start:Date}} - ({{window:UInt32}} - 1) + number) AS day
    FROM numbers(toUInt64(({{end:Date}} - {{start:Date}}) + {{window:UInt32}}))
)
SELECT day, active_users
FROM (
    SELECT calendar.day AS day,
           toUInt64(sum(deltas.change) OVER (ORDER BY calendar.day ROWS UNBOUNDED PRECEDING)) AS active_users
    FROM calendar
    LEFT JOIN deltas ON deltas.day = calendar.day
)
WHERE day >= {{start:Date}}
ORDER BY day
"""


class ActiveUsersParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    start: date
    end: date
    window_days: int = Field(default=60, ge=1, le=3660)
    min_logins: int = Field(default=2, ge=1, le=10_000)
    platforms: tuple[str, ...] = Field(default=(PLATFORMS[0],), min_length=1)

    @model_validator(mode="after")
    def _range(self) -> ActiveUsersParams:
        if self.end < self.start:
            raise ValueError("`to` is before `from`")
        if (self.end - self.start).days >= MAX_RANGE_DAYS:
            raise ValueError(f"at most {MAX_RANGE_DAYS} days per query")
        return self


def active_users_series(store: Client, params: ActiveUsersParams) -> list[dict[str, object]]:
    """[{"day": "YYYY-MM-DD", "active_users": N}, …], one entry per day from start to end."""
    result = store.query(ACTIVE_USERS_SQL, parameters={
        "start": params.start, "end": params.end, "window": params.window_days,
        "min_logins": params.min_logins, "platforms": list(params.platforms),
    })
    return [{"day": day.isoformat(), "active_users": int(value)} for day, value in result.result_rows]
