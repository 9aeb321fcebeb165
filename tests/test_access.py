"""The keyring: tokens made, found, rotated with an overlap, expired and revoked; only
hashes on disk, mode 0600; the defaults a data dir gets on first use."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from skillpulse.access import Access, Keyring, KeyringError, hash_token
from skillpulse.config import CollectorSettings, PathSettings, Settings
from skillpulse.credentials import ensure_api_keys, local_operator_token, open_keyring

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def ring(tmp_path: Path) -> Keyring:
    return Keyring(tmp_path / "access-keys.json")


def test_a_created_token_names_its_principal(ring: Keyring) -> None:
    viewer = ring.create(Access.VIEWER, label="manager dashboard", now=NOW)
    platform = ring.create(Access.PLATFORM, platform="skilltech.tube", now=NOW)
    assert viewer.token.startswith("spk_viewer_") and platform.token.startswith("spk_platform_")
    assert len(viewer.token.removeprefix("spk_viewer_")) >= 43  # 256 bits, url-safe base64
    found = ring.authenticate(viewer.token, NOW)
    assert found is not None and found.access is Access.VIEWER and found.name == "manager dashboard"
    assert found.key_id == viewer.record.key_id
    sender = ring.authenticate(platform.token, NOW)
    assert sender is not None and sender.platform == "skilltech.tube" and sender.access is Access.PLATFORM
    assert ring.authenticate(viewer.token + "x", NOW) is None
    assert ring.authenticate("", NOW) is None


def test_the_file_holds_hashes_only_and_is_private(ring: Keyring) -> None:
    issued = [ring.create(access, platform="skilltech.tools" if access is Access.PLATFORM else None, now=NOW)
              for access in Access]
    text = ring.path.read_text()
    assert oct(ring.path.stat().st_mode & 0o777) == "0o600"
    for key in issued:
        assert key.token not in text
        assert key.token.split("_", 2)[2] not in text  # not even the random part
        assert hash_token(key.token) in text
    stored = json.loads(text)["keys"]
    assert {tuple(sorted(entry)) for entry in stored} == {
        ("access", "created_at", "expires_at", "key_id", "label", "platform", "sha256")}


def test_an_operator_may_do_what_a_viewer_may_and_no_more_than_itself() -> None:
    assert Access.OPERATOR.allows(Access.VIEWER) and Access.OPERATOR.allows(Access.OPERATOR)
    assert not Access.VIEWER.allows(Access.OPERATOR)
    assert not Access.PLATFORM.allows(Access.VIEWER) and not Access.OPERATOR.allows(Access.PLATFORM)


def test_rotation_keeps_the_old_token_for_the_overlap_only(ring: Keyring) -> None:
    old = ring.create(Access.OPERATOR, label="ops", now=NOW)
    new = ring.rotate(old.record.key_id, overlap=timedelta(days=7), now=NOW)
    assert new.record.access is Access.OPERATOR and new.record.label == "ops" and new.token != old.token
    day_6, day_8 = NOW + timedelta(days=6), NOW + timedelta(days=8)
    assert ring.authenticate(old.token, day_6) is not None
    assert ring.authenticate(old.token, day_8) is None  # expired: refused
    assert ring.authenticate(new.token, day_8) is not None
    listed = {record.key_id: record for record in ring.list_keys()}
    assert listed[old.record.key_id].expires_at == NOW + timedelta(days=7)
    assert listed[new.record.key_id].expires_at is None


def test_a_zero_overlap_ends_the_old_token_at_once(ring: Keyring) -> None:
    old = ring.create(Access.VIEWER, now=NOW)
    ring.rotate(old.record.key_id, overlap=timedelta(0), now=NOW)
    assert ring.authenticate(old.token, NOW) is None


def test_revoked_is_refused_and_unknown_ids_are_named(ring: Keyring) -> None:
    kept, gone = ring.create(Access.VIEWER, now=NOW), ring.create(Access.VIEWER, now=NOW)
    assert ring.authenticate(gone.token, NOW) is not None  # cached before the change
    ring.revoke(gone.record.key_id)
    assert ring.authenticate(gone.token, NOW) is None
    assert ring.authenticate(kept.token, NOW) is not None
    with pytest.raises(KeyringError):
        ring.revoke(gone.record.key_id)
    with pytest.raises(KeyringError):
        ring.rotate("key_nope", overlap=timedelta(days=1))


def test_another_process_changes_are_seen_without_a_restart(ring: Keyring) -> None:
    """Two Keyring objects on one file stand for the stack and the CLI."""
    stack = ring
    cli = Keyring(ring.path)
    assert stack.authenticate("spk_viewer_nothing", NOW) is None  # the stack has read the (missing) file
    made = cli.create(Access.VIEWER, now=NOW)
    assert stack.authenticate(made.token, NOW) is not None
    cli.revoke(made.record.key_id)
    assert stack.authenticate(made.token, NOW) is None


def test_a_platform_key_names_its_platform(ring: Keyring) -> None:
    with pytest.raises(KeyringError):
        ring.create(Access.PLATFORM)
    with pytest.raises(KeyringError):
        ring.create(Access.VIEWER, platform="skilltech.tools")


def test_a_data_dir_gets_platform_keys_and_a_local_operator_token(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLPULSE_TOKEN", raising=False)
    settings = Settings(paths=PathSettings(data_dir=tmp_path / "data"))
    keys = ensure_api_keys(settings)
    assert set(keys) == set(settings.collector.platforms)
    assert ensure_api_keys(settings) == keys  # made once
    data = settings.paths.data_dir
    for name in ("api-keys.txt", "operator.token", "access-keys.json"):
        assert oct((data / name).stat().st_mode & 0o777) == "0o600", name
    ring = open_keyring(settings)
    token = local_operator_token(data)
    assert token is not None and token.startswith("spk_operator_")
    operator = ring.authenticate(token)
    assert operator is not None and operator.access is Access.OPERATOR
    for platform, key in keys.items():
        found = ring.authenticate(key)
        assert found is not None and found.platform == platform and found.access is Access.PLATFORM
    text = (data / "access-keys.json").read_text()
    assert token not in text and not any(key in text for key in keys.values())
    monkeypatch.setenv("SKILLPULSE_TOKEN", "spk_viewer_from_env")
    assert local_operator_token(data) == "spk_viewer_from_env"


def test_an_older_data_dirs_plain_keys_keep_working(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "api-keys.txt").write_text("skilltech.tools sp_tools_old\n")
    os.chmod(data / "api-keys.txt", 0o600)
    ring = open_keyring(Settings(paths=PathSettings(data_dir=data)))
    found = ring.authenticate("sp_tools_old")
    assert found is not None and found.platform == "skilltech.tools"


def test_production_hashes_from_the_environment_authenticate(tmp_path: Path) -> None:
    key = "sp_cafe_production"
    settings = Settings(paths=PathSettings(data_dir=tmp_path / "data"),
                        collector=CollectorSettings(api_key_hashes={"skilltech.cafe": hash_token(key).upper()}))
    ring = open_keyring(settings)
    found = ring.authenticate(key)
    assert found is not None and found.platform == "skilltech.cafe" and found.access is Access.PLATFORM
    assert not (settings.paths.data_dir / "api-keys.txt").exists()  # production: no embedded keys made
    assert local_operator_token(settings.paths.data_dir) is not None
    with pytest.raises(KeyringError, match="environment"):
        ring.revoke("env:skilltech.cafe")
    with pytest.raises(KeyringError, match="SKILLPULSE_COLLECTOR_API_KEY_HASHES"):
        ensure_api_keys(settings)  # no platform key made on the side of production's
    assert not (settings.paths.data_dir / "api-keys.txt").exists()
    assert [r.platform for r in ring.list_keys() if r.access is Access.PLATFORM] == ["skilltech.cafe"]


def test_a_full_batch_must_fit_the_rate_limit_burst() -> None:
    with pytest.raises(ValueError, match="RATE_LIMIT_BURST"):
        CollectorSettings(max_events=5000, rate_limit_burst=1000)
    assert CollectorSettings(max_events=1000, rate_limit_burst=1000).max_events == 1000
