"""Storage per event, measured: run `skillpulse demo` (the simulator through the real
collector → Kafka → aggregator path) into a fresh data dir, then read ClickHouse's own
accounting (`system.parts`, active parts, after a final merge) for every table, and
extrapolate to a billion events. The capacity arithmetic in the README's "Scale-out"
section uses these figures.

    .venv/bin/python loadtests/storage_footprint.py --users 5000 --days 90 [--json]
    .venv/bin/python loadtests/storage_footprint.py --data-dir DIR   # a store already filled
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import clickhouse_connect

from skillpulse.config import Settings

BILLION = 1_000_000_000


@dataclass(frozen=True)
class TableFootprint:
    table: str
    rows: int
    compressed_bytes: int
    uncompressed_bytes: int


def run_demo(data_dir: Path, users: int, days: int) -> None:
    subprocess.run([sys.executable, "-m", "skillpulse", "--data-dir", str(data_dir), "demo",
                    "--users", str(users), "--days", str(days)], check=True, stdout=subprocess.DEVNULL)


def footprints(store_path: Path) -> list[TableFootprint]:
    store = clickhouse_connect.get_client(dsn=f"chdb://{store_path}")
    database = Settings().clickhouse.database
    tables = [row[0] for row in store.query(
        "SELECT name FROM system.tables WHERE database = %(db)s AND engine LIKE '%%MergeTree'",
        parameters={"db": database}).result_rows]
    for table in tables:  # what a long-running store converges to
        store.command(f"OPTIMIZE TABLE `{database}`.`{table}` FINAL")
    rows = store.query(
        "SELECT table, sum(rows), sum(data_compressed_bytes), sum(data_uncompressed_bytes) FROM system.parts "
        "WHERE active AND database = %(db)s GROUP BY table ORDER BY sum(data_compressed_bytes) DESC",
        parameters={"db": database}).result_rows
    return [TableFootprint(str(table), int(n), int(c), int(u)) for table, n, c, u in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--data-dir", type=Path, help="Measure this data dir's store (no demo is run).")
    args = parser.parse_args()
    if args.data_dir:
        tables = footprints(args.data_dir / "clickhouse")
    else:
        with tempfile.TemporaryDirectory(prefix="skillpulse-footprint-") as tmp:
            run_demo(Path(tmp), args.users, args.days)
            tables = footprints(Path(tmp) / "demo" / "clickhouse")
    events = next(table.rows for table in tables if table.table == "events")
    total = sum(table.compressed_bytes for table in tables)
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "demo": None if args.data_dir else {"users": args.users, "days": args.days},
        "events": events, "bytes_per_event_all_tables": total / events,
        "events_table_bytes_per_event": next(t.compressed_bytes for t in tables if t.table == "events") / events,
        "gb_per_billion_events": total / events * BILLION / 1e9,
        "tables": [asdict(table) for table in tables],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    made = "" if args.data_dir else f" ({args.users} users × {args.days} days)"
    print(f"{events:,} events stored{made}")
    for table in tables:
        ratio = table.uncompressed_bytes / table.compressed_bytes if table.compressed_bytes else 0.0
        print(f"  {table.table:<22} {table.rows:>12,} rows {table.compressed_bytes / 1e6:>9.2f} MB "
              f"(compression ×{ratio:.1f})")
    print(f"all tables: {result['bytes_per_event_all_tables']:.1f} bytes/event → "
          f"{result['gb_per_billion_events']:.0f} GB per billion events (one replica)")


if __name__ == "__main__":
    main()
