"""The agreement report (Art. 8, 2026–2029) on a period in progress: hand counts on stored
events, equal to `skillpulse kpi` over the same ranges; MA4 distinct across years."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.config import Settings
from skillpulse.kpi.catalogue import compute, scalar
from skillpulse.kpi.params import KpiParams
from skillpulse.kpi.summary import contract_summary
from skillpulse.kpi.trajectory import DailyValue, linear_trajectory, trend_trajectory
from skillpulse.report.agreement_collect import collect_agreement_report
from skillpulse.report.agreement_render import render_agreement_html
from skillpulse.report.agreement_rows import agreement_figures
from skillpulse.report.agreement_snapshot import recompute_agreement
from skillpulse.report.agreement_write import write_agreement_report
from skillpulse.report.errors import ReportError
from skillpulse.report.snapshot import file_sha256, snapshot_id_in
from skillpulse.report.snapshot_store import lookup
from skillpulse.report.sources import store_sources
from tests.factories import login, record_json, store_records
from tests.report.dataset import TOOLS, user_key
from tests.report.reading import ReportReader

NOW = datetime(2027, 7, 1, 10, tzinfo=UTC)  # the agreement runs: figures to date
LAST_DAY = date(2027, 6, 20)  # the last day with any event


def _event(kind: str, user: str, when: str, **fields: Any) -> bytes:
    return record_json(kind, user_key=user_key(user), occurred_at=when, event_id=str(uuid.uuid4()), **fields)


def _trained(user: str, when: str, status: str = "completed") -> bytes:
    return _event("training", user, when, training_id=f"course-{when[:4]}", status=status)


EVENTS = [
    login("user-a", "2026-12-01T10:00:00+01:00"), login("user-a", "2026-12-31T10:00:00+01:00"),  # 31 Dec … 29 Jan
    login("user-b", "2026-12-20T10:00:00+01:00"), login("user-b", "2027-01-05T10:00:00+01:00"),  # 5 Jan … 17 Feb
    login("user-c", "2027-03-01T09:00:00+01:00"), login("user-c", "2027-03-01T17:00:00+01:00"),  # 1 Mar … 29 Apr
    login("user-d", "2027-06-10T10:00:00+02:00"), login("user-d", "2027-06-20T10:00:00+02:00"),  # 20 Jun …
    _trained("user-t1", "2026-03-10T10:00:00+01:00"), _trained("user-t1", "2027-02-10T10:00:00+01:00"),  # both years
    _trained("user-t2", "2026-05-01T10:00:00+02:00", "passed"),
    _trained("user-t3", "2027-04-01T10:00:00+02:00"), _trained("user-t4", "2027-04-02T10:00:00+02:00", "failed"),
    _event("tool_use", "user-a", "2026-02-05T10:00:00+01:00", tool_id="slides", tool_category="content_creation",
           action="create", feature="export"),
    _event("tool_use", "user-a", "2027-03-05T10:00:00+01:00", tool_id="podcast", tool_category="content_creation",
           action="create"),
]
# By hand (Europe/Luxembourg days): B2 on 31 Dec 2026 = 1 (a), peak of 2026 = 1 on 31 Dec; 2027 to 20 June: peak
# 2 (a and b) on 5 January, 1 (d) on 20 June; the period's peak 2 on 2027-01-05.
# MA4: 2026 = 2 (t1, t2), 2027 = 2 (t1, t3): the years sum to 4, the period counts 3 distinct users.
B2_ROWS = {"B2@2026-12-31": 1, "B2-peak@2026": 1, "B2@2027-06-20": 1, "B2-peak@2027": 2, "B2-peak@2026-2029": 2}
MA4_ROWS = {"MA4@2026": 2, "MA4@2027": 2, "MA4-to-date@2026": 2, "MA4-to-date@2027": 3, "MA4@2026-2029": 3}


@pytest.fixture
def loaded(store: Client) -> Client:
    store_records(store, EVENTS)
    return store


def _kpi(store: Client, slug: str, start: date, end: date) -> Any:
    return compute(slug, store, KpiParams(start=start, end=end, platforms=TOOLS))


def test_the_agreement_report_to_date_equals_hand_counts_and_the_kpis(loaded: Client) -> None:
    report = collect_agreement_report(store_sources(loaded), name="2026-2029", platforms=TOOLS, now=NOW)
    assert (report.period.end, report.period.complete) == (LAST_DAY, False)
    figures = {figure.key: figure for figure in agreement_figures(report)}
    assert {key: figures[key].value for key in B2_ROWS} == B2_ROWS
    assert {key: figures[key].value for key in MA4_ROWS} == MA4_ROWS
    assert report.b2_peak == {"day": "2027-01-05", "active_users": 2}
    assert sum(figures[f"MA4@{year}"].value or 0 for year in (2026, 2027)) == 4 != report.trained
    # Each figure equals `skillpulse kpi` for the range its command names.
    assert figures["MA4@2026-2029"].command == ("skillpulse kpi trained-users --from 2026-01-01 --to 2027-06-20 "
                                                "--platform skilltech.tools")
    assert scalar("trained-users", loaded, KpiParams(start=date(2026, 1, 1), end=LAST_DAY))["trained_users"] == 3
    year_2027 = _kpi(loaded, "active-users-yearly", date(2027, 1, 1), LAST_DAY)[0]
    assert (year_2027["peak_value"], year_2027["peak_day"], year_2027["last_value"]) == (2, "2027-01-05", 1)
    for year, end in ((2026, date(2026, 12, 31)), (2027, LAST_DAY)):
        start = date(year, 1, 1)
        assert figures[f"MC4@{year}"].value == _kpi(loaded, "new-tools", start, end)["new_tools"]
        assert figures[f"MP2@{year}"].value == _kpi(loaded, "new-features", start, end)["new_features"]
    assert figures["MC4@2026-2029"].value == _kpi(loaded, "new-tools", date(2026, 1, 1), LAST_DAY)["new_tools"]
    assert figures["MC4@2026-2029"].value == figures["MC4@2026"].value + figures["MC4@2027"].value  # type: ignore[operator]
    assert not any(key.startswith("MV2") for key in figures)  # no blog article stored: MV2 not measured


def test_trajectories_are_the_summary_s_and_known_by_hand(loaded: Client) -> None:
    report = collect_agreement_report(store_sources(loaded), name="2026-2029", platforms=TOOLS, now=NOW)
    found = {trajectory.kpi: trajectory for trajectory in report.trajectories}
    # MA4: 3 users in the 536 days 2026-01-01 … 2027-06-20, linear to 1461 days.
    assert found["MA4"] == linear_trajectory("MA4", target=500, start=date(2026, 1, 1), deadline=date(2029, 12, 31),
                                             as_of=LAST_DAY, value=3)
    assert found["MA4"].projection == pytest.approx(3 * 1461 / 536) and found["MA4"].status == "at risk"
    series = _kpi(loaded, "active-users", date(2027, 3, 23), LAST_DAY)  # the 90 days ending on 20 June
    assert found["B2"] == trend_trajectory("B2", target=1600, start=date(2026, 1, 1), deadline=date(2029, 12, 31),
                                           series=[DailyValue(date.fromisoformat(r["day"]), r["active_users"])
                                                   for r in series])
    assert found["MP2"].deadline == date(2027, 12, 31) and set(found) == {"B2", "MA4", "MC4", "MP2"}
    summary = {row["id"]: row["trajectory"] for row in contract_summary(loaded, LAST_DAY, TOOLS)["rows"]}
    for kpi, trajectory in found.items():
        assert summary[kpi] == trajectory.as_json()


def test_the_page_shows_figures_to_date_and_the_mid_term_review(loaded: Client) -> None:
    report = collect_agreement_report(store_sources(loaded), name="2026-2029", platforms=TOOLS, now=NOW)
    page = ReportReader(render_agreement_html(report))
    assert page.facts["as-of"][1] == "2027-06-20" and "figures to date" in page.facts["in-progress"][0]
    years, period = page.table("years"), page.table("period")
    assert years["MA4@2027"].value("value") == "2" and years["MA4-to-date@2027"].value("progress") == "0.6"
    assert period["MA4@2026-2029"].value("value") == "3" and period["MA4@2026-2029"].value("target") == "500"
    assert years["MP2@2027"].value("target") == "6"
    assert period["B2-peak@2026-2029"].text_of("command").startswith("skillpulse kpi active-users --from 2026-01-01")
    review = page.table("trajectory")
    assert review["MA4"].attrs["data-status"] == "at risk" and "linear from 2026-01-01" in review["MA4"].text_of(
        "method")
    assert "trailing trend" in review["B2"].text_of("method")
    assert "no-articles" in page.facts


def test_an_unknown_agreement_or_one_not_started_is_refused(loaded: Client) -> None:
    with pytest.raises(ReportError, match="unknown agreement period"):
        collect_agreement_report(store_sources(loaded), name="2030-2033", platforms=TOOLS, now=NOW)
    with pytest.raises(ReportError, match="starts on 2026-01-01"):
        collect_agreement_report(store_sources(loaded), name="2026-2029", platforms=TOOLS,
                                 now=datetime(2025, 6, 1, tzinfo=UTC))


def test_the_yearly_report_has_the_mid_term_review_of_its_last_day(loaded: Client) -> None:
    from skillpulse.report.collect import collect_annual_report
    from skillpulse.report.render import render_html

    yearly = collect_annual_report(store_sources(loaded), year=2027, platforms=TOOLS, manual=None, now=NOW)
    review = ReportReader(render_html(yearly)).table("trajectory")
    agreement = collect_agreement_report(store_sources(loaded), name="2026-2029", platforms=TOOLS, now=NOW)
    assert {kpi: row.attrs["data-status"] for kpi, row in review.items()} == {
        trajectory.kpi: trajectory.status for trajectory in agreement.trajectories}
    assert review["MA4"].value("projection") == str(round(3 * 1461 / 536, 2))
    before = collect_annual_report(store_sources(loaded), year=2026, platforms=TOOLS, manual=None, now=NOW)
    assert ReportReader(render_html(before)).table("trajectory")["MP2"].value("deadline") is None  # text only
    assert ReportReader(render_html(before)).table("trajectory")["MP2"].text_of("deadline") == "2026-12-31"


def test_the_written_report_keeps_its_snapshot_and_a_late_event_changes_ma4(loaded: Client, settings: Settings,
                                                                           tmp_path: Path) -> None:
    out = tmp_path / "agreement.html"
    made = write_agreement_report(settings, name="2026-2029", platforms=TOOLS, out=out, now=NOW,
                                  sources=store_sources(loaded))
    found = lookup(loaded, file_sha256(out), snapshot_id_in(out)).snapshot
    assert found is not None and found.kind == "agreement" and found.parameters["to"] == "2027-06-20"
    assert found.figures == agreement_figures(made)
    assert recompute_agreement(store_sources(loaded), found) == found.figures  # an untouched store: the same
    store_records(loaded, [_trained("user-t5", "2026-09-01T10:00:00+02:00")])  # late: a 2026 training
    now = {figure.key: figure.value for figure in recompute_agreement(store_sources(loaded), found)}
    before = {figure.key: figure.value for figure in found.figures}
    assert {key for key in now if now[key] != before[key]} == {
        "MA4@2026", "MA4-to-date@2026", "MA4-to-date@2027", "MA4@2026-2029"}
    assert (before["MA4@2026-2029"], now["MA4@2026-2029"]) == (3, 4)


def test_mv2_per_month_and_its_month_s_trajectory(loaded: Client) -> None:
    from skillpulse.sources.blog import Article
    from skillpulse.sources.blog_store import ArticleBatch, record_articles

    # By hand: 4 in May 2027 (at target), 1 in June to the 20th (the 18th's article listed twice), 1 in 2025 (outside).
    days = [date(2027, 5, d) for d in (3, 10, 17, 24)] + [date(2027, 6, 18), date(2025, 12, 1)]
    articles = [Article(guid=f"https://skilltech.cafe/?p={i}", published_at=datetime(d.year, d.month, d.day, 9,
                                                                                     tzinfo=UTC))
                for i, d in enumerate(days)]
    record_articles(loaded, ArticleBatch(articles=[*articles, articles[4]]))
    report = collect_agreement_report(store_sources(loaded), name="2026-2029", platforms=TOOLS, now=NOW)
    figures = {figure.key: figure for figure in agreement_figures(report)}
    months = {key: figure.value for key, figure in figures.items() if key.startswith("MV2@")}
    assert len(months) == 18 and months["MV2@2027-05"] == 4 and months["MV2@2027-06"] == 1
    assert sum(value or 0 for value in months.values()) == 5
    assert figures["MV2@2027-06"].command == "skillpulse kpi articles --from 2027-06-01 --to 2027-06-20"
    [mv2] = [t for t in report.trajectories if t.kpi == "MV2"]  # June: 1 in 20 of 30 days → 1.5 < 4
    assert (mv2.deadline, mv2.projection, mv2.status) == (date(2027, 6, 30), pytest.approx(1.5), "at risk")
    page = ReportReader(render_agreement_html(report))
    assert page.table("articles")["MV2@2027-05"].value("progress") == "100.0"
    assert "1 of 18 months at the target" in page.facts["articles-note"][0]
