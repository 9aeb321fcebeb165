"""KPI speed at volume: 20 M login events of 1 M users over 365 days, generated inside
ClickHouse (not through Python), then every catalogue query timed against the
brute-force baseline measured in the same run.

    python loadtests/kpi_benchmark.py [--events 20000000 --users 1000000] [--reuse] [--skip-baseline]

Prints a table and writes loadtests/results/kpi-benchmark.json (the .md beside it and the
README's table are written from that file).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

from clickhouse_connect.driver.client import Client

from skillpulse.config import ClickHouseSettings, Settings
from skillpulse.kpi.catalogue import Result, compute, rows
from skillpulse.kpi.params import KpiParams
from skillpulse.store import apply_migrations, open_store
from skillpulse.store.rollups import refresh_daily_activity, refresh_user_activity

T = TypeVar("T")
RESULTS = Path(__file__).parent / "results"
YEAR_START, YEAR_END, AS_OF = date(2026, 1, 1), date(2026, 12, 31), date(2026, 6, 30)

GENERATE_SQL = """
INSERT INTO events (event_id, type, platform, occurred_at, received_at, user_key, organisation_id)
SELECT generateUUIDv4(number), 'login', 'skilltech.tools',
       toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalSecond(intHash64(number) % (365 * 86400)),
       now64(3),
       lower(hex(SHA256(toString(intHash32(number * 7919) % {users})))),
       concat('school-', toString(intHash32(number * 7919) % {users} % 500))
FROM numbers({events})
"""

# The obvious SQL: each login day fans out over the 60 days it counts for.
BASELINE_SQL = """
SELECT day, count() AS active_users FROM (
    SELECT user_key, day FROM (
        SELECT user_key, toDate(arrayJoin(range(toUInt32(login_day), toUInt32(login_day) + 60))) AS day
        FROM (SELECT any(user_key) AS user_key, any(toDate(occurred_at, 'Europe/Luxembourg')) AS login_day
              FROM events WHERE type = 'login' AND platform = 'skilltech.tools' GROUP BY event_id)
    )
    GROUP BY user_key, day HAVING count() >= 2
) WHERE day BETWEEN '2026-01-01' AND '2026-12-31' GROUP BY day ORDER BY day
"""


@dataclass(frozen=True)
class Panel:
    """A dashboard panel: a catalogue metric over the dashboard's range (or as of its end)."""

    title: str
    slug: str
    as_of: bool = False  # a stat as of the range's last day, else the whole range

    def run(self, store: Client, params: KpiParams, as_of: date) -> Result:
        if self.as_of:
            params = params.model_copy(update={"start": as_of, "end": as_of})
        return compute(self.slug, store, params)


# What a dashboard of the contract KPIs shows, each timed at volume.
PANELS = (
    Panel("B2 now vs 1,600", "active-users", as_of=True),
    Panel("B2 daily series", "active-users"),
    Panel("B2 year end and peak", "active-users-yearly"),
    Panel("MA4 trained users", "trained-users"),
    Panel("MC4 new content tools", "new-tools"),
    Panel("MP2 new features", "new-features"),
    Panel("DAU", "dau"),
    Panel("WAU", "wau"),
    Panel("MAU", "mau"),
    Panel("Stickiness", "stickiness"),
    Panel("Logins per day", "logins"),
    Panel("New vs returning users", "new-users"),
    Panel("Tool usage", "tool-usage"),
    Panel("Training funnel", "training-funnel"),
)


def _timed(action: Callable[[], T], repeat: int = 5) -> tuple[float, T]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _machine() -> dict[str, object]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal")))
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": round(memory_kb / 2**20, 1),
            "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, default=Path(".skillpulse/kpi-benchmark"))
    parser.add_argument("--reuse", action="store_true", help="keep the loaded data of an earlier run")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    store = open_store(Settings(clickhouse=ClickHouseSettings(path=args.store, database="kpi_benchmark")))
    apply_migrations(store)
    figures: dict[str, object] = {"machine": _machine(), "date": datetime.now().isoformat(timespec="seconds"),
                                  "events": args.events, "users": args.users,
                                  "clickhouse": store.server_version}
    loaded = int(store.query("SELECT count() FROM events").result_rows[0][0])
    if not (args.reuse and loaded == args.events):
        for (table,) in store.query("SELECT name FROM system.tables WHERE database = currentDatabase() "
                                    "AND engine LIKE '%MergeTree' AND name != 'schema_migrations'").result_rows:
            store.command(f"TRUNCATE TABLE {table}")
        started = time.perf_counter()
        store.command(GENERATE_SQL.format(users=args.users, events=args.events))
        figures["load_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        refresh_user_activity(store)
        refresh_daily_activity(store)
        figures["refresh_all_users_s"] = round(time.perf_counter() - started, 1)
        print(f"loaded {args.events:,} events in {figures['load_s']} s (rollups fed by the views), "
              f"per-user runs and daily counts for all users and days in {figures['refresh_all_users_s']} s",
              flush=True)  # progress, while the queries run

    queries: dict[str, float] = {}
    one_day = KpiParams(start=AS_OF, end=AS_OF)
    year = KpiParams(start=YEAR_START, end=YEAR_END)
    queries["B2 as of one day"], b2_day = _timed(lambda: rows("active-users", store, one_day))
    queries["B2 daily series, 365 days"], b2_year = _timed(lambda: rows("active-users", store, year))
    for panel in PANELS:
        queries[f"panel: {panel.title}"], _ = _timed(functools.partial(panel.run, store, year, AS_OF))
    general = year.model_copy(update={"window_days": 59})
    queries["B2 general path (window 59), 365 days"], _ = _timed(lambda: compute("active-users", store, general), 1)

    baseline_s = None
    if not args.skip_baseline:
        baseline_s, baseline_rows = _timed(lambda: store.query(BASELINE_SQL).result_rows, 1)
        expected = [{"day": d.isoformat(), "active_users": int(n)} for d, n in baseline_rows]
        nonzero = [row for row in b2_year if row["active_users"]]
        assert nonzero == expected, "fast B2 series differs from the brute-force baseline"
        figures["baseline_s"] = round(baseline_s, 2)
    targets = {"B2 as of one day": 0.050, "B2 daily series, 365 days": 0.500}
    rows_out = []
    print(f"\n{'query':<58}{'median ms':>10}{'target ms':>10}{'x baseline':>12}")
    for name, seconds in queries.items():
        target = targets.get(name, 0.200 if name.startswith("panel") else None)
        speedup = f"{baseline_s / seconds:,.0f}x" if baseline_s else ""
        print(f"{name:<58}{seconds * 1000:>10.1f}{(target or 0) * 1000 or '':>10}{speedup:>12}")
        rows_out.append({"query": name, "median_ms": round(seconds * 1000, 1),
                         "target_ms": target and target * 1000, "met": target is None or seconds <= target,
                         "speedup_vs_baseline": baseline_s and round(baseline_s / seconds)})
    if baseline_s:
        print(f"{'baseline: brute-force arrayJoin over 60 days':<58}{baseline_s * 1000:>10.0f}")
    figures["queries"] = rows_out
    figures["b2_as_of"] = {"day": AS_OF.isoformat(), "value": b2_day[0]["active_users"]}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "kpi-benchmark.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nwritten to {RESULTS / 'kpi-benchmark.json'}")


if __name__ == "__main__":
    main()
