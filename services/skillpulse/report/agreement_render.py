"""The agreement report as one HTML page (Art. 8: « présentation chiffrée des
indicateurs » over 2026–2029): per year and for the whole period, with targets, progress,
the command behind every figure, MV2 per month and the mid-term trajectories. Built from
the yearly report's parts (page, charts, html_parts, definitions)."""

from __future__ import annotations

from skillpulse.kpi.agreement import FINAL_REPORT_DUE
from skillpulse.kpi.catalogue import METRICS
from skillpulse.report import charts
from skillpulse.report.agreement_collect import AgreementReport
from skillpulse.report.agreement_rows import AgreementRow, agreement_rows, month_rows
from skillpulse.report.html_parts import (
    Cell,
    chart,
    command_cell,
    escape,
    figure_cell,
    paragraph,
    progress,
    progress_cell,
    row,
    section,
    table,
)
from skillpulse.report.page import page
from skillpulse.report.render import AGREEMENT, definitions_section, fact, moment_text, reproducibility_section
from skillpulse.report.reproduce import kpi_command
from skillpulse.report.trajectory_section import trajectory_section

_HEADERS = ("Id", "Indicator", "Value", "Target", "Target period", "Measured", "Progress", "Reproduce")


def _header(report: AgreementReport) -> str:
    period, fresh = report.period, report.freshness
    facts = [
        fact("Platforms", ", ".join(report.platforms), "platforms"),
        fact("Period", f"{period.start.isoformat()} … {period.last.isoformat()}", "period",
              f"{period.start.isoformat()}/{period.last.isoformat()}"),
        fact("Figures as of", period.end_note, "as-of", period.end.isoformat()),
        fact("Report generated", moment_text(report.generated_at), "generated-at", report.generated_at.isoformat()),
        fact("Latest insert (stored_at)", moment_text(fresh.latest_stored_at) if fresh else "not available",
              "latest-stored-at", fresh.latest_stored_at.isoformat() if fresh and fresh.latest_stored_at else None),
    ]
    notes = []
    if not period.complete:
        notes.append(paragraph(
            f"The agreement runs until {period.last.isoformat()}: these are figures to date "
            f"({period.end.isoformat()}), not the final ones; the current year's rows stop on that day.",
            class_="warning", data_field="in-progress"))
    if not period.has_data:
        notes.append(paragraph("No event of these platforms is stored for the period: every telemetry figure is 0.",
                               class_="warning", data_field="no-data"))
    purpose = (f"Report on the execution of the {AGREEMENT.removesuffix(', Art. 8')} with the figures of its "
               f"indicators (Art. 8, due by {FINAL_REPORT_DUE.isoformat()}): each year and the whole period. "
               "Telemetry figures only; the Annex 2 indicators telemetry cannot measure are in the yearly reports.")
    return (f"<header><h1>Skilltech Pulse — agreement report {escape(period.name)}</h1>\n" + paragraph(purpose)
            + f'\n<dl class="facts">{"".join(facts)}</dl>' + "".join(notes) + "</header>")


def _figure_row(item: AgreementRow) -> str:
    figure = item.figure
    value = figure.value or 0
    measured = item.end.isoformat() if item.kpi == "B2" and "peak" not in figure.key else \
        f"{item.start.isoformat()} … {item.end.isoformat()}"
    target = figure_cell(item.target, "target") if item.target is not None else Cell("—", "target")
    return row([Cell(item.kpi), Cell(figure.label), figure_cell(value), target, Cell(item.target_period,
                "target-period"), Cell(measured, "period", f"{item.start.isoformat()}/{item.end.isoformat()}"),
                progress_cell(progress(value, item.target)), command_cell(figure.command)], data_kpi=figure.key)


def _figures(report: AgreementReport) -> str:
    rows = agreement_rows(report)
    per_year = [_figure_row(item) for item in rows if not item.figure.key.endswith(f"@{report.period.name}")]
    whole = [_figure_row(item) for item in rows if item.figure.key.endswith(f"@{report.period.name}")]
    note = paragraph(
        "B2 is the number of users active on a day (the target applies to any day): each year's 31 December and "
        "peak, and the period's peak. MA4 over the period counts each trained user once, so it is not the sum of "
        "the years (a user trained in two years counts once); MC4 counts a tool in the year it became new, so "
        "its years add up. MP2's target is 6 in each calendar year.", data_field="figures-note")
    return (section(f"Indicators per year, {report.period.name}", "years",
                    table(_HEADERS, per_year, data_table="years"), note)
            + section(f"The whole period {report.period.name}", "period",
                      table(_HEADERS, whole, data_table="period")))


def _articles(report: AgreementReport) -> str:
    title = f"MV2: articles published on skilltech.cafe per month (target {METRICS['articles'].target:g})"
    months = month_rows(report)
    if not months:
        return section(title, "articles", paragraph(
            "No blog article is stored, so MV2 is not measured: poll the blog with `skillpulse sources blog`.",
            class_="missing", data_field="no-articles"))
    at_target = sum((item.figure.value or 0) >= (item.target or 0) for item in months)
    note = paragraph(f"{at_target} of {len(months)} months at the target, {report.articles['articles']} articles "
                     f"in the period (each once, by its GUID, in the Luxembourg month it was published).",
                     data_field="articles-note")
    return section(title, "articles", note, table(_HEADERS, [_figure_row(item) for item in months],
                                                  data_table="articles"))


def _b2_chart(report: AgreementReport) -> str:
    target = METRICS["active-users"].target or 0
    start, end = report.period.start, report.period.end
    peak = {"peak_day": report.b2_peak["day"], "peak_value": report.b2_peak["active_users"]}
    return section("B2 over the period", "charts", chart(
        charts.b2_chart(report.b2_series, target, peak), f"B2 active users per day, {report.period.name}",
        f"B2 active users per day, {start} … {end}, with the {target:,.0f} target.",
        kpi_command("active-users", start, end, report.platforms), "b2"))


def render_agreement_html(report: AgreementReport) -> str:
    body = "\n".join((_header(report), _figures(report), trajectory_section(report.trajectories, report.period.end),
                      _articles(report), _b2_chart(report), definitions_section(), reproducibility_section()))
    return page(escape(f"Skilltech Pulse — agreement report {report.period.name}"), body)
