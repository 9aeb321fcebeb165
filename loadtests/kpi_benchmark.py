"""KPI speed at volume: 20 M login events of 1 M users over 365 days, generated inside
ClickHouse (not through Python), then every dashboard panel (for everyone and for one
organisation) and B2's 365-day series for windows 1-365, thresholds 1-10 and an
organisation filter, timed under the API's per-query budget (QuerySettings). Each B2
variant is asserted equal to a brute force over the raw events (kpi_brute_force.py),
timed in the same run.

    python loadtests/kpi_benchmark.py [--events 20000000 --users 1000000] [--reuse]

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
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from clickhouse_connect.driver.client import Client

from skillpulse.config import ClickHouseSettings, QuerySettings, Settings
from skillpulse.kpi.catalogue import METRICS, Result, compute, rows
from skillpulse.kpi.params import MAX_WINDOW_DAYS, KpiParams
from skillpulse.kpi.rolling import runs_expr, series_sql
from skillpulse.store import apply_migrations, open_store
from skillpulse.store.rollups import refresh_daily_activity, refresh_user_activity

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

# The previous design's source of a B2 variant (before issue 15): the days of each user
# from `login_days`' exact distinct-count states, merged per (user, day) at query time.
PREVIOUS_DAYS_SQL = """
SELECT platform, user_key, arraySort(arrayFlatten(groupArray(arrayWithConstant(least(n, {min_count:UInt32}), day))))
       AS days
FROM (SELECT platform, user_key, day, uniqExactMerge(logins) AS n FROM login_days
      WHERE platform IN {platforms:Array(String)} AND day BETWEEN {start:Date} - ({window:UInt32} - 1) AND {end:Date}
        AND ({organisation:String} = '' OR organisation_id = {organisation:String})
      GROUP BY platform, user_key, day)
GROUP BY platform, user_key"""
PREVIOUS_SQL = series_sql(f"""
SELECT {runs_expr("days", "{window:UInt32}", "{min_count:UInt32}", "runs")}
FROM ({PREVIOUS_DAYS_SQL}) WHERE length(days) >= {{min_count:UInt32}}""", "active_users")
REFRESHED_TABLES = ("user_activity", "user_active_days", "daily_activity")
REFRESH_SLICES = 8  # users' days and runs recomputed an eighth of the users at a time, within memory
UNBOUNDED = {"max_memory_usage": 0}  # the baselines' reads are not held to the budget
ORGANISATION = "school-7"  # one of the 500: about 2,000 users


class Variant(NamedTuple):
    name: str
    window_days: int
    min_logins: int
    organisation: str = ""


# B2 as the agreement defines it, and the other windows and thresholds a manager may ask.
VARIANTS = (
    Variant("60 d, >= 2 (the agreement's)", 60, 2),
    Variant(f"60 d, >= 2, organisation {ORGANISATION}", 60, 2, ORGANISATION),
    Variant("1 d, >= 1", 1, 1),
    Variant("1 d, >= 10", 1, 10),
    Variant("7 d, >= 3", 7, 3),
    Variant("30 d, >= 1", 30, 1),
    Variant("59 d, >= 2", 59, 2),
    Variant("365 d, >= 1", 365, 1),
    Variant("365 d, >= 10", 365, 10),
    Variant(f"365 d, >= 10, organisation {ORGANISATION}", 365, 10, ORGANISATION),
    Variant(f"90 d, >= 5, organisation {ORGANISATION}", 90, 5, ORGANISATION),
)


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


class Timing(NamedTuple):
    seconds: float  # median
    result: Any
    cpu_s: float  # median CPU of this process (the embedded store runs in it): steadier on a shared machine
    baseline_s: float | None = None  # the brute force's, same run
    previous_s: float | None = None  # the design before issue 15, same run


def _timed(action: Callable[[], object], repeat: int = 5) -> Timing:
    times, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = action()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return Timing(statistics.median(times), result, statistics.median(cpu))


def _machine() -> dict[str, object]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal")))
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": round(memory_kb / 2**20, 1),
            "python": platform.python_version()}


def main() -> None:
    # Beside this script (its directory is on the path when run; the tests import PANELS only).
    from kpi_brute_force import active_users, days_of, read_logins

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, default=Path(".skillpulse/kpi-benchmark"))
    parser.add_argument("--reuse", action="store_true", help="keep the loaded data of an earlier run")
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
        for index in range(REFRESH_SLICES):  # as the refresher does a backlog: a slice of users at a time
            refresh_user_activity(store, "cityHash64(user_key) % {slices:UInt64} = {slice:UInt64}",
                                  {"slices": REFRESH_SLICES, "slice": index})
        refresh_daily_activity(store)
        figures["refresh_all_users_s"] = round(time.perf_counter() - started, 1)
        print(f"loaded {args.events:,} events in {figures['load_s']} s (rollups fed by the views), "
              f"per-user days, runs and daily counts for all users and days in {figures['refresh_all_users_s']} s",
              flush=True)  # progress, while the queries run
    # The refreshed tables are read with FINAL, whose cost grows with the parts not yet
    # merged: measured in the state background merges reach, their parts before it recorded.
    figures["parts_before_merge"] = dict(store.query(
        "SELECT table, count() FROM system.parts WHERE database = currentDatabase() AND active "
        "AND table IN {tables:Array(String)} GROUP BY table ORDER BY table",
        parameters={"tables": list(REFRESHED_TABLES)}).result_rows)
    for table in REFRESHED_TABLES:
        store.command(f"OPTIMIZE TABLE {table} FINAL")

    # Every query must fit the API's per-query memory budget (its time budget is what is measured).
    store.set_client_setting("max_memory_usage", QuerySettings().max_memory_bytes)
    queries: dict[str, Timing] = {}
    one_day = KpiParams(start=AS_OF, end=AS_OF)
    year = KpiParams(start=YEAR_START, end=YEAR_END)
    queries["B2 as of one day"] = _timed(lambda: rows("active-users", store, one_day))
    for organisation in ("", ORGANISATION):
        scope = year.model_copy(update={"organisation": organisation or None})
        for panel in PANELS:
            if organisation and "organisation" not in METRICS[panel.slug].parameters:
                continue
            suffix = f", organisation {organisation}" if organisation else ""
            queries[f"panel: {panel.title}{suffix}"] = _timed(functools.partial(panel.run, store, scope, AS_OF))

    logins = {organisation: read_logins(store, YEAR_START - timedelta(days=MAX_WINDOW_DAYS - 1), YEAR_END,
                                        organisation, UNBOUNDED) for organisation in ("", ORGANISATION)}
    for variant in VARIANTS:
        params = year.model_copy(update={"window_days": variant.window_days, "min_logins": variant.min_logins,
                                         "organisation": variant.organisation or None})
        timing = _timed(lambda params=params: rows("active-users", store, params), 3)
        reference = _timed(lambda v=variant: active_users(logins[v.organisation], YEAR_START, YEAR_END,
                                                          v.window_days, v.min_logins), 1)
        assert [row["active_users"] for row in timing.result] == reference.result, f"{variant.name} differs"
        assert [row["day"] for row in timing.result] == days_of(YEAR_START, YEAR_END)
        previous = _timed(lambda params=params, v=variant: store.query(
            PREVIOUS_SQL, parameters=params.sql_parameters() | {"window": v.window_days, "min_count": v.min_logins},
            settings=UNBOUNDED).result_rows, 1)
        assert [int(n) for _, n in previous.result] == reference.result
        queries[f"B2 365 days, {variant.name}"] = timing._replace(baseline_s=reference.seconds,
                                                                  previous_s=previous.seconds)
    figures["organisation"] = ORGANISATION
    figures["brute_force"] = "numpy user x day matrix over raw events (loadtests/kpi_brute_force.py)"

    rows_out = []
    print(f"\n{'query':<66}{'median ms':>10}{'CPU ms':>8}{'target ms':>10}{'x brute force':>14}{'previous ms':>12}")
    for name, timing in queries.items():
        target = 0.050 if name == "B2 as of one day" else 0.200 if name.startswith("panel") else 1.0
        speedup = f"{timing.baseline_s / timing.seconds:,.0f}x" if timing.baseline_s else ""
        previous = f"{timing.previous_s * 1000:,.0f}" if timing.previous_s else ""
        print(f"{name:<66}{timing.seconds * 1000:>10.1f}{timing.cpu_s * 1000:>8.0f}{target * 1000:>10.0f}"
              f"{speedup:>14}{previous:>12}")
        rows_out.append({"query": name, "median_ms": round(timing.seconds * 1000, 1),
                         "cpu_ms": round(timing.cpu_s * 1000, 1), "target_ms": target * 1000,
                         "met": timing.seconds <= target,
                         "brute_force_ms": timing.baseline_s and round(timing.baseline_s * 1000, 1),
                         "previous_design_ms": timing.previous_s and round(timing.previous_s * 1000, 1)})
    figures["queries"] = rows_out
    figures["b2_as_of"] = {"day": AS_OF.isoformat(), "value": queries["B2 as of one day"].result[0]["active_users"]}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "kpi-benchmark.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nevery variant equals the brute force; written to {RESULTS / 'kpi-benchmark.json'}")


if __name__ == "__main__":
    main()
