"""Where the report's figures come from: an open store (tests, and any process that holds
one), or, from the CLI, `skillpulse.stack_client` like every other command (the running
stack's HTTP API when `skillpulse up` runs on the data dir, else the store)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from skillpulse.config import Settings
from skillpulse.kpi.catalogue import compute
from skillpulse.kpi.summary import contract_summary
from skillpulse.report.collect import ReportSources
from skillpulse.report.freshness import data_freshness
from skillpulse.stack_client import fetch_freshness, fetch_metric, fetch_summary

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def store_sources(store: Client) -> ReportSources:
    return ReportSources(metric=lambda slug, params: compute(slug, store, params),
                         summary=lambda as_of, platforms: contract_summary(store, as_of, platforms),
                         freshness=lambda platforms: data_freshness(store, platforms))


def cli_sources(settings: Settings) -> ReportSources:
    return ReportSources(metric=partial(fetch_metric, settings), summary=partial(fetch_summary, settings),
                         freshness=partial(fetch_freshness, settings))
