"""While `skillpulse up` holds the store, `skillpulse sources blog` sends its articles through
the running stack's POST /v1/blog/articles (one process per chdb path, an operator token),
and the stack's KPI API counts them."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from skillpulse.app import Stack
from skillpulse.cli.blog import deliver
from skillpulse.config import Settings
from skillpulse.kpi.params import KpiParams
from skillpulse.sources.blog import Article
from skillpulse.sources.blog_store import ArticleBatch, Recorded
from skillpulse.stack_client import fetch_metric

pytestmark = pytest.mark.integration


async def test_articles_reach_the_running_stack_s_store(settings: Settings) -> None:
    batch = ArticleBatch(articles=[Article(guid=f"https://skilltech.cafe/?p={day}",
                                           published_at=datetime(2026, 6, day, 9, tzinfo=UTC)) for day in (1, 2)])
    async with Stack(settings):
        assert await asyncio.to_thread(deliver, settings, batch) == Recorded(new=2, redated=0, unchanged=0)
        assert await asyncio.to_thread(deliver, settings, batch) == Recorded(new=0, redated=0, unchanged=2)
        june = KpiParams(start=date(2026, 6, 1), end=date(2026, 6, 30))
        answer = await asyncio.to_thread(fetch_metric, settings, "articles", june)
    assert answer["articles"] == 2 and answer["stored_articles"] == 2
