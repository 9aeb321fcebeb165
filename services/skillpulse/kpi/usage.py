"""Simple usage KPIs: trained users (MA4), DAU, MAU. Distinct `event_id` throughout."""

from __future__ import annotations

from datetime import date

from clickhouse_connect.driver.client import Client

from skillpulse.kpi.active_users import TIMEZONE

# Users with any event on the Luxembourg days [start, end] of the given platforms.
ACTIVE_ANY_SQL = f"""
SELECT uniqExact(user_key)
FROM events
WHERE platform IN {{platforms:Array(String)}}
  AND occurred_at >= toDateTime({{start:Date}} - 1, 'UTC') AND occurred_at < toDateTime({{end:Date}} + 2, 'UTC')
  AND toDate(occurred_at, '{TIMEZONE}') BETWEEN {{start:Date}} AND {{end:Date}}
"""

# MA4: users with a training completed or passed in [start, end].
TRAINED_USERS_SQL = f"""
SELECT uniqExact(user_key)
FROM events
WHERE type = 'training' AND training_status IN ('completed', 'passed')
  AND platform IN {{platforms:Array(String)}}
  AND occurred_at >= toDateTime({{start:Date}} - 1, 'UTC') AND occurred_at < toDateTime({{end:Date}} + 2, 'UTC')
  AND toDate(occurred_at, '{TIMEZONE}') BETWEEN {{start:Date}} AND {{end:Date}}
"""


def _scalar(store: Client, sql: str, start: date, end: date, platforms: tuple[str, ...]) -> int:
    parameters = {"start": start, "end": end, "platforms": list(platforms)}
    return int(store.query(sql, parameters=parameters).result_rows[0][0])


def users_with_any_event(store: Client, start: date, end: date, platforms: tuple[str, ...]) -> int:
    """DAU when start == end; MAU over a 30-day range."""
    return _scalar(store, ACTIVE_ANY_SQL, start, end, platforms)


def trained_users(store: Client, start: date, end: date, platforms: tuple[str, ...]) -> int:
    return _scalar(store, TRAINED_USERS_SQL, start, end, platforms)
