"""The figures of a run: JSON, a PNG plot, and the thresholds checked against them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skillpulse.extras import needs_extra
from skillpulse.loadtest.probes import LagSample

# At import, so a missing plotter fails before the load runs, not after. Drawn on a
# Figure (no pyplot): no GUI backend, no global figure state.
with needs_extra("loadtest", "`skillpulse loadtest`"):
    from matplotlib.figure import Figure

# --option → (path in the figures, "min" or "max")
THRESHOLDS = {
    "max_lost": (("delivery", "lost"), "max"),
    "max_duplicated": (("delivery", "duplicated"), "max"),
    "min_accepted_per_s": (("rates", "accepted_per_s"), "min"),
    "min_stored_per_s": (("rates", "stored_per_s"), "min"),
    "max_freshness_p99_s": (("freshness", "received_to_stored_s", "p99"), "max"),
    "max_drain_s": (("lag", "drain_after_stop_s"), "max"),
}


def _value(figures: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        figures = figures[key]
    return figures


def missed_thresholds(figures: dict[str, Any], limits: dict[str, float | None]) -> list[str]:
    missed = []
    for option, limit in limits.items():
        if limit is None:
            continue
        path, kind = THRESHOLDS[option]
        value = _value(figures, path)
        # NaN (nothing stored, nothing measured) compares False both ways: it misses too.
        if value != value or (kind == "max" and value > limit) or (kind == "min" and value < limit):
            missed.append(f"{'.'.join(path)} = {value} ({'above' if kind == 'max' else 'below'} {limit:g})")
    return missed


def write_plot(path: Path, timeline: list[tuple[float, int]], samples: list[LagSample], load_s: float) -> None:
    """Acknowledged and stored events per second, and the consumer lag, over the run."""

    def rate(points: list[tuple[float, int]]) -> tuple[list[float], list[float]]:
        xs, ys = [], []
        for (t0, n0), (t1, n1) in zip(points, points[1:], strict=False):
            if t1 - t0 >= 0.2:
                xs.append(t1)
                ys.append((n1 - n0) / (t1 - t0))
        return xs, ys

    acked = sorted(timeline)
    step = max(1, len(acked) // 400)  # one point every few batches keeps the line readable
    figure = Figure(figsize=(10, 6))
    rates, lag = figure.subplots(2, 1, sharex=True)
    rates.plot(*rate(acked[::step]), label="acknowledged by the pipeline / s")
    rates.plot(*rate([(s.t, s.committed) for s in samples]), label="stored (committed) / s")
    rates.set_ylabel("events / s")
    rates.legend(loc="upper right")
    lag.plot([s.t for s in samples], [s.lag for s in samples], color="tab:red")
    lag.set_ylabel("consumer lag (records)")
    lag.set_xlabel("seconds since the load started")
    for axis in (rates, lag):
        axis.axvline(load_s, color="grey", linestyle="--", linewidth=1)
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def write_json(path: Path, figures: dict[str, Any]) -> None:
    path.write_text(json.dumps(figures, indent=2) + "\n")
