"""The embedded KPI board: one live page of the contract KPIs and pipeline health, for
machines where Grafana does not run. It reads the same JSON APIs as everyone else
(`/v1/kpi/summary`, `/v1/kpi/<metric>`, `/v1/health/pipeline`): no KPI SQL of its own.
The page is served by `skillpulse.api.board`."""
