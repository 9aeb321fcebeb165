"""Gather the figures of the agreement report (Art. 8: the whole of 2026–2029 by 1 May
2030) through the same fetch callables as the annual report (`ReportSources`). Like
`collect`, it computes no KPI: each figure is one catalogue metric over one range, so each
has one `skillpulse kpi …` command, and MA4 over the period is one distinct count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from skillpulse.kpi.agreement import AGREEMENT_END, AGREEMENT_START, agreement_trajectories
from skillpulse.kpi.params import KpiParams
from skillpulse.kpi.trajectory import Trajectory
from skillpulse.report.collect import ReportSources, luxembourg_today
from skillpulse.report.errors import ReportError
from skillpulse.report.freshness import Freshness

AGREEMENTS = {"2026-2029": (AGREEMENT_START, AGREEMENT_END)}  # the one agreement this system measures


@dataclass(frozen=True)
class AgreementPeriod:
    name: str  # "2026-2029"
    start: date
    last: date  # the agreement's last day
    end: date  # the figures' last day: `last`, or the last day with data while the period runs
    complete: bool  # the agreement is over
    has_data: bool

    @property
    def end_note(self) -> str:
        if self.complete:
            return f"{self.last.isoformat()} (the agreement is over)"
        if not self.has_data:
            return f"{self.end.isoformat()}: the agreement runs and none of its events is stored yet (figures to date)"
        return f"{self.end.isoformat()}, the last day with data: the agreement runs, these are figures to date"


@dataclass(frozen=True)
class AgreementYear:
    year: int
    start: date
    end: date  # 31 December, or the period's end in its last year so far
    complete: bool
    b2: dict[str, Any]  # the `active-users-yearly` row: last_day/last_value, peak_day/peak_value
    trained: int  # MA4 within the year
    trained_to_date: int  # MA4 distinct from the agreement's start to `end`
    new_tools: int  # MC4 within the year
    new_features: int  # MP2 within the year (target 6 each year)


@dataclass(frozen=True)
class AgreementReport:
    period: AgreementPeriod
    platforms: tuple[str, ...]
    generated_at: datetime
    years: list[AgreementYear]
    b2_series: list[dict[str, Any]]  # daily over the period
    b2_peak: dict[str, Any]  # {"day", "active_users"}: the period's peak, first day reached
    trained: int  # MA4 over the whole period: distinct users, not the sum of the years
    new_tools: dict[str, Any]  # the `new-tools` metric over the period
    articles: dict[str, Any]  # the `articles` metric (MV2) over the period
    trajectories: list[Trajectory]
    freshness: Freshness | None


def _rows(sources: ReportSources, slug: str, params: KpiParams) -> list[dict[str, Any]]:
    found = sources.metric(slug, params)
    if not isinstance(found, list):
        raise TypeError(f"{slug} answers rows")
    return found


def _scalar(sources: ReportSources, slug: str, params: KpiParams) -> dict[str, Any]:
    found = sources.metric(slug, params)
    if not isinstance(found, dict):
        raise TypeError(f"{slug} answers one object")
    return found


def agreement_period(sources: ReportSources, name: str, platforms: tuple[str, ...], today: date) -> AgreementPeriod:
    if name not in AGREEMENTS:
        raise ReportError(f"unknown agreement period; known: {', '.join(AGREEMENTS)}")
    start, last = AGREEMENTS[name]
    if today < start:
        raise ReportError(f"the agreement starts on {start.isoformat()} (today is {today.isoformat()} in Luxembourg)")
    dau = _rows(sources, "dau", KpiParams(start=start, end=min(today, last), platforms=platforms))
    with_data = [date.fromisoformat(row["day"]) for row in dau if row["users"]]
    if today > last:
        return AgreementPeriod(name, start, last, last, complete=True, has_data=bool(with_data))
    return AgreementPeriod(name, start, last, max(with_data, default=start), complete=False,
                           has_data=bool(with_data))


def _year(sources: ReportSources, period: AgreementPeriod, b2: dict[str, Any],
          platforms: tuple[str, ...]) -> AgreementYear:
    year = int(b2["year"])
    within = KpiParams(start=max(date(year, 1, 1), period.start), end=date.fromisoformat(b2["last_day"]),
                       platforms=platforms)
    to_date = within.model_copy(update={"start": period.start})
    return AgreementYear(
        year=year, start=within.start, end=within.end, complete=within.end == date(year, 12, 31), b2=b2,
        trained=_scalar(sources, "trained-users", within)["trained_users"],
        trained_to_date=_scalar(sources, "trained-users", to_date)["trained_users"],
        new_tools=_scalar(sources, "new-tools", within)["new_tools"],
        new_features=_scalar(sources, "new-features", within)["new_features"])


def collect_agreement_report(sources: ReportSources, *, name: str, platforms: tuple[str, ...],
                             now: datetime | None = None) -> AgreementReport:
    now = now or datetime.now(UTC)
    period = agreement_period(sources, name, platforms, luxembourg_today(now))
    whole = KpiParams(start=period.start, end=period.end, platforms=platforms)
    series = _rows(sources, "active-users", whole)
    peak = max(series, key=lambda row: row["active_users"])  # max() keeps the earliest of equal peaks
    return AgreementReport(
        period=period, platforms=platforms, generated_at=now.astimezone(UTC),
        years=[_year(sources, period, b2, platforms) for b2 in _rows(sources, "active-users-yearly", whole)],
        b2_series=series, b2_peak={"day": peak["day"], "active_users": peak["active_users"]},
        trained=_scalar(sources, "trained-users", whole)["trained_users"],
        new_tools=_scalar(sources, "new-tools", whole),
        articles=_scalar(sources, "articles", whole),
        trajectories=agreement_trajectories(sources.metric, period.end, platforms),
        freshness=sources.freshness(platforms))
