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


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LUXEMBOURG).date()


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def unique_events(events: list[dict]) -> list[dict]:
    """One copy per (platform, event_id): the earliest."""
    chosen: dict[tuple[str, str], dict] = {}
    for event in events:
        key = (event["platform"], event["event_id"])
        if key not in chosen or event["occurred_at"] < chosen[key]["occurred_at"]:
            chosen[key] = event
    return list(chosen.values())


def users_active_reference(events: list[dict], start: date, end: date, window_days: int,
                           platforms: tuple[str, ...] = ("skilltech.tools",), organisation: str | None = None
                           ) -> list[dict[str, object]]:
    """DAU/WAU/MAU: distinct users with any event in the window ending each day."""
    kept = [e for e in unique_events(events) if e["platform"] in platforms
            and (organisation is None or e.get("organisation_id") == organisation)]
    series = []
    for day in _days(start, end):
        first = day - timedelta(days=window_days - 1)
        users = {e["user"] for e in kept if first <= _local_day(e["occurred_at"]) <= day}
        series.append({"day": day.isoformat(), "users": len(users)})
    return series


def logins_per_day_reference(events: list[dict], start: date, end: date) -> list[dict[str, object]]:
    kept = [e for e in unique_events(events) if e["platform"] == "skilltech.tools" and e["type"] == "login"]
    return [{"day": day.isoformat(), "logins": sum(1 for e in kept if _local_day(e["occurred_at"]) == day)}
            for day in _days(start, end)]


def new_users_reference(events: list[dict], start: date, end: date) -> list[dict[str, object]]:
    kept = [e for e in unique_events(events) if e["platform"] == "skilltech.tools"]
    first_day: dict[str, date] = {}
    for event in kept:
        day = _local_day(event["occurred_at"])
        first_day[event["user"]] = min(day, first_day.get(event["user"], day))
    series = []
    for day in _days(start, end):
        active = {e["user"] for e in kept if _local_day(e["occurred_at"]) == day}
        new = {user for user in active if first_day[user] == day}
        series.append({"day": day.isoformat(), "new_users": len(new), "returning_users": len(active - new)})
    return series


def trained_users_reference(events: list[dict], start: date, end: date) -> int:
    return len({e["user"] for e in unique_events(events) if e["platform"] == "skilltech.tools"
                and e["type"] == "training" and e["status"] in ("completed", "passed")
                and start <= _local_day(e["occurred_at"]) <= end})


def first_seen_reference(events: list[dict], start: date, end: date) -> tuple[list[str], list[str], list[tuple]]:
    """(new content-creation tools, new tools, new (tool, feature) pairs) of the period."""
    kept = [e for e in events if e["platform"] == "skilltech.tools" and e.get("tool_id")]
    first_tool: dict[str, date] = {}
    first_pair: dict[tuple[str, str], date] = {}
    content = set()
    for event in kept:
        day = _local_day(event["occurred_at"])
        tool = event["tool_id"]
        first_tool[tool] = min(day, first_tool.get(tool, day))
        if event.get("feature"):
            pair = (tool, event["feature"])
            first_pair[pair] = min(day, first_pair.get(pair, day))
        if event.get("tool_category") == "content_creation":
            content.add(tool)
    new_tools = sorted(t for t, d in first_tool.items() if start <= d <= end)
    return ([t for t in new_tools if t in content], new_tools,
            sorted(p for p, d in first_pair.items() if start <= d <= end))
