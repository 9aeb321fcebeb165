"""The stack client: a command against a running stack goes over HTTP and loads no server
code; with no stack it opens the store itself (and then does load the engine)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from skillpulse.app import Stack
from skillpulse.config import Settings
from skillpulse.stack_client import client_headers

pytestmark = pytest.mark.integration

SERVER_CODE = {"uvicorn", "faststream", "aiokafka", "chdb", "fastapi", "starlette"}
# Importing httpx imports its own command line (rich, pygments) when they are installed: a KPI
# command's one GET goes through the standard library instead.
SENDER_CODE = {"httpx", "httpcore", "rich", "pygments"}
# Runs the real CLI in a fresh interpreter, then names the modules it loaded.
_CLI = """
import json, sys
from skillpulse.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    print("\\nLOADED " + json.dumps(sorted(sys.modules)))
"""


def _run_cli(data_dir: Path, *args: str) -> tuple[object, set[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")}
    done = subprocess.run([sys.executable, "-c", _CLI, "--data-dir", str(data_dir), *args], capture_output=True,
                          text=True, timeout=240, env=env, check=True)
    output, _, loaded = done.stdout.rpartition("\nLOADED ")
    modules = set(json.loads(loaded))  # each module, and each top-level package
    return json.loads(output), modules | {name.split(".")[0] for name in modules}


async def test_kpi_commands_against_a_running_stack_load_no_server_code(settings: Settings) -> None:
    async with Stack(settings) as stack:
        query = ("--from", "2026-01-01", "--to", "2026-01-31")
        series, loaded = await asyncio.to_thread(_run_cli, settings.paths.data_dir, "kpi", "active-users", *query,
                                                 "--json")
        summary, summary_loaded = await asyncio.to_thread(_run_cli, settings.paths.data_dir, "kpi", "summary",
                                                          "--as-of", "2026-01-31", "--json")
        async with httpx.AsyncClient(base_url=stack.url, headers=client_headers(settings)) as client:
            served = (await client.get("/v1/kpi/active-users",
                                       params={"from": "2026-01-01", "to": "2026-01-31"})).json()
    assert series == served and len(series) == 31  # type: ignore[arg-type]
    assert summary["as_of"] == "2026-01-31"  # type: ignore[index]
    assert loaded & SERVER_CODE == set()
    assert summary_loaded & SERVER_CODE == set()
    assert (loaded | summary_loaded) & SENDER_CODE == set()
    assert "skillpulse.kpi.catalogue" not in summary_loaded  # metric commands are added when looked for


def test_without_a_stack_the_command_opens_the_store(tmp_path: Path) -> None:
    """The control: the same check sees the engine when the command has to open the store."""
    series, loaded = _run_cli(tmp_path / "data", "kpi", "active-users", "--from", "2026-01-01", "--to", "2026-01-02",
                              "--json")
    assert series == [{"day": "2026-01-01", "active_users": 0}, {"day": "2026-01-02", "active_users": 0}]
    assert "chdb" in loaded


async def test_a_command_sends_the_token_it_is_given(settings: Settings) -> None:
    """SKILLPULSE_TOKEN overrides the data dir's operator.token: a viewer token reads the
    KPIs; a wrong one ends the command with a one-line reason, not a traceback."""
    from skillpulse.access import Access
    from skillpulse.credentials import open_keyring

    async with Stack(settings):
        viewer = open_keyring(settings).create(Access.VIEWER, label="script").token

        def run(token: str) -> subprocess.CompletedProcess[str]:
            env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")} | {"SKILLPULSE_TOKEN": token}
            return subprocess.run([sys.executable, "-m", "skillpulse", "--data-dir", str(settings.paths.data_dir),
                                   "kpi", "dau", "--from", "2026-01-01", "--to", "2026-01-02", "--json"],
                                  capture_output=True, text=True, timeout=240, env=env)

        allowed, refused = await asyncio.gather(asyncio.to_thread(run, viewer),
                                                asyncio.to_thread(run, "spk_viewer_wrong"))
    assert allowed.returncode == 0 and len(json.loads(allowed.stdout)) == 2, allowed.stderr
    assert refused.returncode == 1 and "refused this command's token (401)" in refused.stderr
    assert "Traceback" not in refused.stderr and "spk_viewer_wrong" not in refused.stderr


async def test_replaying_dead_letters_returns_what_was_skipped_too(settings: Settings) -> None:
    """Not JSON: the letter keeps no raw record, so the replay cannot rebuild it and says so."""
    from aiokafka import AIOKafkaProducer

    from skillpulse.dead_letters import ReplayOutcome
    from skillpulse.kafka import client_options, wait_until_drained
    from skillpulse.kafka.signing import record_signer
    from skillpulse.stack_client import Pipeline

    async with Stack(settings) as stack:
        producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, **client_options(settings.kafka))
        await producer.start()
        try:
            poison = b"{not json"  # signed: the subject is a letter that cannot be rebuilt
            await producer.send_and_wait(settings.kafka.topic, poison,
                                         headers=record_signer(settings).kafka_headers(poison))
        finally:
            await producer.stop()
        await wait_until_drained(stack.bootstrap, settings.kafka.topic, settings.aggregator.group_id, timeout_s=60,
                                 kafka=settings.kafka)
        running = Pipeline(stack.url, stack.bootstrap, settings, stack)
        outcome = await running.replay_dead_letters("")
    assert outcome == ReplayOutcome(replayed=0, skipped=1)
