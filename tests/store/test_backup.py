"""Backup of a store, restore into an empty data dir (another process: chdb opens one path
per process) through `skillpulse restore`: the same rows in every copied table, the same
distinct rows in every table the views rebuild, and the same value of every KPI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.store.backup import (
    MANIFEST,
    BackupError,
    Manifest,
    backup_store,
    filled_by_views,
    read_manifest,
    restore_store,
    stored_rows,
)
from skillpulse.store.erasure import erase_user
from tests.factories import store_records
from tests.store.test_erasure import ERASED, TOOLS, _key, add_dead_letter, dataset, every_kpi

REPOSITORY = Path(__file__).resolve().parents[2]
# Run in a fresh interpreter on the restored data dir: restore through the CLI, then the
# same figures as `figures` below, as JSON.
PROBE = """
import json, sys
from click.testing import CliRunner
from skillpulse.cli.commands import main
done = CliRunner().invoke(main, ["--data-dir", sys.argv[1], "restore", "--from", sys.argv[2], *sys.argv[3:]])
if done.exit_code:
    print(json.dumps({"error": done.output}))
    raise SystemExit(0)
from skillpulse.config import get_settings
from skillpulse.store import open_store
from tests.store.test_backup import figures
settings = get_settings().with_data_dir(__import__("pathlib").Path(sys.argv[1]))
print(json.dumps(figures(open_store(settings)) | {"restored": json.loads(done.output)}, default=str))
"""


# Rewritten by the refresher after a restore (a new version of each row): compared merged.
REFRESHED = {"user_activity", "user_active_days", "daily_activity", "rollup_watermark"}


def figures(store: Client) -> dict[str, Any]:
    """Rows per table, merged rows of the tables views or the refresher rebuild, every KPI:
    JSON-comparable."""
    rebuilt = (filled_by_views(store) | REFRESHED) - {"rollup_queue", "rollup_watermark"}  # queue times: now
    merged = {table: int(store.query(f"SELECT count() FROM `{table}` FINAL").result_rows[0][0])
              for table in sorted(rebuilt)}
    found = {"rows": stored_rows(store), "merged": merged, "kpis": every_kpi(store)}
    return dict(json.loads(json.dumps(found, default=str)))


def _restore_elsewhere(data_dir: Path, backup: Path, *flags: str) -> dict[str, Any]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SKILLPULSE_")}
    done = subprocess.run([sys.executable, "-c", PROBE, str(data_dir), str(backup), *flags], capture_output=True,
                          text=True, timeout=300, cwd=REPOSITORY, env=env | {"PYTHONPATH": os.pathsep.join(sys.path)},
                          check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture
def filled(store: Client) -> Client:
    store_records(store, [value for _, value in dataset()])
    add_dead_letter(store, _key("teacher-1@school.lu", TOOLS))
    erase_user(store, TOOLS, _key(*ERASED), requested_by="operator")  # a receipt, and lightweight-free mutations
    store_records(store, [value for who, value in dataset() if who == "pupil-1@school.lu"])  # resends: no change
    return store


def test_a_restore_into_an_empty_data_dir_gives_the_same_rows_and_kpis(filled: Client, tmp_path: Path) -> None:
    manifest = backup_store(filled, tmp_path / "backup")
    expected = figures(filled)
    copied = {table.table: table.rows for table in manifest.tables}
    assert copied["events"] == expected["rows"]["events"] > 0 and copied["erasure_receipts"] == 2  # begun, finished
    assert manifest.tables[-1].table == "events"
    assert {"event_ids", "login_days", "user_days", "tool_first_seen", "rollup_queue"} <= set(manifest.rebuilt_by_views)
    assert not {"schema_migrations", *manifest.rebuilt_by_views} & copied.keys()
    assert [m.version for m in manifest.migrations][:11] == list(range(1, 12))
    assert read_manifest(tmp_path / "backup") == manifest

    restored = _restore_elsewhere(tmp_path / "restored", tmp_path / "backup")
    assert "error" not in restored, restored
    assert restored["kpis"] == expected["kpis"]
    assert restored["restored"]["tables"] == copied  # every copied table's rows, checked as inserted
    assert restored["merged"] == expected["merged"] and "login_days" in expected["merged"]
    for table, rows in expected["rows"].items():
        if table not in {*manifest.rebuilt_by_views, *REFRESHED}:
            assert restored["rows"].get(table) == rows, table


def test_a_restore_over_a_store_holding_rows_needs_replace(filled: Client, tmp_path: Path) -> None:
    backup_store(filled, tmp_path / "backup")
    with pytest.raises(BackupError, match="not empty"):
        restore_store(filled, tmp_path / "backup")
    before = figures(filled)
    restored = restore_store(filled, tmp_path / "backup", replace=True)  # twice the same blocks: none dropped
    assert restored.tables["events"] == before["rows"]["events"]
    assert figures(filled)["kpis"] == before["kpis"]


def test_a_damaged_or_unfinished_backup_is_refused(filled: Client, tmp_path: Path) -> None:
    manifest = backup_store(filled, tmp_path / "backup")
    with pytest.raises(BackupError, match="new or empty"):
        backup_store(filled, tmp_path / "backup")
    events = tmp_path / "backup" / manifest.tables[-1].file
    events.write_bytes(events.read_bytes()[:-1] + b"\x00")
    with pytest.raises(BackupError, match="not the file"):
        read_manifest(tmp_path / "backup")
    (tmp_path / "backup" / MANIFEST).unlink()
    with pytest.raises(BackupError, match="no manifest"):
        restore_store(filled, tmp_path / "backup", replace=True)


def test_a_backup_from_newer_software_is_refused(filled: Client, tmp_path: Path) -> None:
    manifest = backup_store(filled, tmp_path / "backup")
    newer = manifest.model_copy(update={"migrations": [*manifest.migrations, manifest.migrations[0].model_copy(
        update={"version": 9999, "name": "from_the_future"})]})
    (tmp_path / "backup" / MANIFEST).write_text(newer.model_dump_json())
    with pytest.raises(BackupError, match="from_the_future"):
        restore_store(filled, tmp_path / "backup", replace=True)
    assert Manifest.model_validate_json((tmp_path / "backup" / MANIFEST).read_text()).migrations[-1].version == 9999
