"""KPIs: one catalogue (`catalogue.METRICS`) read by the CLI, the HTTP API and the reports."""

from skillpulse.kpi.active_users import ActiveUsersParams, active_users_series, rolling_series
from skillpulse.kpi.params import KpiParams

__all__ = ["ActiveUsersParams", "KpiParams", "active_users_series", "rolling_series"]
