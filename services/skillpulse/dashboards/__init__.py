"""Grafana dashboards as code: built with grafana-foundation-sdk from the KPI catalogue's
and the pipeline-health SQL, written to `dashboards/*.json` (provisioned by compose) and
pushed to any Grafana by `skillpulse dashboards push`."""

from skillpulse.dashboards.generate import DASHBOARDS, dashboard_json, write_dashboards

__all__ = ["DASHBOARDS", "dashboard_json", "write_dashboards"]
