"""The tool catalogue in the annual report: what MC4 and MP2 counted (made available in the
year) and the cross-check against the year's telemetry, by hand on the report dataset."""

from __future__ import annotations

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.report.collect import collect_annual_report
from skillpulse.report.render import render_html
from skillpulse.report.sources import store_sources
from tests.catalogue import declare_tools
from tests.factories import store_records
from tests.report.dataset import AFTER_THE_YEAR, LOGINS, OTHER_EVENTS, TOOLS
from tests.report.reading import ReportReader


@pytest.fixture
def catalogued(store: Client) -> Client:
    # Telemetry of 2026: quiz-maker (with `timer`), podcast-studio (with `chapters`, from 1 April), whiteboard.
    store_records(store, LOGINS + OTHER_EVENTS)
    declare_tools(store, {"tool_id": "quiz-maker", "category": "assessment", "available_from": "2025-11-20"},
                  {"tool_id": "podcast-studio", "category": "content_creation", "available_from": "2026-04-15"},
                  {"tool_id": "podcast-studio", "feature": "chapters", "available_from": "2026-04-15"},
                  {"tool_id": "video-lab", "category": "content_creation", "available_from": "2026-10-01"})
    return store


def test_the_report_lists_what_was_counted_and_both_kinds_of_mismatch(catalogued: Client) -> None:
    report = collect_annual_report(store_sources(catalogued), year=2026, platforms=TOOLS, manual=None,
                                   now=AFTER_THE_YEAR)
    page = ReportReader(render_html(report))
    # MC4: podcast-studio, video-lab; MP2: those + (podcast-studio, chapters). quiz-maker is from 2025.
    contract = page.table("contract")
    assert (contract["MC4"].value("value"), contract["MP2"].value("value")) == ("2", "3")
    made = page.table("made-available")
    assert list(made) == ["podcast-studio/", "podcast-studio/chapters", "video-lab/"]
    assert [row.text_of("counts-for") for row in made.values()] == ["MC4, MP2", "MP2", "MC4, MP2"]
    # whiteboard and quiz-maker's `timer` were used, never declared; video-lab was offered, never used.
    assert list(page.table("used-not-declared")) == ["quiz-maker/timer", "whiteboard/"]
    assert page.table("used-not-declared")["whiteboard/"].value("first-use") == "2026-09-01"
    assert list(page.table("declared-not-used")) == ["video-lab/"]
    before = page.table("used-before-available")  # used from 1 April, declared from 15 April
    assert list(before) == ["podcast-studio/", "podcast-studio/chapters"]
    assert before["podcast-studio/"].value("available-from") == "2026-04-15"
    assert page.facts["used-not-declared"][1] == "2"
    assert page.table("catalogue-check")["command"].text_of("command") == (
        "skillpulse kpi tool-catalogue-check --from 2026-01-01 --to 2026-12-31 --platform skilltech.tools")


def test_an_empty_catalogue_says_how_to_declare(store: Client) -> None:
    store_records(store, LOGINS + OTHER_EVENTS)
    page = ReportReader(render_html(collect_annual_report(store_sources(store), year=2026, platforms=TOOLS,
                                                          manual=None, now=AFTER_THE_YEAR)))
    assert "skillpulse tools add" in page.facts["none-made-available"][0]
    assert page.table("contract")["MC4"].value("value") == "0"
    assert len(page.table("used-not-declared")) == 3  # quiz-maker, podcast-studio, whiteboard
