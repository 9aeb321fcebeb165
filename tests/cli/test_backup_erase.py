"""`skillpulse erase`, `backup` and `restore` with no stack running: straight on the store
of the data dir (the settings come from the environment, as for a user)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from clickhouse_connect.driver.client import Client

from skillpulse.cli.commands import main
from skillpulse.config import Settings, get_settings
from skillpulse.store.backup import MANIFEST
from skillpulse.store.erasure import erasure_key, rows_holding
from tests.factories import record_json, store_records

TOOLS = "skilltech.tools"
DANA = "dana@school.lu"


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A runner whose commands open the test's store (same engine path, same database)."""
    monkeypatch.setenv("SKILLPULSE_CLICKHOUSE_PATH", str(settings.clickhouse.path))
    monkeypatch.setenv("SKILLPULSE_CLICKHOUSE_DATABASE", settings.clickhouse.database)
    monkeypatch.delenv("SKILLPULSE_CLICKHOUSE_URL", raising=False)
    get_settings.cache_clear()  # an earlier test's cached settings would name another store
    yield CliRunner()
    get_settings.cache_clear()


def _run(cli: CliRunner, settings: Settings, *args: str, stdin: str | None = None) -> tuple[int, str]:
    done = cli.invoke(main, ["--data-dir", str(settings.paths.data_dir), *args], input=stdin)
    return done.exit_code, done.output


def test_erase_without_a_stack(cli: CliRunner, settings: Settings, store: Client) -> None:
    key = erasure_key(settings, TOOLS, DANA)  # the data dir's pseudonym secret, as the collector's
    store_records(store, [record_json("login", user_key=key), record_json("tool_use", user_key=key),
                          record_json("login", user_key="b" * 64)])
    status, output = _run(cli, settings, "erase", "--platform", TOOLS, "--user-id", DANA)
    assert status == 0, output
    receipt = json.loads(output)
    assert receipt["rows_removed"]["events"] == 2 and receipt["requested_by"] == "operator"
    assert DANA not in output and key not in output
    assert rows_holding(store, key) == {}
    assert store.query("SELECT count() FROM events").result_rows == [(1,)]
    status, output = _run(cli, settings, "erase", "--platform", TOOLS, stdin=DANA + "\n")  # asked, unechoed
    assert status == 0 and json.loads(output[output.index("{"):])["rows_removed"] == {}
    assert DANA not in output
    status, output = _run(cli, settings, "erase", "--platform", TOOLS, "--user-id", "x\x07y")
    assert status != 0 and "not a user id" in output and "x\x07y" not in output


def test_backup_then_restore_refused_over_rows(cli: CliRunner, settings: Settings, store: Client,
                                               tmp_path: Path) -> None:
    store_records(store, [record_json("login")])
    status, output = _run(cli, settings, "backup", "--to", str(tmp_path / "backup"))
    assert status == 0, output
    assert json.loads(output)["tables"]["events"] == 1 and (tmp_path / "backup" / MANIFEST).is_file()
    status, output = _run(cli, settings, "backup", "--to", str(tmp_path / "backup"))
    assert status != 0 and "new or empty" in output
    status, output = _run(cli, settings, "restore", "--from", str(tmp_path / "backup"))
    assert status != 0 and "not empty" in output and "--replace" in output
    status, output = _run(cli, settings, "restore", "--from", str(tmp_path / "backup"), "--replace")
    assert status == 0 and json.loads(output)["tables"]["events"] == 1
