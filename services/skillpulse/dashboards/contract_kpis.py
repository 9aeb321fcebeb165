"""Contract KPIs, for managers: the agreement's indicators against their targets, and the
usage behind them. Every panel's SQL is the catalogue's, rendered by `dashboards.sql`."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.builders import bargauge, gauge, piechart, stat, table, timeseries
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dashboard_models
from grafana_foundation_sdk.models.piechart import PieChartType

from skillpulse.dashboards import sql
from skillpulse.dashboards.clickhouse_query import DATASOURCE
from skillpulse.dashboards.panels import (
    NO_SPARKLINE,
    REFRESH,
    last_value,
    organisation_variable,
    platform_variable,
    table_panel,
    target,
    target_thresholds,
    thresholds,
    time_series,
    to_json,
)
from skillpulse.kpi.catalogue import METRICS
from skillpulse.kpi.summary import AGREEMENT_START

UID = "skillpulse-contract-kpis"
TITLE = "Skilltech Pulse: contract KPIs"
_DAYS = "Europe/Luxembourg calendar days of the dashboard's range"


def _target(slug: str) -> float:
    target_value = METRICS[slug].target
    assert target_value is not None, slug
    return target_value


def _describe(slug: str, extra: str = "") -> str:
    metric = METRICS[slug]
    return f"{metric.id}: {metric.definition}.{' ' + extra if extra else ''}"


def _b2_now() -> stat.Panel:
    return (stat.Panel().title(f"B2 now vs {_target('active-users'):,.0f}").span(6).height(6)
            .description(_describe("active-users", "On the range's last day."))
            .datasource(DATASOURCE).with_target(target(sql.B2_NOW)).unit("short").min(0)
            .thresholds(target_thresholds(_target("active-users"))).reduce_options(last_value())
            .graph_mode(NO_SPARKLINE))


def _ma4() -> gauge.Panel:
    title = f"MA4 trained users since {AGREEMENT_START.year} vs {_target('trained-users'):,.0f}"
    return (gauge.Panel().title(title).span(6).height(6)
            .description(_describe("trained-users", "Counted from the agreement's start to the range's last day."))
            .datasource(DATASOURCE).with_target(target(sql.MA4_SINCE_AGREEMENT_START)).unit("short")
            .min(0).max(_target("trained-users")).thresholds(target_thresholds(_target("trained-users")))
            .reduce_options(last_value()))


def _mc4_mp2() -> table.Panel:
    mp2_title = f"MP2 new tools and features (target {_target('new-features'):g} a year)"
    mc4_title = f"MC4 new content tools (target {_target('new-tools'):g} over {METRICS['new-tools'].target_period})"
    mp2 = [dashboard_models.DynamicConfigValue("thresholds", target_thresholds(_target("new-features")).build()),
           dashboard_models.DynamicConfigValue("custom.cellOptions", {"type": "color-background"}),
           dashboard_models.DynamicConfigValue("displayName", mp2_title)]
    mc4 = [dashboard_models.DynamicConfigValue("displayName", mc4_title)]
    return (table_panel("MC4 and MP2 per agreement year",
                        f"{_describe('new-tools')} {_describe('new-features')} Each year clipped to the range; "
                        "counted from the tool catalogue (`skillpulse tools`), so filtered by neither platform nor "
                        "organisation.", span=12, height=6)
            .with_target(target(sql.MC4_MP2_PER_YEAR))
            .override_by_name("mp2_new_features", mp2).override_by_name("mc4_new_content_tools", mc4))


def _trajectories() -> table.Panel:
    return table_panel("Trajectory to each deadline (mid-term review, Art. 2)",
                       "As of the range's last day, as `skillpulse kpi summary` gives it: B2, MA4 and MC4 to "
                       "2029-12-31, MP2 to the end of that day's year. Cumulative KPIs are projected linearly from "
                       "their period's start (value × days of the period / days elapsed); B2 along the "
                       "least-squares slope of its last 90 days. Status: reached, on course (the projection meets "
                       "the target), at risk, missed (deadline passed).", span=24, height=6).with_target(
        target(sql.TRAJECTORIES))


def _b2_series() -> timeseries.Panel:
    return (time_series(f"B2 daily series (target line {_target('active-users'):,.0f})",
                        _describe("active-users", f"One point per day: {_DAYS}."), span=24)
            .with_target(target(sql.B2_SERIES, "timeseries")).unit("short")
            .thresholds(thresholds((None, "transparent"), (_target("active-users"), "red")))
            .thresholds_style(common_builders.GraphThresholdsStyleConfig().mode(common.GraphTresholdsStyleMode.LINE)))


def _active_users() -> timeseries.Panel:
    return (time_series("DAU, WAU, MAU", "Distinct users with any event on the day, in the 7 and in the 30 days "
                        "ending each day.", span=12).unit("short")
            .with_target(target(sql.DAU, "timeseries", "DAU")).with_target(target(sql.WAU, "timeseries", "WAU"))
            .with_target(target(sql.MAU, "timeseries", "MAU")))


def _stickiness() -> timeseries.Panel:
    return (time_series("Stickiness (DAU / MAU)", _describe("stickiness"), span=12)
            .with_target(target(sql.STICKINESS, "timeseries")).unit("percentunit").max(1))


def _tool_usage() -> table.Panel:
    return table_panel("Tool usage by tool and category", _describe("tool-usage"), span=12).with_target(
        target(sql.TOOL_USAGE))


def _uses_by_category() -> piechart.Panel:
    return (piechart.Panel().title("Tool uses by category").span(6).height(9)
            .description("Distinct tool_use events per category in the range.").datasource(DATASOURCE)
            .with_target(target(sql.TOOL_USES_BY_CATEGORY)).pie_type(PieChartType.DONUT)
            .reduce_options(common_builders.ReduceDataOptions().values(True).calcs([]).fields("/^uses$/")))


def _training_funnel() -> bargauge.Panel:
    # The catalogue's funnel is one row of unnamed counts, in TRAINING_STATUSES order;
    # their generated names end with the quoted status: keep just the status.
    rename = dashboard_models.DataTransformerConfig(id_val="renameByRegex",
                                                    options={"regex": ".*'(\\w+)'.*", "renamePattern": "$1"})
    return (bargauge.Panel().title("Training funnel").span(6).height(9)
            .description(_describe("training-funnel")).datasource(DATASOURCE)
            .with_target(target(sql.TRAINING_FUNNEL)).with_transformation(rename).unit("short").min(0)
            .orientation(common.VizOrientation.HORIZONTAL).reduce_options(last_value()))


def contract_kpis() -> dict[str, Any]:
    dashboard = (dashboard_builders.Dashboard(TITLE).uid(UID).tags(["skillpulse", "kpi"]).refresh(REFRESH)
                 .time("now-90d", "now").timezone("Europe/Luxembourg").editable()
                 .description("The 2026–2029 agreement's indicators (KPI catalogue, services/skillpulse/kpi) "
                              f"over {_DAYS}.")
                 .with_variable(platform_variable()).with_variable(organisation_variable(sql.ORGANISATIONS))
                 .with_row(dashboard_builders.Row("Agreement targets"))
                 .with_panel(_b2_now()).with_panel(_ma4()).with_panel(_mc4_mp2()).with_panel(_trajectories())
                 .with_row(dashboard_builders.Row("Active users"))
                 .with_panel(_b2_series()).with_panel(_active_users()).with_panel(_stickiness())
                 .with_row(dashboard_builders.Row("Tools and training"))
                 .with_panel(_tool_usage()).with_panel(_uses_by_category()).with_panel(_training_funnel()))
    return to_json(dashboard)
