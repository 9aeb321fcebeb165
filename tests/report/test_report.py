"""The annual report against hand-counted figures on a small, edgy year of real stored
events (embedded store, the aggregator's insert path and rollups)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from clickhouse_connect.driver.client import Client
from fastapi import FastAPI

from skillpulse.api.freshness import create_freshness_router
from skillpulse.kpi.catalogue import METRICS
from skillpulse.report.collect import collect_annual_report
from skillpulse.report.errors import ReportError
from skillpulse.report.freshness import data_freshness
from skillpulse.report.manual_inputs import load_manual_inputs
from skillpulse.report.render import render_html
from skillpulse.report.sources import store_sources
from tests.catalogue import declare_tools
from tests.factories import store_records
from tests.report.dataset import (
    AFTER_THE_YEAR,
    B2_ON_31_DECEMBER,
    B2_PEAK,
    B2_PEAK_DAY,
    FUNNEL,
    LOGINS,
    LOGINS_PER_MONTH,
    MAU_AT_MONTH_END,
    OTHER_EVENTS,
    TOOLS,
    TUBE,
    USERS,
    user_key,
)
from tests.report.reading import ReportReader

MANUAL_FILE = """
year = 2026
[indicators.MV2]
value = 36
source = "skilltech.cafe CMS <export> & count"
notes = "9 months at 4 or more"
[indicators.FIN1]
value = 500000.0
source = "accounting"
"""


@pytest.fixture
def load_started(store: Client) -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def loaded(store: Client, load_started: datetime) -> Client:
    store_records(store, LOGINS[:23])  # two batches: fay's resend comes in the second
    store_records(store, LOGINS[23:] + OTHER_EVENTS)
    # The catalogue as released (MC4 and MP2 count it), on the days the tools were first used.
    declare_tools(store, {"tool_id": "quiz-maker", "category": "assessment", "available_from": "2025-11-20"},
                  {"tool_id": "quiz-maker", "feature": "timer", "available_from": "2026-09-02"},
                  {"tool_id": "podcast-studio", "category": "content_creation", "available_from": "2026-04-01"},
                  {"tool_id": "podcast-studio", "feature": "chapters", "available_from": "2026-04-01"},
                  {"tool_id": "whiteboard", "category": "content_creation", "available_from": "2026-09-01"})
    return store


def _report(store: Client, now: datetime, tmp_path: Path, manual: str | None = MANUAL_FILE) -> ReportReader:
    inputs = None
    if manual is not None:
        (tmp_path / "manual.toml").write_text(manual)
        inputs = load_manual_inputs(tmp_path / "manual.toml", 2026)
    report = collect_annual_report(store_sources(store), year=2026, platforms=TOOLS, manual=inputs, now=now)
    document = render_html(report)
    for user in USERS:  # privacy: counts only, neither ids nor pseudonyms
        assert user not in document and user_key(user) not in document
    return ReportReader(document)


def test_year_end_peak_and_contract_table(loaded: Client, tmp_path: Path) -> None:
    page = _report(loaded, AFTER_THE_YEAR, tmp_path)
    assert page.facts["as-of"] == ("31 December 2026 (the year is over)", "2026-12-31")
    contract = page.table("contract")
    end, peak = contract["B2-year-end"], contract["B2-peak"]
    assert "Active users on 31 December" in end.text
    assert (end.value("value"), end.value("day"), end.text_of("target")) == (str(B2_ON_31_DECEMBER), "2026-12-31",
                                                                            "1,600")
    assert end.value("progress") == str(round(100 * B2_ON_31_DECEMBER / 1600, 1))
    assert (peak.value("value"), peak.value("day")) == (str(B2_PEAK), B2_PEAK_DAY)
    assert "window 2026-11-02 … 2026-12-31" in end.text_of("day")
    assert end.text_of("command") == ("skillpulse kpi active-users-yearly --from 2026-01-01 --to 2026-12-31 "
                                      "--platform skilltech.tools")
    # MA4: t1 completed, t2 passed (t1's 2027 completion is outside); MC4: podcast-studio, whiteboard
    # (declared in 2026); MP2: those two tools + (podcast-studio, chapters) + (quiz-maker, timer).
    expected = {"MA4": ("trained-users", 2, 500, "0.4"), "MC4": ("new-tools", 2, 10, "20.0"),
                "MP2": ("new-features", 4, 6, "66.7")}
    assert [key for key in contract] == ["B2-year-end", "B2-peak", *expected]
    for kpi, (slug, value, target, pct) in expected.items():
        row = contract[kpi]
        assert (int(row.value("value") or -1), float(row.value("target") or -1)) == (value, target), kpi
        assert (row.value("progress"), row.value("period")) == (pct, "2026-01-01/2026-12-31"), kpi
        assert row.text_of("command") == (f"skillpulse kpi {slug} --from 2026-01-01 --to 2026-12-31 "
                                          "--platform skilltech.tools")
    usage = page.table("usage")  # on 31 Dec: DAU ana, dan, eve; MAU ana, ben, cai, dan, eve, fay
    assert (usage["DAU"].value("value"), usage["MAU"].value("value"), usage["STICKINESS"].value("value")) == (
        "3", "6", "0.5")
    assert usage["DAU"].text_of("command") == ("skillpulse kpi dau --from 2026-12-31 --to 2026-12-31 "
                                               "--platform skilltech.tools")
    assert "The whole table: skillpulse kpi summary --as-of 2026-12-31 --platform skilltech.tools" in page.text


def test_definitions_are_the_catalogue_s(loaded: Client, tmp_path: Path) -> None:
    text = _report(loaded, AFTER_THE_YEAR, tmp_path).text
    assert f"{METRICS['active-users'].definition}; window_days=60, min_logins=2" in text
    for slug in ("trained-users", "new-tools", "new-features", "dau", "mau", "stickiness", "training-funnel"):
        assert METRICS[slug].definition in text, slug
    assert "calendar days in Europe/Luxembourg local time" in text
    assert "A resent event (same event_id) is one event" in text


def test_months_funnel_charts_and_freshness(loaded: Client, load_started: datetime, tmp_path: Path) -> None:
    page = _report(loaded, AFTER_THE_YEAR, tmp_path)
    months = page.table("months")
    assert list(months) == [f"2026-{month:02d}" for month in range(1, 13)]
    assert {month: int(row.value("logins") or -1) for month, row in months.items() if row.value("logins") != "0"} \
        == LOGINS_PER_MONTH
    assert {month: int(row.value("mau") or -1) for month, row in months.items()} == MAU_AT_MONTH_END
    assert months["2026-02"].text_of("mau-day") == "2026-02-28"
    assert {status: int(row.value("users") or -1) for status, row in page.table("funnel").items()} == FUNNEL
    # Three inline SVG charts, and nothing fetched from elsewhere: no script, no stylesheet link.
    assert [image["src"][:26] for image in page.images] == ["data:image/svg+xml;base64,"] * 3
    assert all(link.startswith("data:") for link in page.links)
    assert not page.tags & {"script", "link", "iframe", "object"}
    # Freshness: the newest event is t1's 2027 completion; every event was stored during this test.
    assert page.facts["latest-occurred-at"][1] == "2027-01-10T09:00:00+00:00"
    assert page.facts["events"][1] == str(len(LOGINS) - 2 + len(OTHER_EVENTS) - 1)  # no tube logins, one resend
    stored = datetime.fromisoformat(page.facts["latest-stored-at"][1] or "")
    assert load_started - timedelta(milliseconds=1) <= stored <= datetime.now(UTC)


def test_year_not_over_stops_at_the_last_day_with_data(loaded: Client, tmp_path: Path) -> None:
    page = _report(loaded, datetime(2026, 6, 20, 12, tzinfo=UTC), tmp_path)  # the peak logins are the last ones
    assert page.facts["as-of"] == ("2026-06-10, the last day with data (the year is not over)", "2026-06-10")
    end = page.table("contract")["B2-year-end"]
    assert (end.value("value"), end.value("day")) == ("5", "2026-06-10")
    assert "the last day with data (year not over)" in end.text
    assert page.table("contract")["MA4"].value("period") == "2026-01-01/2026-06-10"
    assert list(page.table("months"))[-1] == "2026-06" and page.table("months")["2026-06"].value("logins") == "10"


def test_manual_inputs_are_shown_as_given_and_marked(loaded: Client, tmp_path: Path) -> None:
    manual = _report(loaded, AFTER_THE_YEAR, tmp_path).table("manual")
    mv2, fin1 = manual["MV2"], manual["FIN1"]
    assert (mv2.attrs["data-status"], mv2.value("value"), mv2.text_of("value")) == ("manual", "36.0", "MANUAL36")
    assert mv2.text_of("source") == "skilltech.cafe CMS <export> & count"  # escaped, read back as given
    assert (mv2.text_of("notes"), mv2.value("progress")) == ("9 months at 4 or more", "75.0")
    assert (fin1.text_of("value"), fin1.value("progress"), fin1.text_of("unit")) == ("MANUAL500,000", "25.0", "EUR")
    missing = [key for key, row in manual.items() if row.attrs["data-status"] == "not-provided"]
    assert missing == ["MV6", "MV10", "MV11-communities", "MV11-meetings", "MA2", "MI1", "MI2", "FIN2"]
    for key in missing:
        assert manual[key].text_of("value") == "not provided" and manual[key].value("value") is None
        assert "MANUAL" not in manual[key].text


def test_without_a_manual_inputs_file_nothing_is_provided(loaded: Client, tmp_path: Path) -> None:
    manual = _report(loaded, AFTER_THE_YEAR, tmp_path, manual=None).table("manual")
    assert len(manual) == 10
    assert {row.attrs["data-status"] for row in manual.values()} == {"not-provided"}


def test_markup_in_manual_inputs_stays_text(loaded: Client, tmp_path: Path) -> None:
    hostile = MANUAL_FILE.replace('notes = "9 months at 4 or more"',
                                  "notes = '<script>alert(1)</script><img src=\"https://x.test/a.png\">'")
    page = _report(loaded, AFTER_THE_YEAR, tmp_path, manual=hostile)
    assert "script" not in page.tags and len(page.images) == 3
    assert page.table("manual")["MV2"].text_of("notes") == '<script>alert(1)</script><img src="https://x.test/a.png">'


def test_a_year_that_has_not_started_or_precedes_the_agreement_is_refused(store: Client) -> None:
    with pytest.raises(ReportError, match="2027 has not started yet"):
        collect_annual_report(store_sources(store), year=2027, platforms=TOOLS, manual=None,
                              now=datetime(2026, 12, 31, 22, 59, tzinfo=UTC))  # 23:59 in Luxembourg
    started = collect_annual_report(store_sources(store), year=2027, platforms=TOOLS, manual=None,
                                    now=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # 00:30 on 1 January there
    assert (started.period.end, started.period.complete, started.period.has_data) == (date(2027, 1, 1), False,
                                                                                       False)
    # A year before the agreement is reported when it has data (tests/report/test_before_agreement.py).
    with pytest.raises(ReportError, match="a report for a year before the agreement \\(2026\\) needs data"):
        collect_annual_report(store_sources(store), year=2025, platforms=TOOLS, manual=None, now=AFTER_THE_YEAR)


async def test_freshness_route_answers_like_the_store(loaded: Client) -> None:
    app = FastAPI()
    app.include_router(create_freshness_router(loaded))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        answer = await client.get("/v1/freshness", params={"platform": ["skilltech.tube"]})
    assert answer.status_code == 200
    assert answer.json()["events"] == 2 == data_freshness(loaded, (TUBE,)).events
    assert answer.json()["latest_occurred_at"].startswith("2026-12-06T09:00:00")
    assert data_freshness(loaded, ("skilltech.cafe",)).latest_occurred_at is None
    assert date.fromisoformat(answer.json()["latest_stored_at"][:10]) == datetime.now(UTC).date()
