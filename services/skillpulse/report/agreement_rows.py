"""The agreement report's figures, one row each: what the table shows and what a snapshot
keeps (`agreement_figures`), built once so the two cannot differ."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from skillpulse.kpi.catalogue import METRICS
from skillpulse.report.agreement_collect import AgreementReport, AgreementYear
from skillpulse.report.figures import ReportFigure
from skillpulse.report.reproduce import kpi_command


@dataclass(frozen=True)
class AgreementRow:
    kpi: str  # the Annex 2 id: B2, MA4, MC4, MP2, MV2
    figure: ReportFigure
    target: float | None  # None: a breakdown the target does not apply to (e.g. MA4 within one year)
    target_period: str
    start: date  # the range measured
    end: date


def _command(slug: str, start: date, end: date, report: AgreementReport) -> str:
    return kpi_command(slug, start, end, () if slug == "articles" else report.platforms)


def _year_rows(report: AgreementReport, year: AgreementYear) -> list[AgreementRow]:
    def one(kpi: str, key: str, label: str, value: int, slug: str, target: float | None, period: str,
            start: date = year.start) -> AgreementRow:
        command = _command(slug, start, year.end, report)
        return AgreementRow(kpi, ReportFigure(key, label, value, command), target, period, start, year.end)

    y, b2, b2_target = year.year, year.b2, METRICS["active-users-yearly"].target
    end_label = (f"B2 on 31 December {y}" if year.complete
                 else f"B2 on {b2['last_day']}, the last day with data ({y} not over)")
    return [
        one("B2", f"B2@{b2['last_day']}", end_label, b2["last_value"], "active-users-yearly", b2_target, "any day"),
        one("B2", f"B2-peak@{y}", f"B2 peak of {y}, first reached on {b2['peak_day']}", b2["peak_value"],
            "active-users-yearly", b2_target, "any day"),
        one("MA4", f"MA4@{y}", f"Users trained in {y}", year.trained, "trained-users", None, f"{y} only"),
        one("MA4", f"MA4-to-date@{y}", f"Users trained {report.period.start.year} … {y} (distinct)",
            year.trained_to_date, "trained-users", METRICS["trained-users"].target, report.period.name,
            start=report.period.start),
        one("MC4", f"MC4@{y}", f"New content-creation tools in {y}", year.new_tools, "new-tools", None,
            f"{y} only"),
        one("MP2", f"MP2@{y}", f"New tools and features in {y}", year.new_features, "new-features",
            METRICS["new-features"].target, f"calendar year {y}"),
    ]


def agreement_rows(report: AgreementReport) -> list[AgreementRow]:
    period, start, end = report.period, report.period.start, report.period.end
    found = [row for year in report.years for row in _year_rows(report, year)]
    whole = [
        ("B2", f"B2-peak@{period.name}", f"B2 peak of {period.name}, first reached on {report.b2_peak['day']}",
         report.b2_peak["active_users"], "active-users"),
        ("MA4", f"MA4@{period.name}", f"Users trained over {period.name} (distinct, not the sum of the years)",
         report.trained, "trained-users"),
        ("MC4", f"MC4@{period.name}", f"New content-creation tools over {period.name}",
         report.new_tools["new_tools"], "new-tools"),
    ]
    for kpi, key, label, value, slug in whole:
        found.append(AgreementRow(kpi, ReportFigure(key, label, value, _command(slug, start, end, report)),
                                  METRICS[slug].target, period.name, start, end))
    return found


def month_rows(report: AgreementReport) -> list[AgreementRow]:
    """MV2 per month against 4 (none while the blog feed stored no article: not measured)."""
    if not report.articles["stored_articles"]:
        return []
    rows = []
    for month in report.articles["months"]:
        first = date.fromisoformat(f"{month['month']}-01")
        end = min(first.replace(day=monthrange(first.year, first.month)[1]), report.period.end)
        figure = ReportFigure(f"MV2@{month['month']}", f"Articles published in {month['month']}", month["articles"],
                              _command("articles", first, end, report))
        rows.append(AgreementRow("MV2", figure, METRICS["articles"].target, "calendar month", first, end))
    return rows


def agreement_figures(report: AgreementReport) -> list[ReportFigure]:
    """Every figure the agreement report states, each with the command that recomputes it."""
    return [row.figure for row in (*agreement_rows(report), *month_rows(report))]
