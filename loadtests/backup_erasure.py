"""What a backup, a restore and one person's erasure cost, against one full read of `events`
(every column, the floor of any of them), measured in the same run on the same store.

    .venv/bin/python loadtests/backup_erasure.py [--events 1000000] [--users 20000]

The store is a new embedded one in a temporary directory, filled by SQL (logins and tool
uses over 12 months, users uniform); the restore runs in a second process (chdb opens one
path per process) into another empty directory. Writes loadtests/results/backup-erasure.{json,md}."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from skillpulse.config import ClickHouseSettings, PathSettings, Settings
from skillpulse.store import apply_migrations, open_store
from skillpulse.store.backup import backup_store
from skillpulse.store.erasure import erase_user
from skillpulse.store.rollups import refresh_pending

RESULTS = Path(__file__).parent / "results"
FILL = """
INSERT INTO events (event_id, type, platform, occurred_at, received_at, user_key, organisation_id, session_key,
                    login_method, tool_id, tool_category, action, feature, kafka_partition, kafka_offset)
SELECT generateUUIDv4(number), if(number % 3 = 0, 'tool_use', 'login'), 'skilltech.tools',
       toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalSecond(number * 31536000 / {events:UInt64}),
       now64(3), lower(hex(SHA256(toString(number % {users:UInt64})))), concat('org-', toString(number % 40)), '',
       if(number % 3 = 0, '', 'sso'), if(number % 3 = 0, concat('tool-', toString(number % 25)), ''),
       if(number % 3 = 0, 'assessment', ''), if(number % 3 = 0, 'create', ''), '', 0, number
FROM numbers({events:UInt64})
"""
RESTORE = """
import json, sys, time
from pathlib import Path
from skillpulse.config import ClickHouseSettings, PathSettings, Settings
from skillpulse.store import open_store
from skillpulse.store.backup import restore_store
root = Path(sys.argv[1])
store = open_store(Settings(paths=PathSettings(data_dir=root), clickhouse=ClickHouseSettings(path=root / "ch")))
started = time.perf_counter()
restored = restore_store(store, Path(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - started, "events": restored.tables["events"]}))
"""


def _timed(work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=20_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="backup-erasure-") as work:
        root = Path(work)
        settings = Settings(paths=PathSettings(data_dir=root / "data"),
                            clickhouse=ClickHouseSettings(path=root / "data" / "ch"))
        store = open_store(settings)
        apply_migrations(store)
        store.command(FILL, parameters={"events": options.events, "users": options.users})
        refresh_pending(store, wait_for_visibility=False)
        on_disk = int(store.query("SELECT sum(bytes_on_disk) FROM system.parts WHERE active "
                                  "AND database = currentDatabase()").result_rows[0][0])
        scan, _ = _timed(lambda: store.query("SELECT count() FROM events WHERE NOT ignore(*)").result_rows)
        backup_s, manifest = _timed(lambda: backup_store(store, root / "backup"))
        backup_bytes = sum(table.bytes for table in manifest.tables)
        env = {key: value for key, value in os.environ.items() if not key.startswith("SKILLPULSE_")}
        done = subprocess.run([sys.executable, "-c", RESTORE, str(root / "restored"), str(root / "backup")],
                              capture_output=True, text=True, check=True, env=env)
        restore = json.loads(done.stdout.strip().splitlines()[-1])
        one_user = store.query("SELECT user_key FROM events LIMIT 1").result_rows[0][0]
        one_user = one_user.decode() if isinstance(one_user, bytes) else one_user
        erase_s, receipt = _timed(lambda: erase_user(store, "skilltech.tools", one_user, requested_by="operator"))
        store.close()
    figures = {
        "measured_at": datetime.now(UTC).isoformat(timespec="minutes"), "machine": platform.machine(),
        "cpus": os.cpu_count(), "events": options.events, "users": options.users,
        "baseline_full_read_s": round(scan, 3), "store_bytes_on_disk": on_disk,
        "backup_s": round(backup_s, 3), "backup_bytes": backup_bytes, "restore_s": round(restore["seconds"], 3),
        "erase_one_user_s": round(erase_s, 3), "erased_events": receipt.rows_removed.get("events", 0),
        "backup_vs_full_read": round(backup_s / scan, 1), "restore_vs_full_read": round(restore["seconds"] / scan, 1),
        "erase_vs_full_read": round(erase_s / scan, 1), "backup_vs_store_size": round(backup_bytes / on_disk, 2),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "backup-erasure.json").write_text(json.dumps(figures, indent=2) + "\n")
    lines = [f"# Backup, restore, erasure — {figures['measured_at']} UTC, {figures['machine']}, "
             f"{figures['cpus']} CPUs shared with other engineers' work",
             "", f"`.venv/bin/python loadtests/backup_erasure.py --events {options.events} "
                 f"--users {options.users}`", "",
             "| | seconds | × one full read of `events` |", "|---|---|---|",
             f"| full read of `events` (baseline) | {figures['baseline_full_read_s']} | 1 |",
             f"| backup | {figures['backup_s']} | {figures['backup_vs_full_read']} |",
             f"| restore (fresh process, rollups rebuilt) | {figures['restore_s']} | "
             f"{figures['restore_vs_full_read']} |",
             f"| erase one user ({figures['erased_events']} events) | {figures['erase_one_user_s']} | "
             f"{figures['erase_vs_full_read']} |", "",
             f"Backup size: {figures['backup_bytes']:,} bytes, {figures['backup_vs_store_size']} × the store's "
             f"{figures['store_bytes_on_disk']:,} bytes on disk."]
    (RESULTS / "backup-erasure.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
