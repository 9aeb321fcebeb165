"""While `skillpulse up` holds the store, the report asks its HTTP API: same figures as
from the store itself."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.app import Stack
from skillpulse.config import Settings
from skillpulse.report.collect import AnnualReport, collect_annual_report
from skillpulse.report.sources import cli_sources, store_sources
from skillpulse.sources.blog import Article
from skillpulse.sources.blog_store import ArticleBatch, record_articles
from tests.factories import store_records
from tests.report.dataset import AFTER_THE_YEAR, LOGINS, OTHER_EVENTS, TOOLS

pytestmark = pytest.mark.integration


def _figures(report: AnnualReport) -> tuple[object, ...]:
    return (report.period, report.b2_year, report.b2_series, report.months, report.funnel, report.summary["rows"],
            report.articles, report.manual)


def _collect_from_the_stack(settings: Settings) -> AnnualReport:
    return collect_annual_report(cli_sources(settings), year=2026, platforms=TOOLS, manual=None, now=AFTER_THE_YEAR)


async def test_the_running_stack_gives_the_store_s_figures(settings: Settings, store: Client) -> None:
    store_records(store, LOGINS + OTHER_EVENTS)
    record_articles(store, ArticleBatch(articles=[  # MV2 (`articles`) through the stack's KPI API too
        Article(guid=f"https://skilltech.cafe/?p={day}", published_at=datetime(2026, 4, day, 9, tzinfo=UTC))
        for day in (1, 2, 30)]))
    direct = collect_annual_report(store_sources(store), year=2026, platforms=TOOLS, manual=None, now=AFTER_THE_YEAR)
    async with Stack(settings) as stack:
        assert stack.url
        # A thread: the report's HTTP calls are blocking, and this loop serves them.
        via_stack = await asyncio.to_thread(_collect_from_the_stack, settings)
    assert _figures(via_stack) == _figures(direct)
    assert via_stack.b2_year["last_value"] == 3
    assert via_stack.articles["months"][3] == {"month": "2026-04", "articles": 3, "at_target": False}
    assert via_stack.freshness is not None and via_stack.freshness == direct.freshness  # /v1/freshness is served
