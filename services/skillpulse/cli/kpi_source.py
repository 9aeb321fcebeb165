"""Store-backed answers for the CLI: from the running stack's HTTP API when there is one
(its process holds the embedded store), else straight from the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import httpx
from clickhouse_connect.driver.client import Client

from skillpulse.config import Settings
from skillpulse.kpi.catalogue import Result, compute
from skillpulse.kpi.params import KpiParams
from skillpulse.kpi.summary import contract_summary
from skillpulse.stack import running_stack
from skillpulse.store import apply_migrations, open_store

T = TypeVar("T")


def from_stack_or_store(settings: Settings, path: str, query: dict[str, Any], local: Callable[[Client], T]) -> T:
    state = running_stack(settings.paths.data_dir)
    if state is not None:
        response = httpx.get(f"{state['url']}/v1/{path}", params=query, timeout=120)
        if response.status_code == 422:
            raise ValueError(response.json()["detail"])
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]
    store = open_store(settings)
    try:
        apply_migrations(store)
        return local(store)
    finally:
        store.close()


def fetch_metric(settings: Settings, slug: str, params: KpiParams) -> Result:
    query = {"from": params.start.isoformat(), "to": params.end.isoformat(), "window_days": params.window_days,
             "min_logins": params.min_logins, "platform": list(params.platforms)}
    if params.organisation:
        query["organisation"] = params.organisation
    return from_stack_or_store(settings, f"kpi/{slug}", query, lambda store: compute(slug, store, params))


def fetch_summary(settings: Settings, as_of: date, platforms: tuple[str, ...]) -> dict[str, Any]:
    query = {"as_of": as_of.isoformat(), "platform": list(platforms)}
    return from_stack_or_store(settings, "kpi/summary", query, lambda store: contract_summary(store, as_of, platforms))
