"""KPI values for the CLI: from the running stack's HTTP API when there is one (its
process holds the embedded store), else straight from the store."""

from __future__ import annotations

from datetime import date

import httpx

from skillpulse.config import Settings
from skillpulse.kpi import ActiveUsersParams, active_users_series
from skillpulse.stack import running_stack
from skillpulse.store import apply_migrations, open_store


def fetch_active_users(settings: Settings, start: date, end: date, window_days: int, min_logins: int,
                       platforms: tuple[str, ...]) -> list[dict[str, object]]:
    params = ActiveUsersParams(start=start, end=end, window_days=window_days, min_logins=min_logins,
                               platforms=platforms)
    state = running_stack(settings.paths.data_dir)
    if state is not None:
        query = {"from": start.isoformat(), "to": end.isoformat(), "window_days": window_days,
                 "min_logins": min_logins, "platform": list(platforms)}
        response = httpx.get(f"{state['url']}/v1/kpi/active-users", params=query, timeout=60)
        response.raise_for_status()
        return list(response.json())
    store = open_store(settings)
    try:
        apply_migrations(store)
        return active_users_series(store, params)
    finally:
        store.close()
