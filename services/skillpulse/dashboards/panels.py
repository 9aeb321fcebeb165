"""Pieces both dashboards share: ClickHouse targets, thresholds, template variables, and
the dashboard → JSON step."""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.builders import table, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dashboard_models

from skillpulse.contract import PLATFORMS
from skillpulse.dashboards.clickhouse_query import DATASOURCE, ClickHouseQueryBuilder, QueryType

REFRESH = "10s"
FOLDER_UID, FOLDER_TITLE = "skillpulse", "Skilltech Pulse"


def target(raw_sql: str, query_type: QueryType = "table", ref_id: str = "A") -> ClickHouseQueryBuilder:
    return ClickHouseQueryBuilder(raw_sql, query_type, ref_id)


def thresholds(*steps: tuple[float | None, str]) -> dashboard_builders.ThresholdsConfig:
    """Absolute thresholds; the first step's value is None (from -infinity)."""
    return (dashboard_builders.ThresholdsConfig().mode(dashboard_models.ThresholdsMode.ABSOLUTE)
            .steps([dashboard_models.Threshold(value, color) for value, color in steps]))


def target_thresholds(target_value: float) -> dashboard_builders.ThresholdsConfig:
    """Red below an agreement target, green from it."""
    return thresholds((None, "red"), (target_value, "green"))


def last_value() -> common_builders.ReduceDataOptions:
    return common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


NO_SPARKLINE = common.BigValueGraphMode.NONE


def time_series(title: str, description: str, span: int, height: int = 9) -> timeseries.Panel:
    """A time series panel on the ClickHouse data source, from 0, all series in the tooltip."""
    return (timeseries.Panel().title(title).description(description).span(span).height(height)
            .datasource(DATASOURCE).min(0)
            .legend(common_builders.VizLegendOptions().show_legend(True).display_mode(common.LegendDisplayMode.LIST)
                    .placement(common.LegendPlacement.BOTTOM))
            .tooltip(common_builders.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI)
                     .sort(common.SortOrder.NONE)))


def table_panel(title: str, description: str, span: int, height: int = 9) -> table.Panel:
    return (table.Panel().title(title).description(description).span(span).height(height)
            .datasource(DATASOURCE).show_header(True))


def platform_variable() -> dashboard_builders.CustomVariable:
    """The contract's platforms; skilltech.tools by default, like the KPI API and the CLI."""
    return (dashboard_builders.CustomVariable("platform").label("Platform").values(",".join(PLATFORMS))
            .multi(True).include_all(True)
            .current(dashboard_models.VariableOption(selected=True, text=[PLATFORMS[0]], value=[PLATFORMS[0]])))


def organisation_variable(options_sql: str) -> dashboard_builders.QueryVariable:
    """One organisation or all. "All" inserts the SQL literal `''`, the KPI queries' "every
    organisation" (a custom all-value is inserted as is, without formatting)."""
    return (dashboard_builders.QueryVariable("organisation").label("Organisation").datasource(DATASOURCE)
            .query(options_sql).include_all(True).all_value("''").multi(False)
            .refresh(dashboard_models.VariableRefresh.ON_DASHBOARD_LOAD)
            .current(dashboard_models.VariableOption(selected=True, text="All", value="$__all")))


def to_json(dashboard: dashboard_builders.Dashboard) -> dict[str, Any]:
    """The dashboard as Grafana stores it, panels numbered in layout order (Grafana needs
    unique panel ids; stable ones keep the committed JSON free of churn)."""
    model: dict[str, Any] = json.loads(json.dumps(dashboard.build(), cls=JSONEncoder))
    for number, panel in enumerate(model["panels"], start=1):
        panel["id"] = number
    model.setdefault("annotations", {}).setdefault("list", [])  # Grafana adds its built-in one to the list
    for variable in model.get("templating", {}).get("list", []):
        variable.pop("id", None)  # the SDK gives every variable the same zero UUID; Grafana keys them by name
    return model
