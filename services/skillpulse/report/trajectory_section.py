"""The reports' mid-term review section (agreement Art. 2: a revision possible by
31 December 2027): each target's trajectory, its method written next to it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from skillpulse.kpi.agreement import AGREEMENT_START, MID_TERM_REVIEW
from skillpulse.kpi.trajectory import Trajectory
from skillpulse.report.html_parts import Cell, figure_cell, paragraph, row, section, table

_HEADERS = ("Id", "Value", "Target", "Deadline", "Needed / month", "Achieved / month", "Projected at deadline",
            "Status", "Method")


def _pace(value: float | None) -> Cell:
    return Cell("—" if value is None else f"{value:.2f}", "pace", None if value is None else round(value, 4),
                css_class="num")


def _row(trajectory: Trajectory) -> str:
    return row([Cell(trajectory.kpi), figure_cell(trajectory.value), figure_cell(trajectory.target, "target"),
                Cell(trajectory.deadline.isoformat(), "deadline"), _pace(trajectory.required_per_month),
                _pace(trajectory.achieved_per_month),
                Cell(f"{trajectory.projection:,.0f}", "projection", round(trajectory.projection, 2), css_class="num"),
                Cell(trajectory.status, "status", trajectory.status), Cell(trajectory.method, "method")],
               data_kpi=trajectory.kpi, data_status=trajectory.status)


def trajectory_section(trajectories: Sequence[Trajectory], as_of: date) -> str:
    title = f"Mid-term review (Art. 2, by {MID_TERM_REVIEW.isoformat()}): is each target on course?"
    if not trajectories:
        return section(title, "trajectory", paragraph(
            f"No trajectory: the agreement's targets apply from {AGREEMENT_START.isoformat()}, after this report's "
            f"last day ({as_of.isoformat()}).", data_field="no-trajectory"))
    note = paragraph(
        f"As of {as_of.isoformat()}. Cumulative KPIs (MA4, MC4 over the agreement; MP2 within its year; MV2 within "
        "its month) are projected linearly from their period's start; B2, a number of users active on a day, "
        "along its trailing trend. Needed = what is missing divided by the months left. Status: reached (the "
        "value meets the target; for B2, a level that can fall back, only on its deadline), on course (the "
        "projection does), at risk (it does not), missed (the deadline passed). A projection is arithmetic on "
        "past figures, not a forecast.", data_field="trajectory-note")
    return section(title, "trajectory", note,
                   table(_HEADERS, [_row(trajectory) for trajectory in trajectories], data_table="trajectory"))


def summary_trajectories(summary: dict[str, Any]) -> list[Trajectory]:
    """The trajectories a contract summary's rows carry (none from a stack that predates them)."""
    return [Trajectory.from_json(row["trajectory"]) for row in summary["rows"] if row.get("trajectory")]
