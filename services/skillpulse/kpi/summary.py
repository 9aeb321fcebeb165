"""The contract table: each agreement KPI as of a day, with its target and progress."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from skillpulse.kpi.agreement import AGREEMENT_START as AGREEMENT_START  # re-exported: the reports read it here
from skillpulse.kpi.agreement import agreement_trajectories
from skillpulse.kpi.catalogue import METRICS, compute, rows, scalar
from skillpulse.kpi.params import KpiParams

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def _period(metric_slug: str, as_of: date) -> date:
    """The first day a KPI counts from: its calendar year, or the agreement's start (a day
    before it, as in the 2025 report, counts from its own year: there is no earlier period)."""
    period = METRICS[metric_slug].target_period
    year_start = date(as_of.year, 1, 1)
    return year_start if period == "calendar year" or as_of < AGREEMENT_START else AGREEMENT_START


def contract_summary(store: Client, as_of: date, platforms: tuple[str, ...] = ("skilltech.tools",)) -> dict[str, Any]:
    day = KpiParams(start=as_of, end=as_of, platforms=platforms)
    table: list[dict[str, Any]] = []

    def add(slug: str, value: float, start: date) -> None:
        metric = METRICS[slug]
        progress = round(100 * value / metric.target, 1) if metric.target else None
        table.append({"id": metric.id, "metric": slug, "title": metric.title, "value": value,
                      "target": metric.target, "target_period": metric.target_period,
                      "progress_pct": progress, "from": start.isoformat(), "to": as_of.isoformat()})

    add("active-users", rows("active-users", store, day)[0]["active_users"], as_of)
    for slug, field in (("trained-users", "trained_users"), ("new-tools", "new_tools"),
                        ("new-features", "new_features")):
        start = _period(slug, as_of)
        add(slug, scalar(slug, store, day.model_copy(update={"start": start}))[field], start)
    sticky = rows("stickiness", store, day)[0]
    add("dau", sticky["dau"], as_of)
    add("mau", sticky["mau"], as_of)
    add("stickiness", sticky["stickiness"], as_of)
    # Each targeted row carries its trajectory (none before the agreement): same fetch, same figures.
    trajectories = {t.kpi: t.as_json() for t in agreement_trajectories(
        lambda slug, params: compute(slug, store, params), as_of, platforms)}
    for item in table:
        item["trajectory"] = trajectories.get(item["id"]) if item["target"] is not None else None
    return {"as_of": as_of.isoformat(), "platforms": list(platforms),
            "computed_at": datetime.now(UTC).isoformat(timespec="seconds"), "rows": table}


def format_summary(summary: dict[str, Any]) -> str:
    lines = [(f"KPIs as of {summary['as_of']} ({', '.join(summary['platforms'])}; Europe/Luxembourg days; "
              f"computed {summary['computed_at']})"),
             f"{'id':<11}{'indicator':<42}{'value':>9}{'target':>8}{'progress':>10}  period"]
    for row in summary["rows"]:
        target = f"{row['target']:g}" if row["target"] else ""
        progress = f"{row['progress_pct']:.0f} %" if row["progress_pct"] is not None else ""
        value = f"{row['value']:g}" if isinstance(row["value"], float) else str(row["value"])
        lines.append(f"{row['id']:<11}{row['title']:<42}{value:>9}{target:>8}{progress:>10}  "
                     f"{row['from']} … {row['to']}")
    trajectories = [_trajectory_line(row["id"], row["trajectory"]) for row in summary["rows"] if row.get("trajectory")]
    if trajectories:
        lines += ["", "Trajectory to each deadline (status, projection, pace; method)", *trajectories]
    return "\n".join(lines)


def _trajectory_line(kpi: str, trajectory: dict[str, Any]) -> str:
    required = trajectory["required_per_month"]
    pace = (f"needs {required:.3g}/month, achieved {trajectory['achieved_per_month']:.3g}/month"
            if required is not None else "deadline passed")
    return (f"{kpi:<11}{trajectory['status'].upper():<10} projected {trajectory['projection']:.0f} of "
            f"{trajectory['target']:g} by {trajectory['deadline']}; {pace} ({trajectory['method']})")
