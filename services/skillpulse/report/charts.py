"""The report's charts as SVG data URIs, so the HTML stays one self-contained file.

Figures are drawn on `matplotlib.figure.Figure` directly (no pyplot, so no GUI backend
and no global figure state); an `<img>` per chart keeps each SVG's element ids apart."""

from __future__ import annotations

import base64
import io
from datetime import date
from typing import Any

from skillpulse.extras import needs_extra
from skillpulse.report.collect import MonthFigures

with needs_extra("report", "`skillpulse report`"):
    import matplotlib
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

matplotlib.use("Agg")  # never a GUI backend, whatever the environment says
# Any: matplotlib types rc keys as one Literal of every parameter name.
_STYLE: dict[Any, Any] = {"svg.fonttype": "none", "svg.hashsalt": "skillpulse-report", "font.size": 9,
          "axes.spines.top": False, "axes.spines.right": False}
_BLUE, _RED, _GREY = "#1f5fa8", "#b03a2e", "#7f8c8d"


def _data_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    # No date in the metadata: the same figures give the same bytes.
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def b2_chart(series: list[dict[str, Any]], target: float, peak: dict[str, Any]) -> str:
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(8, 3.2))
        axes = figure.subplots()
        days: list[Any] = [date.fromisoformat(row["day"]) for row in series]  # matplotlib converts dates
        axes.plot(days, [row["active_users"] for row in series], color=_BLUE, label="B2 active users")
        axes.axhline(target, color=_RED, linestyle="--", label=f"target {target:,.0f}")
        if peak.get("peak_day"):
            axes.annotate(f"peak {peak['peak_value']:,} ({peak['peak_day']})",
                          (date.fromisoformat(peak["peak_day"]), peak["peak_value"]),
                          textcoords="offset points", xytext=(0, 6), ha="center", color=_BLUE)
        axes.set_ylim(bottom=0)
        axes.set_ylabel("users")
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False)  # above: clear of the lines
        figure.autofmt_xdate()
        return _data_uri(figure)


def monthly_chart(months: list[MonthFigures]) -> str:
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(8, 3.2))
        axes = figure.subplots()
        labels = [month.month.strftime("%b") for month in months]
        axes.bar(labels, [month.logins for month in months], color=_BLUE, label="logins in the month")
        axes.set_ylabel("logins")
        mau_axes = axes.twinx()
        mau_axes.spines["right"].set_visible(True)  # the MAU scale needs its own axis line
        mau_axes.plot(labels, [month.mau_at_end for month in months], color=_GREY, marker="o",
                      label="MAU on the month's last day")
        mau_axes.set_ylim(bottom=0)
        mau_axes.set_ylabel("users")
        axes.legend(*_merged_legend(axes, mau_axes), loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False)
        return _data_uri(figure)


def _merged_legend(*all_axes: Axes) -> tuple[list[Any], list[str]]:
    handles: list[Any] = []
    labels: list[str] = []
    for axes in all_axes:
        found = axes.get_legend_handles_labels()
        handles += found[0]
        labels += found[1]
    return handles, labels


def funnel_chart(funnel: list[dict[str, Any]]) -> str:
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(8, 2.6))
        axes = figure.subplots()
        statuses = [row["status"] for row in funnel][::-1]  # enrolled on top
        users = [row["users"] for row in funnel][::-1]
        bars = axes.barh(statuses, users, color=_BLUE)
        axes.bar_label(bars, labels=[f"{count:,}" for count in users], padding=3)
        axes.set_xlabel("distinct users")
        return _data_uri(figure)
