"""Brute-force B2 reference: plain Python over raw events, written to be obviously
correct. It shares no code with the SQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

LUXEMBOURG = ZoneInfo("Europe/Luxembourg")


def active_users_reference(
    logins: list[tuple[str, str, str, datetime]],  # (event_id, platform, user, occurred_at aware)
    start: date, end: date, window_days: int = 60, min_logins: int = 2,
    platforms: tuple[str, ...] = ("skilltech.tools",),
) -> list[dict[str, object]]:
    earliest_copy = {}
    for event_id, platform, user, occurred_at in logins:
        key = (platform, event_id)  # a resent event is the same connection
        if key not in earliest_copy or occurred_at < earliest_copy[key][2]:
            earliest_copy[key] = (platform, user, occurred_at)
    login_days = defaultdict(list)
    for platform, user, occurred_at in earliest_copy.values():
        if platform in platforms:
            login_days[user].append(occurred_at.astimezone(LUXEMBOURG).date())
    series = []
    day = start
    while day <= end:
        first_day = day - timedelta(days=window_days - 1)
        active = 0
        for days in login_days.values():
            in_window = [d for d in days if first_day <= d <= day]
            if len(in_window) >= min_logins:
                active += 1
        series.append({"day": day.isoformat(), "active_users": active})
        day += timedelta(days=1)
    return series
