"""KPI queries over the store."""

from skillpulse.kpi.active_users import ActiveUsersParams, active_users_series

__all__ = ["ActiveUsersParams", "active_users_series"]
