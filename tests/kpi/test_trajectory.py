"""Trajectories on constructed data whose projection is known exactly."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from skillpulse.kpi.trajectory import DailyValue, Trajectory, linear_trajectory, trend_trajectory

START, DEADLINE = date(2026, 1, 1), date(2029, 12, 31)  # 1461 days


def test_linear_projection_is_value_times_period_over_elapsed() -> None:
    # 100 trained users after 365 days (2026 over) of 1461: 100 × 1461 / 365 ≈ 400.27 < 500.
    found = linear_trajectory("MA4", target=500, start=START, deadline=DEADLINE, as_of=date(2026, 12, 31), value=100)
    assert found.projection == pytest.approx(100 * 1461 / 365)
    assert found.achieved_per_day == pytest.approx(100 / 365)
    assert found.required_per_day == pytest.approx(400 / 1096)  # 1096 days after 2026-12-31
    assert found.status == "at risk"
    assert "linear from 2026-01-01" in found.method and "1461 days" in found.method
    # 2 × faster: 200 × 1461 / 365 ≈ 800.5 ≥ 500.
    assert linear_trajectory("MA4", target=500, start=START, deadline=DEADLINE, as_of=date(2026, 12, 31),
                             value=200).status == "on course"


def test_linear_exact_on_the_target_line_is_on_course() -> None:
    # MP2 within 2027 (365 days): 3 features by day 182.5 would be the line; 6 on 31 Dec is reached.
    half = linear_trajectory("MP2", target=6, start=date(2027, 1, 1), deadline=date(2027, 12, 31),
                             as_of=date(2027, 1, 1) + timedelta(days=72), value=1.2)  # 73 days: 1.2 × 365/73 = 6
    assert half.projection == pytest.approx(6) and half.status == "on course"
    assert linear_trajectory("MP2", target=6, start=date(2027, 1, 1), deadline=date(2027, 12, 31),
                             as_of=date(2027, 6, 1), value=6).status == "reached"


def test_after_the_deadline_the_status_is_final() -> None:
    missed = linear_trajectory("MC4", target=10, start=START, deadline=DEADLINE, as_of=date(2030, 3, 1), value=9)
    assert (missed.as_of, missed.status, missed.required_per_day, missed.projection) == (DEADLINE, "missed", None, 9)
    assert linear_trajectory("MC4", target=10, start=START, deadline=DEADLINE, as_of=DEADLINE,
                             value=10).status == "reached"


def test_before_the_period_there_is_no_trajectory() -> None:
    with pytest.raises(ValueError, match="starts on 2026-01-01"):
        linear_trajectory("MA4", target=500, start=START, deadline=DEADLINE, as_of=date(2025, 12, 31), value=3)


def _line(first: date, days: int, intercept: float, slope: float) -> list[DailyValue]:
    return [DailyValue(first + timedelta(days=i), intercept + slope * i) for i in range(days)]


def test_trend_extends_the_trailing_slope_exactly() -> None:
    # B2 rising by 2 a day on each of the last 90 days (older days flat, ignored), 1000 today, 2026-12-31.
    flat = [DailyValue(START + timedelta(days=i), 5.0) for i in range(275)]
    rising = _line(date(2026, 10, 2), 91, 820, 2)[1:]  # 2026-10-03 … 2026-12-31, 822 … 1000
    assert rising[-1] == DailyValue(date(2026, 12, 31), 1000)
    found = trend_trajectory("B2", target=1600, start=START, deadline=DEADLINE, series=flat + rising)
    assert found.achieved_per_day == pytest.approx(2)
    assert found.projection == pytest.approx(1000 + 2 * 1096)  # 1096 days to 2029-12-31
    assert found.status == "on course" and found.value == 1000
    assert found.required_per_day == pytest.approx(600 / 1096)
    assert "least-squares slope of the 90 daily values 2026-10-03 … 2026-12-31" in found.method


def test_a_falling_trend_is_at_risk_and_never_projects_below_zero() -> None:
    falling = trend_trajectory("B2", target=1600, start=START, deadline=DEADLINE,
                               series=_line(date(2026, 10, 3), 90, 900, -10))
    assert falling.achieved_per_day == pytest.approx(-10)
    assert (falling.projection, falling.status) == (0.0, "at risk")
    # A level above its target is reached only on its deadline; before, its projection judges it.
    assert trend_trajectory("B2", target=1600, start=START, deadline=DEADLINE,
                            series=[DailyValue(date(2027, 5, 1), 1700)]).status == "on course"
    above_but_falling = trend_trajectory("B2", target=1600, start=START, deadline=DEADLINE,
                                         series=_line(date(2027, 2, 1), 90, 2500, -2))
    assert above_but_falling.value >= 1600 and above_but_falling.status == "at risk"
    assert trend_trajectory("B2", target=1600, start=START, deadline=DEADLINE,
                            series=[DailyValue(DEADLINE, 1700)]).status == "reached"


def test_json_round_trip() -> None:
    found = linear_trajectory("MC4", target=10, start=START, deadline=DEADLINE, as_of=date(2027, 3, 1), value=4)
    assert Trajectory.from_json(found.as_json()) == found
    assert found.as_json()["deadline"] == "2029-12-31"


def test_kpi_summary_prints_each_trajectory_with_its_method() -> None:
    from skillpulse.kpi.summary import format_summary

    ma4 = linear_trajectory("MA4", target=500, start=START, deadline=DEADLINE, as_of=date(2026, 12, 31), value=100)
    row = {"id": "MA4", "metric": "trained-users", "title": "Users trained (MA4)", "value": 100, "target": 500,
           "target_period": "2026-2029", "progress_pct": 20.0, "from": "2026-01-01", "to": "2026-12-31",
           "trajectory": ma4.as_json()}
    dau = row | {"id": "DAU", "metric": "dau", "title": "Daily active users", "target": None, "progress_pct": None,
                 "trajectory": None}
    text = format_summary({"as_of": "2026-12-31", "platforms": ["skilltech.tools"], "computed_at": "now",
                           "rows": [row, dau]})
    [line] = [line for line in text.splitlines() if line.startswith("MA4") and "projected" in line]
    assert line.startswith("MA4        AT RISK    projected 400 of 500 by 2029-12-31; needs 11.1/month, achieved 8.34")
    assert "(linear from 2026-01-01: 100 in 365 days" in line
    assert not any(line.startswith("DAU") and "projected" in line for line in text.splitlines())
