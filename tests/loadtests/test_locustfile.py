"""The Locust file, run headless by Locust itself against the real embedded stack."""

from __future__ import annotations

import asyncio
import csv
import shutil
import sys
from pathlib import Path

import pytest

from skillpulse.app import Stack
from skillpulse.config import Settings
from skillpulse.credentials import ensure_api_keys
from skillpulse.stack_client import Pipeline

pytestmark = pytest.mark.integration
LOCUSTFILE = Path(__file__).parents[2] / "loadtests" / "locustfile.py"


async def test_locust_posts_for_every_platform_without_failures(settings: Settings, tmp_path: Path) -> None:
    locust = shutil.which("locust", path=str(Path(sys.executable).parent))
    assert locust, "locust is a test dependency"
    keys = "".join(f"{platform} {key}\n" for platform, key in ensure_api_keys(settings).items())
    async with Stack(settings) as stack:
        process = await asyncio.create_subprocess_exec(
            locust, "-f", str(LOCUSTFILE), "--headless", "-u", "3", "-r", "3", "-t", "6s", "--host", stack.url,
            "--csv", str(tmp_path / "locust"), "--only-summary", env={"SKILLPULSE_API_KEYS": keys, "PATH": ""},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        output, _ = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 0, output.decode()[-2000:]
        await Pipeline(stack.url, stack.bootstrap, settings, stack).wait_until_stored(timeout_s=60)
        assert stack.store is not None
        stored = stack.store.query("SELECT count(), uniqExact(platform) FROM events").result_rows[0]
    with (tmp_path / "locust_stats.csv").open() as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    assert int(rows["Aggregated"]["Request Count"]) > 0 and rows["Aggregated"]["Failure Count"] == "0"
    assert int(rows["POST /v1/events [1]"]["Request Count"]) > 0
    assert stored[1] == 3  # three users, one per platform, each with its own key
    assert stored[0] >= int(rows["Aggregated"]["Request Count"])  # every request carried ≥ 1 stored event
