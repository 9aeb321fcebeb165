"""The annual report as one HTML page: the contract table, usage figures, charts, manual
Annex 2 inputs, definitions and how to reproduce every figure. Everything is escaped."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from skillpulse.kpi.catalogue import METRICS
from skillpulse.kpi.params import B2_MIN_LOGINS, B2_WINDOW_DAYS, TIMEZONE
from skillpulse.kpi.summary import AGREEMENT_START
from skillpulse.report import charts
from skillpulse.report.articles_section import articles_section
from skillpulse.report.collect import AnnualReport
from skillpulse.report.html_parts import (
    Cell,
    attributes,
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
from skillpulse.report.manual_sections import manual_section
from skillpulse.report.page import page
from skillpulse.report.reproduce import kpi_command, summary_command
from skillpulse.report.tools_section import tools_section
from skillpulse.report.trajectory_section import summary_trajectories, trajectory_section

AGREEMENT = "agreement State of Luxembourg – LMDDC 2026–2029 (LMDDC GIE/CP2-26-29), Art. 8"
_FIGURE_HEADERS = ("Id", "Indicator", "Value", "Target", "Target period", "Measured", "Progress", "Reproduce")


def moment_text(moment: datetime | None) -> str:
    if moment is None:
        return "none stored"
    local = moment.astimezone(ZoneInfo(TIMEZONE))
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%SZ')} ({local.strftime('%Y-%m-%d %H:%M')} Luxembourg)"


def fact(label: str, text: str, field: str, value: object = None) -> str:
    return f"<dt>{escape(label)}</dt><dd{attributes(data_field=field, data_value=value)}>{escape(text)}</dd>"


def _header(report: AnnualReport) -> str:
    period, fresh = report.period, report.freshness
    facts = [
        fact("Platforms", ", ".join(report.platforms), "platforms"),
        fact("Period", f"{period.start.isoformat()} … {period.end.isoformat()}", "period",
              f"{period.start.isoformat()}/{period.end.isoformat()}"),
        fact("Figures as of", period.end_note, "as-of", period.end.isoformat()),
        fact("Report generated", moment_text(report.generated_at), "generated-at", report.generated_at.isoformat()),
        fact("Contract table computed", str(report.summary.get("computed_at", "")), "computed-at"),
    ]
    if fresh is None:
        facts.append(fact("Data freshness", "not available: the running stack does not serve /v1/freshness",
                           "freshness"))
    else:
        facts += [fact("Latest event (occurred_at)", moment_text(fresh.latest_occurred_at), "latest-occurred-at",
                        fresh.latest_occurred_at.isoformat() if fresh.latest_occurred_at else None),
                  fact("Latest insert (stored_at)", moment_text(fresh.latest_stored_at), "latest-stored-at",
                        fresh.latest_stored_at.isoformat() if fresh.latest_stored_at else None),
                  fact("Events stored (these platforms, all years)", f"{fresh.events:,}", "events", fresh.events)]
    warning = "" if period.has_data else paragraph(
        f"No event of these platforms is stored for {report.year}: every telemetry figure below is 0.",
        class_="warning", data_field="no-data")
    return (f"<header><h1>Skilltech Pulse — annual KPI report {report.year}</h1>\n"
            + paragraph(_purpose(report)) + _before_agreement_note(report)
            + f'\n<dl class="facts">{"".join(facts)}</dl>{warning}</header>')


def _purpose(report: AnnualReport) -> str:
    sources = ("Telemetry figures are computed from stored events; Annex 2 indicators that telemetry cannot "
               "measure are manual inputs, marked MANUAL.")
    if report.period.before_agreement:
        return (f"Key performance indicators of {report.year} for the activity report on which Art. 3 of the "
                f"{AGREEMENT.removesuffix(', Art. 8')} makes the first {AGREEMENT_START.year} instalment "
                f"conditional. {sources}")
    return f"Key performance indicators for the activity report due by 1 May under the {AGREEMENT}. {sources}"


def _before_agreement_note(report: AnnualReport) -> str:
    if not report.period.before_agreement:
        return ""
    return paragraph(
        f"{report.year} is before the agreement, which starts on {AGREEMENT_START.isoformat()}. Every KPI is "
        f"computed exactly as for the agreement's years, over {report.year} only (MA4 and MC4 included); the "
        f"targets shown are the agreement's, which apply from {AGREEMENT_START.year}: for {report.year} they are "
        "a reference, not an obligation.", class_="warning", data_field="before-agreement")


def _target_period_cell(report: AnnualReport, target_period: str | None) -> Cell:
    suffix = f" (the agreement's, from {AGREEMENT_START.year})" if report.period.before_agreement else ""
    return Cell(f"{target_period or ''}{suffix}", "target-period")


def _b2_measured(day: str) -> str:
    window_start = date.fromisoformat(day) - timedelta(days=B2_WINDOW_DAYS - 1)
    return f"{day} (window {window_start.isoformat()} … {day})"


def _b2_rows(report: AnnualReport) -> list[str]:
    yearly, metric = report.b2_year, METRICS["active-users-yearly"]
    command = kpi_command(metric.slug, report.period.start, report.period.end, report.platforms)
    end_label = ("Active users on 31 December" if report.period.complete
                 else f"Active users on {yearly['last_day']}, the last day with data (year not over)")
    rows = []
    for name, label, value, day in (("B2-year-end", end_label, yearly["last_value"], yearly["last_day"]),
                                    ("B2-peak", f"Active users, peak of {report.year} (first day reached)",
                                     yearly["peak_value"], yearly["peak_day"])):
        pct = progress(value, metric.target)
        rows.append(row([Cell("B2"), Cell(label), figure_cell(value), figure_cell(metric.target or 0, "target"),
                         _target_period_cell(report, metric.target_period), Cell(_b2_measured(day), "day", day),
                         progress_cell(pct), command_cell(command)], data_kpi=name))
    return rows


def _summary_rows(report: AnnualReport, *, with_target: bool) -> list[str]:
    rows = []
    for item in report.summary["rows"]:
        if item["id"] == "B2" or (item["target"] is not None) != with_target:
            continue  # B2 has its year-end and peak rows; targets split the two tables
        cells = [Cell(item["id"]), Cell(item["title"]), figure_cell(item["value"])]
        if with_target:
            cells += [figure_cell(item["target"], "target"), _target_period_cell(report, item["target_period"])]
        measured = item["to"] if item["from"] == item["to"] else f"{item['from']} … {item['to']}"
        cells += [Cell(measured, "period", f"{item['from']}/{item['to']}")]
        if with_target:
            cells += [progress_cell(item["progress_pct"])]
        cells += [command_cell(kpi_command(item["metric"], item["from"], item["to"], report.platforms))]
        rows.append(row(cells, data_kpi=item["id"]))
    return rows


def _contract(report: AnnualReport) -> str:
    start = report.period.start.isoformat()
    cumulative_from = (f"{start} (the report year: the agreement starts on {AGREEMENT_START.isoformat()})"
                       if report.period.before_agreement else f"{AGREEMENT_START.isoformat()} (the agreement's start)")
    note = paragraph(f"Progress = value / target. MA4 and MC4 count from {cumulative_from}, MP2 from {start}; "
                     "B2 is the number of users active on the day. "
                     f"The whole table: {summary_command(report.period.end, report.platforms)}")
    return section("Contract KPIs (Annex 2, measured by telemetry)", "contract",
                   table(_FIGURE_HEADERS, _b2_rows(report) + _summary_rows(report, with_target=True),
                         data_table="contract"), note)


def _usage(report: AnnualReport) -> str:
    return section(f"Usage on {report.period.end.isoformat()}", "usage",
                   table(("Id", "Indicator", "Value", "Measured", "Reproduce"),
                         _summary_rows(report, with_target=False), data_table="usage"))


def _charts(report: AnnualReport) -> str:
    start, end, platforms = report.period.start, report.period.end, report.platforms
    target = METRICS["active-users"].target or 0
    b2 = chart(charts.b2_chart(report.b2_series, target, report.b2_year),
               f"B2 active users per day in {report.year} against the target of {target:,.0f}",
               f"B2 active users per day, {start} … {end}, with the {target:,.0f} target.",
               kpi_command("active-users", start, end, platforms), "b2")
    monthly = chart(charts.monthly_chart(report.months), f"Logins per month and MAU in {report.year}",
                    "Logins per month (sum of the daily distinct logins) and MAU on the month's last day.",
                    kpi_command("logins", start, end, platforms), "monthly")
    month_rows = [row([Cell(m.month.strftime("%Y-%m"), "month"), figure_cell(m.logins, "logins"),
                       figure_cell(m.mau_at_end, "mau"), Cell(m.last_day.isoformat(), "mau-day"),
                       command_cell(kpi_command("logins", m.month, m.last_day, platforms)),
                       command_cell(kpi_command("mau", m.last_day, m.last_day, platforms))],
                      data_month=m.month.strftime("%Y-%m")) for m in report.months]
    funnel = chart(charts.funnel_chart(report.funnel), f"Training funnel in {report.year}",
                   f"Training funnel, distinct users per status, {start} … {end}.",
                   kpi_command("training-funnel", start, end, platforms), "funnel")
    funnel_rows = [row([Cell(item["status"], "status"), figure_cell(item["users"], "users")],
                       data_status=item["status"]) for item in report.funnel]
    return section(f"Activity over {report.year}", "charts", b2, monthly,
                   table(("Month", "Logins", "MAU", "MAU on", "Reproduce logins (sum the days)", "Reproduce MAU"),
                         month_rows, data_table="months"),
                   funnel, table(("Training status", "Users"), funnel_rows, data_table="funnel"))


_USED = ("active-users", "active-users-yearly", "trained-users", "new-tools", "new-features", "dau", "mau",
         "stickiness", "logins", "training-funnel", "articles")


def definitions_section() -> str:
    rules = [
        "Days are calendar days in Europe/Luxembourg local time (DST-aware), taken from each event's occurred_at.",
        "A resent event (same event_id) is one event: every count is of distinct event ids or distinct users.",
        (f"B2 (glossary: « Utilisateurs actifs : utilisateurs se connectant plus d'une fois sur une période "
         f"glissante de 60 jours calendaires »): a user is active on day D with at least {B2_MIN_LOGINS} logins "
         f"in the {B2_WINDOW_DAYS} calendar days D-{B2_WINDOW_DAYS - 1} … D; two logins on one day count."),
        "Users are pseudonymous keys: no user id or pseudonym appears in this report, only counts.",
    ]
    items = "".join(f"<li>{escape(rule)}</li>" for rule in rules)
    return section("Definitions", "definitions", f"<ul>{items}</ul>",
                   f"<dl>{''.join(_metric_definition(slug) for slug in _USED)}</dl>")


def _metric_definition(slug: str) -> str:
    metric = METRICS[slug]
    parameters = f"; window_days={B2_WINDOW_DAYS}, min_logins={B2_MIN_LOGINS}" if metric.id.startswith("B2") else ""
    return (f"<dt{attributes(data_definition=metric.id)}>{escape(metric.id)} — {escape(metric.title)} "
            f"(<code>{escape(slug)}</code>)</dt><dd>{escape(metric.definition + parameters)}</dd>")


def reproducibility_section() -> str:
    return section("Reproducing the figures", "reproduce", paragraph(
        "Every telemetry figure names the command that recomputes it from the stored events (run it with the "
        "same --data-dir, or while the same stack runs). Figures are computed when the report is generated: an "
        "event that arrives late changes the days it belongs to, so a later run can differ for past days; the "
        "generation time and the latest stored event above date this report."))


def render_html(report: AnnualReport) -> str:
    [mv2] = [figure for figure in report.manual if figure.indicator.key == "MV2"]
    review = trajectory_section(summary_trajectories(report.summary), report.period.end)
    body = "\n".join((_header(report), _contract(report), review, _usage(report), _charts(report),
                      manual_section(report.manual), articles_section(report.articles, mv2),
                      tools_section(report.tools, report.platforms), definitions_section(),
                      reproducibility_section()))
    return page(escape(f"Skilltech Pulse — annual KPI report {report.year}"), body)
