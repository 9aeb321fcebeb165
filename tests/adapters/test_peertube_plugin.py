"""The PeerTube plugin (services/adapters/peertube-plugin-skillpulse) in a stand-in of
PeerTube's plugin API, sending to a real stack in this process (collector → tansu →
aggregator → chdb): what its Node tests sent is stored, once each, under the pseudonym
of PeerTube's user id, after refused and lost answers too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillpulse.app import Stack
from skillpulse.config import Settings
from skillpulse.credentials import ensure_api_keys, pseudonym_secret
from skillpulse.pseudonym import Pseudonymiser
from skillpulse.stack_client import Pipeline
from tests.adapters.node import ADAPTERS, NODE, node_test

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(NODE is None, reason="node is not installed (Node's test runner drives the plugin)")]
PLUGIN = ADAPTERS / "peertube-plugin-skillpulse"
PLATFORM = "skilltech.tube"


async def test_the_plugins_events_are_stored_once_each(settings: Settings, tmp_path: Path) -> None:
    key = ensure_api_keys(settings)[PLATFORM]
    async with Stack(settings) as stack:
        run = await node_test(PLUGIN, "test/plugin.test.js", env={
            "SKILLPULSE_COLLECTOR_URL": stack.url, "SKILLPULSE_PLATFORM_KEY": key,
            "SKILLPULSE_SENT_DIR": str(tmp_path)})
        assert run.returncode == 0, run.output[-4000:]
        assert (run.count("fail"), run.count("skipped")) == (0, 0), run.output[-4000:]
        await Pipeline(stack.url, stack.bootstrap, settings, stack).wait_until_stored(timeout_s=60)
        assert stack.store is not None
        rows = list(stack.store.query(
            "SELECT toString(event_id) AS event_id, type, platform, user_key, login_method, tool_id, tool_category, "
            "action, feature FROM events").named_results())
        stored = {row["event_id"]: row for row in rows}

    sent = {name: json.loads((tmp_path / f"{name}.json").read_text()) for name in ("batches", "retries", "key-fixed")}
    every = [event for events in sent.values() for event in events]
    assert len(sent["batches"]) == 5 and len(sent["retries"]) == 3 and len(sent["key-fixed"]) == 1
    assert len(rows) == len(stored) == len(every)  # each once: the resent batch too
    assert set(stored) == {event["event_id"] for event in every}

    pseudonym = Pseudonymiser(pseudonym_secret(settings))
    for event in every:
        row = stored[event["event_id"]]
        assert row["platform"] == PLATFORM
        # PeerTube's user id, pseudonymised (user_key is a FixedString: bytes)
        assert row["user_key"].decode() == pseudonym.user_key(PLATFORM, event["user_id"])
        if event["type"] == "login":
            assert (row["type"], row["login_method"]) == ("login", event["method"])
        else:
            assert (row["type"], row["tool_id"], row["tool_category"], row["action"], row["feature"]) == (
                "tool_use", event["tool_id"], "video", "open", event.get("feature", ""))
    logins = sorted((event["user_id"], event["method"]) for event in sent["batches"] if event["type"] == "login")
    assert logins == [("12", "sso"), ("7", "password")]  # the two refresh grants are no logins
    user_keys = {row["user_key"].decode() for row in rows}
    assert user_keys == {pseudonym.user_key(PLATFORM, user_id) for user_id in ("7", "12", "31")}
