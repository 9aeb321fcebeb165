"""Where the report's figures come from. From the CLI, each one goes through `kpi_source`
like every other command: the running stack's HTTP API when `skillpulse up` runs on the
data dir (its process holds the embedded store), else the store."""

from __future__ import annotations

from functools import partial

import httpx
from clickhouse_connect.driver.client import Client

from skillpulse.cli.kpi_source import fetch_metric, fetch_summary, from_stack_or_store
from skillpulse.config import Settings
from skillpulse.kpi.catalogue import compute
from skillpulse.kpi.summary import contract_summary
from skillpulse.report.collect import ReportSources
from skillpulse.report.freshness import Freshness, data_freshness


def store_sources(store: Client) -> ReportSources:
    """Straight from an open store (tests, and any process that holds one)."""
    return ReportSources(metric=lambda slug, params: compute(slug, store, params),
                         summary=lambda as_of, platforms: contract_summary(store, as_of, platforms),
                         freshness=lambda platforms: data_freshness(store, platforms))


def _fetch_freshness(settings: Settings, platforms: tuple[str, ...]) -> Freshness | None:
    try:
        found = from_stack_or_store(settings, "freshness", {"platform": list(platforms)},
                                    lambda store: data_freshness(store, platforms))
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code == 404:  # a stack that does not serve the route: the report says so
            return None
        raise
    return Freshness.model_validate(found)


def cli_sources(settings: Settings) -> ReportSources:
    return ReportSources(metric=partial(fetch_metric, settings), summary=partial(fetch_summary, settings),
                         freshness=partial(_fetch_freshness, settings))
