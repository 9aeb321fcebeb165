"""`skillpulse sources keycloak --once` as a separate process: the stand-in Keycloak's logins
reach a running stack through --collector-url/--api-key, and the cursor lands in the data dir."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from skillpulse.app import Stack
from skillpulse.config import Settings
from skillpulse.credentials import ensure_api_keys
from skillpulse.stack_client import Pipeline
from tests.sources.keycloak_standin import StandInKeycloak, serve
from tests.sources.payloads import REALM, payload

pytestmark = pytest.mark.integration

T0 = 1772442000000


async def test_poll_once_from_the_command_line(settings: Settings, tmp_path: Path) -> None:
    keycloak = StandInKeycloak(REALM, "skillpulse-poller", "poller-secret")
    keycloak.events += [payload("http_login", sessionId="s-1", clientId=client, time=T0 + n)
                        for n, client in enumerate(["portal", "h5p-studio"])]
    keycloak.events.append(payload("http_login", sessionId="s-2", time=T0 + 5))
    secret_file = tmp_path / "client-secret"
    secret_file.write_text("poller-secret\n")
    poller_dir = tmp_path / "poller"
    async with Stack(settings) as stack:
        with serve(keycloak):
            command = [sys.executable, "-m", "skillpulse", "--data-dir", str(poller_dir), "sources", "keycloak",
                       "--url", keycloak.url, "--realm", REALM, "--client-id", keycloak.client_id,
                       "--client-secret-file", str(secret_file), "--once", "--collector-url", stack.url,
                       "--api-key", f"skilltech.tools={ensure_api_keys(settings)['skilltech.tools']}"]
            process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                           stderr=asyncio.subprocess.PIPE)
            out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode == 0, err.decode()
        await Pipeline(stack.url, stack.bootstrap, settings, stack).wait_until_stored(timeout_s=60)
        assert stack.store is not None
        stored = stack.store.query("SELECT count() FROM events").result_rows
    report = json.loads(out)
    assert (report["fetched"], report["accepted"], report["cursor_ms"]) == (3, 3, T0 + 5)
    assert stored == [(2,)]  # two sessions
    assert json.loads((poller_dir / "keycloak-cursors" / f"{REALM}.json").read_text()) == {"time_ms": T0 + 5}
    assert "poller-secret" not in out.decode() + err.decode()
