"""A report for a year before the agreement (2025, which Art. 3 asks for): the same KPIs
over that year only, the agreement's targets shown as such, the report saying so; hand
counts on stored events, equal to `skillpulse kpi` over the same range."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.kpi.catalogue import scalar
from skillpulse.kpi.params import KpiParams
from skillpulse.kpi.summary import contract_summary
from skillpulse.report.collect import collect_annual_report
from skillpulse.report.errors import ReportError
from skillpulse.report.render import render_html
from skillpulse.report.sources import store_sources
from tests.catalogue import declare_tools
from tests.factories import login, record_json, store_records
from tests.report.dataset import TOOLS, user_key
from tests.report.reading import ReportReader

IN_2026 = datetime(2026, 3, 1, 10, tzinfo=UTC)


def _event(kind: str, user: str, when: str, **fields: Any) -> bytes:
    return record_json(kind, user_key=user_key(user), occurred_at=when, event_id=str(uuid.uuid4()), **fields)


EVENTS_2025 = [
    login("user-a", "2025-11-20T10:00:00+01:00"), login("user-a", "2025-12-30T10:00:00+01:00"),  # active 31 Dec
    login("user-b", "2025-12-31T23:30:00+01:00"),  # one login only: not active
    login("user-b", "2025-12-31T23:30:00Z"),  # 00:30 on 1 January 2026 in Luxembourg: not in 2025
    _event("training", "user-t", "2025-06-02T10:00:00+02:00", training_id="ai-1", status="completed"),
    _event("training", "user-u", "2026-01-10T10:00:00+01:00", training_id="ai-1", status="passed"),  # 2026
    _event("tool_use", "user-a", "2025-05-05T10:00:00+02:00", tool_id="slides", tool_category="content_creation",
           action="create", feature="export"),
    _event("tool_use", "user-a", "2026-02-05T10:00:00+01:00", tool_id="podcast", tool_category="content_creation",
           action="create"),  # 2026
]
# By hand, 2025 (Europe/Luxembourg days): B2 on 31 Dec = 1 (user-a, 20 Nov is within D-59), peak 1 from 30 Dec;
# MA4 = 1 (user-t); MC4 = 1 (slides, declared in 2025); MP2 = 2 (slides, (slides, export)).
EXPECTED_2025 = {"MA4": ("trained-users", 1), "MC4": ("new-tools", 1), "MP2": ("new-features", 2)}


@pytest.fixture
def loaded(store: Client) -> Client:
    store_records(store, EVENTS_2025)
    declare_tools(store, {"tool_id": "slides", "category": "content_creation", "available_from": "2025-05-05"},
                  {"tool_id": "slides", "feature": "export", "available_from": "2025-05-05"},
                  {"tool_id": "podcast", "category": "content_creation", "available_from": "2026-02-05"})
    return store


def test_the_2025_report_counts_2025_only_with_the_agreement_s_targets(loaded: Client) -> None:
    report = collect_annual_report(store_sources(loaded), year=2025, platforms=TOOLS, manual=None, now=IN_2026)
    page = ReportReader(render_html(report))
    assert page.facts["as-of"] == ("31 December 2025 (the year is over)", "2025-12-31")
    note = page.facts["before-agreement"][0]
    assert "2025 is before the agreement, which starts on 2026-01-01" in note
    assert "the targets shown are the agreement's, which apply from 2026" in note
    assert "Art. 3" in page.text and "first 2026 instalment" in page.text
    contract = page.table("contract")
    assert (contract["B2-year-end"].value("value"), contract["B2-year-end"].value("day")) == ("1", "2025-12-31")
    assert (contract["B2-peak"].value("value"), contract["B2-peak"].value("day")) == ("1", "2025-12-30")
    assert contract["B2-peak"].text_of("target-period") == "calendar year (the agreement's, from 2026)"
    params = KpiParams(start=date(2025, 1, 1), end=date(2025, 12, 31), platforms=TOOLS)
    for kpi, (slug, value) in EXPECTED_2025.items():
        row = contract[kpi]
        assert row.value("value") == str(value), kpi
        assert row.value("period") == "2025-01-01/2025-12-31", kpi
        assert row.text_of("target-period").endswith("(the agreement's, from 2026)"), kpi
        assert row.text_of("command") == (f"skillpulse kpi {slug} --from 2025-01-01 --to 2025-12-31 "
                                          "--platform skilltech.tools")
        assert value in scalar(slug, loaded, params).values(), kpi  # what `skillpulse kpi` answers
    assert contract["MA4"].value("progress") == str(round(100 * 1 / 500, 1))  # against the agreement's 500
    assert "MA4 and MC4 count from 2025-01-01 (the report year: the agreement starts on 2026-01-01)" in page.text
    months = page.table("months")
    assert list(months) == [f"2025-{month:02d}" for month in range(1, 13)]
    assert {m: row.value("logins") for m, row in months.items() if row.value("logins") != "0"} == {
        "2025-11": "1", "2025-12": "2"}  # a: 30 Dec; b: 31 Dec (its 2nd is 2026)


def test_a_2026_report_has_no_before_agreement_note(loaded: Client) -> None:
    now = datetime(2027, 1, 5, tzinfo=UTC)
    page = ReportReader(render_html(collect_annual_report(store_sources(loaded), year=2026, platforms=TOOLS,
                                                          manual=None, now=now)))
    assert "before-agreement" not in page.facts
    assert page.table("contract")["MA4"].text_of("target-period") == "2026-2029"
    assert page.table("contract")["MA4"].value("value") == "1"  # user-u, 2026; user-t's 2025 training is not in it


def test_the_summary_of_a_day_in_2025_counts_from_that_year(loaded: Client) -> None:
    rows = {row["id"]: row for row in contract_summary(loaded, date(2025, 12, 31), TOOLS)["rows"]}
    assert (rows["MA4"]["from"], rows["MA4"]["value"]) == ("2025-01-01", 1)
    assert (rows["MC4"]["from"], rows["MC4"]["value"]) == ("2025-01-01", 1)
    assert rows["B2"]["value"] == 1


def test_a_year_before_the_agreement_without_data_is_refused(loaded: Client) -> None:
    with pytest.raises(ReportError, match="no event of skilltech.tools is stored for 2024"):
        collect_annual_report(store_sources(loaded), year=2024, platforms=TOOLS, manual=None, now=IN_2026)
    with pytest.raises(ReportError, match="1969 is before any year the store can hold"):
        collect_annual_report(store_sources(loaded), year=1969, platforms=TOOLS, manual=None, now=IN_2026)
