"""`skillpulse keys`: made, listed, rotated and revoked on the data dir's keyring (no stack
needed: a running one reads the file again); the token is printed once and kept nowhere."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillpulse.access import Access
from skillpulse.cli import main
from skillpulse.config import PathSettings, Settings
from skillpulse.credentials import open_keyring


def _run(data_dir: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "keys", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_keys_alone_still_prints_the_platform_keys(data_dir: Path) -> None:
    lines = _run(data_dir).splitlines()
    assert {line.split("\t")[0] for line in lines} == {"skilltech.tools", "skilltech.tube", "skilltech.cafe"}


def test_create_prints_the_token_once_and_stores_its_hash(data_dir: Path) -> None:
    key_line, token = _run(data_dir, "create", "--access", "viewer", "--label", "Grafana").splitlines()
    key_id, access, platform, label = key_line.split("\t")
    assert (access, platform, label) == ("viewer", "", "Grafana") and token.startswith("spk_viewer_")
    ring = open_keyring(Settings(paths=PathSettings(data_dir=data_dir)))
    found = ring.authenticate(token)
    assert found is not None and found.key_id == key_id and found.access is Access.VIEWER
    assert token not in (data_dir / "access-keys.json").read_text()
    listed = json.loads(_run(data_dir, "list", "--json"))
    assert {row["key_id"]: row["access"] for row in listed}[key_id] == "viewer"
    assert token not in json.dumps(listed)
    assert {row["access"] for row in listed} == {"platform", "operator", "viewer"}  # with the defaults


def test_a_platform_key_names_a_known_platform(data_dir: Path) -> None:
    platform = _run(data_dir, "create", "--access", "platform", "--platform", "skilltech.tube").splitlines()[0]
    assert platform.split("\t")[1:3] == ["platform", "skilltech.tube"]
    for args in (["--access", "platform"], ["--access", "platform", "--platform", "invented.example"],
                 ["--access", "viewer", "--platform", "skilltech.tube"]):
        result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "keys", "create", *args])
        assert result.exit_code == 2, (args, result.output)


def test_rotate_and_revoke(data_dir: Path) -> None:
    key_id, old = _run(data_dir, "create", "--access", "operator").splitlines()
    key_id = key_id.split("\t")[0]
    new_id, new = _run(data_dir, "rotate", key_id, "--overlap-days", "0").splitlines()
    new_id = new_id.split("\t")[0]
    ring = open_keyring(Settings(paths=PathSettings(data_dir=data_dir)))
    assert ring.authenticate(old) is None and ring.authenticate(new) is not None  # no overlap asked
    rows = {row["key_id"]: row for row in json.loads(_run(data_dir, "list", "--json"))}
    assert rows[key_id]["expires_at"] != "never" and rows[new_id]["expires_at"] == "never"
    assert _run(data_dir, "revoke", new_id).strip() == f"revoked {new_id}"
    assert ring.authenticate(new) is None
    missing = CliRunner().invoke(main, ["--data-dir", str(data_dir), "keys", "revoke", new_id])
    assert missing.exit_code == 1 and f"no key {new_id}" in missing.output


def test_rotation_overlap_defaults_to_the_setting(data_dir: Path) -> None:
    key_id = _run(data_dir, "create", "--access", "viewer").splitlines()[0].split("\t")[0]
    _run(data_dir, "rotate", key_id)
    rows = {row["key_id"]: row for row in json.loads(_run(data_dir, "list", "--json"))}
    kept = datetime.fromisoformat(rows[key_id]["expires_at"]) - datetime.fromisoformat(rows[key_id]["created_at"])
    assert timedelta(days=6, hours=23) < kept < timedelta(days=7, minutes=5)  # SKILLPULSE_ACCESS_ROTATION_OVERLAP_DAYS
