"""Is each agreement target on course? Pure functions over figures already computed.

For a KPI with a target and a deadline: the pace required from now on, the pace achieved,
a projection at the deadline with the method that made it (written out, so a reader can
redo it by hand), and a plain status. Two methods, kept simple on purpose:

- cumulative KPIs (MA4, MC4 over the agreement; MP2 within its year; MV2 within its
  month) grow from the period's start, so the projection is linear from that start:
  value × (days of the period) / (days elapsed);
- a level (B2, active users on a day) rises and falls, so the projection extends the
  trailing trend: the least-squares slope of the last `TREND_DAYS` daily values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

Status = Literal["reached", "on course", "at risk", "missed"]
TREND_DAYS = 90  # the trailing window of B2's trend: long enough to smooth weekly swings
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class DailyValue:
    day: date
    value: float


@dataclass(frozen=True)
class Trajectory:
    kpi: str  # the KPI id, e.g. "MA4"
    target: float
    start: date  # the period's first day
    deadline: date  # the period's last day: the target is due then
    as_of: date
    value: float  # the KPI as of `as_of`
    required_per_day: float | None  # what the rest of the period needs; None once the deadline is passed
    achieved_per_day: float  # linear: value / days elapsed; trend: the trailing slope
    projection: float  # the value expected at the deadline
    method: str  # how `projection` was computed, in words and numbers
    status: Status

    @property
    def required_per_month(self) -> float | None:
        return None if self.required_per_day is None else self.required_per_day * DAYS_PER_MONTH

    @property
    def achieved_per_month(self) -> float:
        return self.achieved_per_day * DAYS_PER_MONTH

    @classmethod
    def from_json(cls, found: dict[str, Any]) -> Trajectory:
        """The inverse of `as_json` (a summary from a running stack carries trajectories so)."""
        fields = {name: found[name] for name in cls.__dataclass_fields__}
        for name in ("start", "deadline", "as_of"):
            fields[name] = date.fromisoformat(fields[name])
        return cls(**fields)

    def as_json(self) -> dict[str, Any]:
        found = asdict(self)
        for name in ("start", "deadline", "as_of"):
            found[name] = found[name].isoformat()
        return found | {"required_per_month": self.required_per_month, "achieved_per_month": self.achieved_per_month}


def _status(value: float, projection: float, target: float, finished: bool, *, level: bool = False) -> Status:
    """A count that only grows has reached its target once there; a level (B2) can fall
    back, so before its deadline it is judged by its projection like any other."""
    if value >= target and (finished or not level):
        return "reached"
    if finished:
        return "missed"
    return "on course" if projection >= target else "at risk"


def _required(value: float, target: float, as_of: date, deadline: date) -> float | None:
    remaining = (deadline - as_of).days
    if remaining <= 0:
        return None
    return max(target - value, 0) / remaining


def _checked(start: date, deadline: date, as_of: date) -> date:
    if deadline < start:
        raise ValueError("the deadline is before the period's start")
    if as_of < start:
        raise ValueError(f"the period starts on {start.isoformat()}: no trajectory before it")
    return min(as_of, deadline)


def linear_trajectory(kpi: str, *, target: float, start: date, deadline: date, as_of: date,
                      value: float) -> Trajectory:
    """A cumulative KPI (counted from `start`, both days included) projected linearly."""
    as_of = _checked(start, deadline, as_of)
    elapsed, total = (as_of - start).days + 1, (deadline - start).days + 1
    achieved = value / elapsed
    projection = value * total / elapsed
    method = (f"linear from {start.isoformat()}: {value:g} in {elapsed} days, {achieved:.3g} a day, "
              f"× {total} days to {deadline.isoformat()}")
    return Trajectory(kpi, target, start, deadline, as_of, value, _required(value, target, as_of, deadline),
                      achieved, projection, method, _status(value, projection, target, as_of == deadline))


def _slope(points: Sequence[DailyValue]) -> float:
    """Least-squares slope, per day, of the values against their day."""
    if len(points) < 2:
        return 0.0
    xs = [(point.day - points[0].day).days for point in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(point.value for point in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (point.value - mean_y) for x, point in zip(xs, points, strict=True)) / spread


def trend_trajectory(kpi: str, *, target: float, start: date, deadline: date,
                     series: Sequence[DailyValue], trend_days: int = TREND_DAYS) -> Trajectory:
    """A level (its value on a day) projected along its trailing trend: the least-squares
    slope of the last `trend_days` days of `series` (sorted by day, ending on the as-of day)."""
    if not series:
        raise ValueError("a trend needs at least one day")
    as_of = _checked(start, deadline, series[-1].day)
    window = [point for point in series if (as_of - point.day).days < trend_days and start <= point.day <= as_of]
    value = series[-1].value
    slope = _slope(window)
    remaining = (deadline - as_of).days
    projection = max(value + slope * remaining, 0.0)  # a count of users is never below 0
    method = (f"trailing trend: least-squares slope of the {len(window)} daily values "
              f"{window[0].day.isoformat()} … {as_of.isoformat()}, {slope:+.3g} a day, "
              f"extended {remaining} days to {deadline.isoformat()}")
    return Trajectory(kpi, target, start, deadline, as_of, value, _required(value, target, as_of, deadline),
                      slope, projection, method, _status(value, projection, target, as_of == deadline, level=True))
