"""Gather every figure of the annual report through fetch callables (the running
stack's API or the store, see `sources`), all from the KPI catalogue and the contract
summary: this module computes no KPI, it only picks the period and groups days by month."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from skillpulse.kpi.catalogue import Result, rows_of
from skillpulse.kpi.params import TIMEZONE, KpiParams
from skillpulse.kpi.summary import AGREEMENT_START
from skillpulse.report.errors import ReportError
from skillpulse.report.freshness import Freshness
from skillpulse.report.manual_inputs import ManualFigure, ManualInputs, MeasuredFigure, manual_figures
from skillpulse.report.reproduce import kpi_command


@dataclass(frozen=True)
class ReportSources:
    metric: Callable[[str, KpiParams], Result]  # like `catalogue.compute`, store bound
    summary: Callable[[date, tuple[str, ...]], dict[str, Any]]  # like `contract_summary`
    freshness: Callable[[tuple[str, ...]], Freshness | None]  # None: the source cannot tell


EARLIEST_YEAR = 1970  # ClickHouse's Date type starts on 1 January 1970


@dataclass(frozen=True)
class ReportPeriod:
    start: date
    end: date
    complete: bool  # the year is over, so `end` is 31 December
    has_data: bool  # some event of the platforms falls in the year

    @property
    def before_agreement(self) -> bool:
        """A year before the agreement: same KPIs, the agreement's targets (which apply from its start)."""
        return self.start < AGREEMENT_START

    @property
    def end_note(self) -> str:
        if self.complete:
            return f"31 December {self.end.year} (the year is over)"
        if not self.has_data:
            return f"{self.end.isoformat()}: the year is not over and none of its events is stored yet"
        return f"{self.end.isoformat()}, the last day with data (the year is not over)"


@dataclass(frozen=True)
class MonthFigures:
    month: date  # its first day
    last_day: date  # its last day within the report period
    logins: int
    mau_at_end: int  # MAU on `last_day`


@dataclass(frozen=True)
class AnnualReport:
    year: int
    platforms: tuple[str, ...]
    period: ReportPeriod
    generated_at: datetime
    summary: dict[str, Any]  # `contract_summary` as of period.end
    b2_year: dict[str, Any]  # the `active-users-yearly` row of the year
    b2_series: list[dict[str, Any]]
    months: list[MonthFigures]
    funnel: list[dict[str, Any]]
    freshness: Freshness | None
    manual: list[ManualFigure]
    articles: dict[str, Any]  # the `articles` metric (MV2) over the period
    tools: dict[str, Any] | None = None  # the `tool-catalogue-check` metric (MC4/MP2's catalogue) over the period


def luxembourg_today(now: datetime) -> date:
    return now.astimezone(ZoneInfo(TIMEZONE)).date()


def report_period(sources: ReportSources, year: int, platforms: tuple[str, ...], today: date) -> ReportPeriod:
    start, last = date(year, 1, 1), date(year, 12, 31)
    if year < EARLIEST_YEAR:
        raise ReportError(f"{year} is before any year the store can hold ({EARLIEST_YEAR} or later)")
    if today < start:
        raise ReportError(f"{year} has not started yet (today is {today.isoformat()} in Luxembourg)")
    # A day with data is a day with a DAU: any stored event of the platforms on that day.
    dau = _rows(sources, "dau", KpiParams(start=start, end=min(today, last), platforms=platforms))
    days_with_data = [date.fromisoformat(row["day"]) for row in dau if row["users"]]
    if start < AGREEMENT_START and not days_with_data:
        # Before the agreement a report exists only to show what was measured (Art. 3: the 2025 report).
        raise ReportError(f"no event of {', '.join(platforms)} is stored for {year}: a report for a year before "
                          f"the agreement ({AGREEMENT_START.year}) needs data")
    if today > last:
        return ReportPeriod(start, last, complete=True, has_data=bool(days_with_data))
    return ReportPeriod(start, max(days_with_data, default=start), complete=False, has_data=bool(days_with_data))


def _rows(sources: ReportSources, slug: str, params: KpiParams) -> list[dict[str, Any]]:
    return rows_of(slug, sources.metric(slug, params))


def _months(logins: list[dict[str, Any]], mau: list[dict[str, Any]]) -> list[MonthFigures]:
    mau_by_day = {row["day"]: row["users"] for row in mau}
    totals: dict[date, tuple[date, int]] = {}
    for row in logins:
        day = date.fromisoformat(row["day"])
        month = day.replace(day=1)
        totals[month] = (day, totals.get(month, (day, 0))[1] + row["logins"])  # logins rows come sorted by day
    return [MonthFigures(month, last_day, count, mau_by_day[last_day.isoformat()])
            for month, (last_day, count) in sorted(totals.items())]


def _scalar(sources: ReportSources, slug: str, params: KpiParams) -> dict[str, Any]:
    found = sources.metric(slug, params)
    if not isinstance(found, dict):
        raise TypeError(f"{slug} answers one object")
    return found


def _articles(sources: ReportSources, params: KpiParams) -> dict[str, Any]:
    return _scalar(sources, "articles", params)


def _measured_mv2(articles: dict[str, Any]) -> dict[str, MeasuredFigure]:
    """MV2 from the feed, once a poll stored any article (else nothing was measured: no 0)."""
    if not articles["stored_articles"]:
        return {}
    command = kpi_command("articles", articles["from"], articles["to"], ())
    return {"MV2": MeasuredFigure(articles["articles"], "the blog's feed (skillpulse sources blog)", command)}


def collect_annual_report(sources: ReportSources, *, year: int, platforms: tuple[str, ...],
                          manual: ManualInputs | None, now: datetime | None = None) -> AnnualReport:
    now = now or datetime.now(UTC)
    period = report_period(sources, year, platforms, luxembourg_today(now))
    params = KpiParams(start=period.start, end=period.end, platforms=platforms)
    articles = _articles(sources, params)
    return AnnualReport(
        year=year, platforms=platforms, period=period, generated_at=now.astimezone(UTC),
        summary=sources.summary(period.end, platforms),
        b2_year=_rows(sources, "active-users-yearly", params)[0],  # one row: the range is one year
        b2_series=_rows(sources, "active-users", params),
        months=_months(_rows(sources, "logins", params), _rows(sources, "mau", params)),
        funnel=_rows(sources, "training-funnel", params),
        freshness=sources.freshness(platforms),
        manual=manual_figures(manual, _measured_mv2(articles)),
        articles=articles,
        tools=_scalar(sources, "tool-catalogue-check", params),
    )
