"""`runs_expr` against a plain-Python construction of the same runs, on short day arrays
that reach the edges: fewer days than the threshold, thresholds of 1, touching and
overlapping intervals, days repeated, and the first days the store accepts (1970)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from clickhouse_connect.driver.client import Client

from skillpulse.kpi.rolling import runs_expr

EPOCH = date(1970, 1, 1)


def reference_runs(days: list[date], window: int, min_count: int) -> list[tuple[date, date]]:
    """Each `min_count` consecutive days make the user active from the last of them to the
    first plus `window - 1`; overlapping or touching intervals join into one run."""
    runs: list[list[date]] = []
    for i in range(len(days) - min_count + 1):
        first, through = days[i + min_count - 1], days[i] + timedelta(days=window - 1)
        if first > through:
            continue
        if runs and first <= runs[-1][1] + timedelta(days=1):
            runs[-1][1] = max(runs[-1][1], through)
        else:
            runs.append([first, through])
    return [(first, through) for first, through in runs]


def _runs(store: Client, days: list[date], window: int, min_count: int) -> list[tuple[date, date]]:
    sql = (f"SELECT {runs_expr('days', '{window:UInt32}', '{min_count:UInt32}', 'runs')} "
           "FROM (SELECT {days:Array(Date)} AS days)")
    row = store.query(sql, parameters={"days": days, "window": window, "min_count": min_count}).result_rows[0]
    return [tuple(run) for run in row[-1]]


def test_runs_starting_on_the_first_days_of_1970() -> None:
    assert reference_runs([EPOCH], 30, 1) == [(EPOCH, EPOCH + timedelta(days=29))]


def test_the_sql_builds_the_reference_runs(store: Client) -> None:
    cases = [([EPOCH], 30, 1), ([EPOCH + timedelta(days=1), date(1970, 2, 20)], 7, 1), ([EPOCH, EPOCH], 1, 2),
             ([], 60, 2), ([date(2026, 3, 1)], 60, 2), ([date(2026, 3, 1), date(2026, 3, 2)], 1, 1)]
    rng = random.Random(15)
    for _ in range(150):
        start = EPOCH if rng.random() < 0.3 else date(2026, 1, 1)
        days = sorted(start + timedelta(days=rng.randrange(40)) for _ in range(rng.randrange(12)))
        cases.append((days, rng.randrange(1, 10), rng.randrange(1, 5)))
    for days, window, min_count in cases:
        assert _runs(store, days, window, min_count) == reference_runs(days, window, min_count), (days, window,
                                                                                              min_count)
