"""MV2 in the annual report: counted from the blog's stored articles (FEED), per month against
4 with the command that recomputes each month; a manual MV2 overrides it, marked so; no
stored article means no MV2 figure (never an invented 0)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.kpi.catalogue import scalar
from skillpulse.kpi.params import KpiParams
from skillpulse.report.collect import collect_annual_report
from skillpulse.report.manual_inputs import load_manual_inputs
from skillpulse.report.render import render_html
from skillpulse.report.sources import store_sources
from skillpulse.sources.blog import Article
from skillpulse.sources.blog_store import ArticleBatch, record_articles
from tests.factories import store_records
from tests.report.dataset import AFTER_THE_YEAR, LOGINS, TOOLS
from tests.report.reading import ReportReader

CET = timezone(timedelta(hours=1))
# By hand: January 4 (the 31st at 23:30 in Luxembourg is still January), February 1, March 5; one in 2025, one
# in 2027 (outside); the January 4th article listed twice.
DATES = ([datetime(2026, 1, day, 9, tzinfo=CET) for day in (5, 12, 19)] + [datetime(2026, 1, 31, 22, 30, tzinfo=UTC)]
         + [datetime(2026, 2, 14, tzinfo=CET)] + [datetime(2026, 3, day, tzinfo=CET) for day in (2, 3, 4, 5, 6)]
         + [datetime(2025, 12, 30, tzinfo=CET), datetime(2027, 1, 2, tzinfo=CET)])
IN_2026 = {"2026-01": 4, "2026-02": 1, "2026-03": 5}


@pytest.fixture
def with_articles(store: Client) -> Client:
    store_records(store, LOGINS)
    articles = [Article(guid=f"https://skilltech.cafe/?p={i}", published_at=when) for i, when in enumerate(DATES)]
    record_articles(store, ArticleBatch(articles=[*articles, articles[3]]))
    return store


def _page(store: Client, tmp_path: Path, manual: str | None = None) -> ReportReader:
    inputs = None
    if manual is not None:
        (tmp_path / "manual.toml").write_text(manual)
        inputs = load_manual_inputs(tmp_path / "manual.toml", 2026)
    report = collect_annual_report(store_sources(store), year=2026, platforms=TOOLS, manual=inputs,
                                   now=AFTER_THE_YEAR)
    return ReportReader(render_html(report))


def test_mv2_comes_from_the_feed_per_month(with_articles: Client, tmp_path: Path) -> None:
    page = _page(with_articles, tmp_path)
    mv2 = page.table("manual")["MV2"]
    assert (mv2.attrs["data-status"], mv2.value("value"), mv2.text_of("value")) == ("measured", "10", "FEED10")
    assert mv2.value("progress") == str(round(100 * 10 / 48, 1))
    assert mv2.text_of("notes") == "Reproduce: skillpulse kpi articles --from 2026-01-01 --to 2026-12-31"
    months = page.table("articles")
    assert list(months) == [f"2026-{month:02d}" for month in range(1, 13)]
    counts = {month: int(row.value("articles") or -1) for month, row in months.items()}
    assert counts == {month: IN_2026.get(month, 0) for month in months}
    assert [month for month, row in months.items() if row.value("at-target") == "true"] == ["2026-01", "2026-03"]
    assert months["2026-02"].text_of("command") == "skillpulse kpi articles --from 2026-02-01 --to 2026-02-28"
    for month, row in months.items():  # each month is what `skillpulse kpi articles` answers for it
        first = date.fromisoformat(f"{month}-01")
        last = date.fromisoformat(row.text_of("command").split("--to ")[1])
        assert scalar("articles", with_articles, KpiParams(start=first, end=last))["articles"] == counts[month]
    note = page.facts["articles-note"][0]
    assert "2 of 12 months at 4 or more, 10 articles in the period" in note
    assert "oldest stored article (2025-12-30)" in note and "articles-overridden" not in page.facts


def test_a_manual_mv2_overrides_the_feed_and_says_so(with_articles: Client, tmp_path: Path) -> None:
    page = _page(with_articles, tmp_path, 'year = 2026\n[indicators.MV2]\nvalue = 48\nsource = "CMS export"\n')
    mv2 = page.table("manual")["MV2"]
    assert (mv2.attrs["data-status"], mv2.value("value"), mv2.text_of("value")) == (
        "override", "48.0", "MANUAL OVERRIDE48")
    assert mv2.value("progress") == "100.0" and mv2.text_of("source") == "CMS export"
    assert mv2.text_of("notes") == ("overrides the 10 measured (the blog's feed (skillpulse sources blog); "
                                    "skillpulse kpi articles --from 2026-01-01 --to 2026-12-31)")
    assert "MANUAL OVERRIDE" in page.facts["articles-overridden"][0]
    assert page.table("articles")["2026-03"].value("articles") == "5"  # the feed's count is still shown


def test_without_stored_articles_mv2_is_not_measured(store: Client, tmp_path: Path) -> None:
    store_records(store, LOGINS)
    page = _page(store, tmp_path)
    assert page.table("manual")["MV2"].attrs["data-status"] == "not-provided"
    assert "skillpulse sources blog" in page.facts["no-articles"][0]
    assert page.table("articles") == {}
