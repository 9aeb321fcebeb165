"""Erasure and backup through a real running stack (`Stack(settings)`): a platform key erases
a user of its own platform only, an operator any (HTTP and `skillpulse erase`), nothing
echoes or logs the raw id; `skillpulse backup` asks the stack's process, which holds the
store, and moves the backup where it was asked."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from skillpulse.access import Access
from skillpulse.app import Stack
from skillpulse.cli.commands import main
from skillpulse.config import Settings
from skillpulse.credentials import ensure_api_keys, local_operator_token, open_keyring
from skillpulse.kpi.params import KpiParams
from skillpulse.stack_client import Pipeline, fetch_metric
from skillpulse.store.backup import read_manifest
from skillpulse.store.erasure import erasure_key, rows_holding
from tests.factories import platform_event

pytestmark = pytest.mark.integration

TOOLS, TUBE = "skilltech.tools", "skilltech.tube"
ALICE, BOB, CAROL = "alice@school.lu", "bob@school.lu", "carol@school.lu"
DAY = date(2026, 3, 1)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _cli(settings: Settings, *args: str) -> Any:
    done = CliRunner().invoke(main, ["--data-dir", str(settings.paths.data_dir), *args])
    assert done.exit_code == 0, done.output
    return json.loads(done.output)


async def _dau(settings: Settings) -> int:
    answer = await asyncio.to_thread(fetch_metric, settings, "dau", KpiParams(start=DAY, end=DAY))
    return int(answer[0]["users"])


async def test_erasure_and_backup_through_the_running_stack(settings: Settings, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with Stack(settings) as stack:
        keys = ensure_api_keys(settings)
        operator = local_operator_token(settings.paths.data_dir)
        viewer = open_keyring(settings).create(Access.VIEWER, label="erasure test").token
        assert operator is not None and stack.store is not None
        async with httpx.AsyncClient(base_url=stack.url, timeout=120) as client:
            for user in (ALICE, ALICE, BOB, CAROL):
                sent = await client.post("/v1/events", json=platform_event(user_id=user), headers=_bearer(keys[TOOLS]))
                assert sent.status_code == 202
            await Pipeline(stack.url, stack.bootstrap, settings, stack).wait_until_stored()
            assert await _dau(settings) == 3

            for token in (viewer, operator):  # the platforms' route takes platform keys only
                refused = await client.post("/v1/erasures", json={"user_id": ALICE}, headers=_bearer(token))
                assert refused.status_code == 403
            for body in ({"user_id": ALICE, "platform": TOOLS}, {"user_id": ALICE + "\x07"}, {"user_id": ""}):
                refused = await client.post("/v1/erasures", json=body, headers=_bearer(keys[TOOLS]))
                assert refused.status_code == 422 and ALICE not in refused.text, refused.text
            unknown = await client.post("/v1/erasures/operator", json={"user_id": ALICE, "platform": "x.y"},
                                        headers=_bearer(operator))
            assert unknown.status_code == 422 and ALICE not in unknown.text

            elsewhere = await client.post("/v1/erasures", json={"user_id": ALICE}, headers=_bearer(keys[TUBE]))
            assert elsewhere.status_code == 200 and elsewhere.json()["rows_removed"] == {}  # tube's Alice: none
            assert await _dau(settings) == 3

            erased = await client.post("/v1/erasures", json={"user_id": ALICE}, headers=_bearer(keys[TOOLS]))
            assert erased.status_code == 200, erased.text
            receipt = erased.json()
            assert receipt["platform"] == TOOLS and receipt["requested_by"] == "platform" and receipt["finished"]
            assert receipt["rows_removed"]["events"] == receipt["rows_removed"]["event_ids"] == 2
            assert ALICE not in erased.text and erasure_key(settings, TOOLS, ALICE) not in erased.text
            assert await _dau(settings) == 2
            assert await asyncio.to_thread(rows_holding, stack.store, erasure_key(settings, TOOLS, ALICE)) == {}

            by_operator = await asyncio.to_thread(_cli, settings, "erase", "--platform", TOOLS, "--user-id", BOB)
            assert by_operator["requested_by"] == "operator" and by_operator["rows_removed"]["events"] == 1
            assert await _dau(settings) == 1

            made = await asyncio.to_thread(_cli, settings, "backup", "--to", str(tmp_path / "backup"))
            assert made["tables"]["events"] == 1 and made["tables"]["erasure_receipts"] >= 3
            manifest = read_manifest(tmp_path / "backup")
            assert {table.table: table.rows for table in manifest.tables} == made["tables"]
            assert not list((settings.paths.data_dir / "backups").iterdir())  # moved, not copied
            restore = CliRunner().invoke(main, ["--data-dir", str(settings.paths.data_dir), "restore", "--from",
                                                str(tmp_path / "backup")])
            assert restore.exit_code != 0 and "stop it" in restore.output
    assert ALICE not in caplog.text and BOB not in caplog.text
