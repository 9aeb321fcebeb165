"""KPIs: one catalogue (`catalogue.METRICS`) read by the CLI, the HTTP API and the reports."""

from skillpulse.kpi.active_users import active_users_series, rolling_series
from skillpulse.kpi.params import KpiParams

__all__ = ["KpiParams", "active_users_series", "rolling_series"]
