"""The H5P forwarder (services/adapters/h5p-forwarder) in headless Chromium: a page
dispatches H5P-shaped xAPI statements through H5P.externalDispatcher, the forwarder sends
them in batches to the real stack's POST /xapi/statements (through the page's own site,
tests/adapters/h5p_site.py), and what is left goes when the page is left: fetch keepalive
with Basic auth from the page, or sendBeacon through a relay that adds the credentials.
The mapped statements are stored, once each; the others are counted as ignored."""

from __future__ import annotations

import asyncio
import base64
import re
from pathlib import Path
from typing import Any

import pytest

from skillpulse.app import Stack
from skillpulse.config import Settings
from skillpulse.sources.xapi_auth import ensure_xapi_credentials
from skillpulse.stack_client import Pipeline
from tests.adapters.h5p_site import H5PSite
from tests.board.browser import CHROMIUM, chromium, serving

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(CHROMIUM is None,
                       reason="Debian's chromium is not installed (`apt-get install chromium`; .ci/run installs it)"),
]
PLATFORM = "skilltech.tools"
ADL = "http://adlnet.gov/expapi/verbs/"
ANA = {"name": "Ana", "mail": "ana@school.lu"}
BEN = {"guestId": "3f2a9c1e-guest"}  # a visitor without an account: H5P's stored account actor
CAI = {"name": "Cai", "mail": "cai@school.lu"}


def _basic(settings: Settings) -> str:
    key, secret = ensure_xapi_credentials(settings)[PLATFORM]
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def _event(user: dict[str, str], verb: str, content: int, **options: Any) -> dict[str, Any]:
    return {"user": user, "verb": verb, "content": content, "options": options}


async def _run_page(site: H5PSite, tmp_path: Path) -> str:
    with serving(site.app()) as url:
        dom = await asyncio.to_thread(chromium, tmp_path, "--dump-dom", f"{url}/h5p/page.html", virtual_ms=60_000)
    assert dom.returncode == 0, dom.stderr[-3000:]
    return dom.stdout


def _stored(stack: Stack) -> dict[str, dict[str, Any]]:
    assert stack.store is not None
    rows = stack.store.query("SELECT toString(event_id) AS event_id, type, platform, user_key, training_id, "
                             "training_status FROM events").named_results()
    return {row["event_id"]: row for row in rows}


async def _ignored(stack: Stack) -> dict[str, float]:
    assert stack.store is not None
    await asyncio.sleep(2.5)  # the collector's counts reach pipeline_stats every second
    found = stack.store.query("SELECT reason, sum(value) FROM pipeline_stats WHERE metric = 'ignored' "
                              "AND platform = {p:String} GROUP BY reason", parameters={"p": PLATFORM}).result_rows
    return {str(reason): float(total) for reason, total in found}


async def _visit(stack: Stack, settings: Settings, site_config: dict[str, Any],
                 tmp_path: Path) -> tuple[H5PSite, dict[str, dict[str, Any]]]:
    """The page, through the test site in front of `stack`, visited to its end; then what
    the store holds once everything sent is stored."""
    site = H5PSite(stack.url, _basic(settings), site_config, final_statements=2)
    dom = await _run_page(site, tmp_path)
    assert re.search(r'data-status="done"[^>]*>\{"arrived":true\}', dom), dom[-2000:]
    await Pipeline(stack.url, stack.bootstrap, settings, stack).wait_until_stored(timeout_s=60)
    return site, _stored(stack)


async def test_statements_are_batched_and_the_rest_sent_with_keepalive_at_pagehide(
        settings: Settings, tmp_path: Path) -> None:
    key, secret = ensure_xapi_credentials(settings)[PLATFORM]
    events = [
        _event(ANA, "attempted", 1),
        {**_event(ANA, "answered", 1), "broken": True},  # no actor: the LRS refuses it, its batch is resent one by one
        _event(ANA, "interacted", 1, subContentId="q1"),
        _event(ANA, "answered", 1, subContentId="q1", score=1, max=1),
        _event(ANA, "completed", 1, score=4, max=5),
        _event(BEN, "attempted", 2),
        # not acknowledged before the page is left: they go at pagehide
        _event(BEN, "interacted", 2),
        _event(BEN, "completed", 2, score=3, max=3),
    ]
    site_config = {"forwarder": {"endpoint": "/xapi/statements", "auth": {"key": key, "secret": secret},
                                 "batchSize": 3, "flushIntervalMs": 600_000},
                   "events": events, "acknowledgedBeforeLeaving": 5, "refusedBeforeLeaving": 1}
    async with Stack(settings) as stack:
        site, stored = await _visit(stack, settings, site_config, tmp_path)
        ignored = await _ignored(stack)

    assert site.report is not None
    sent = site.report["sent"]
    assert len(sent) == 8 and all(re.fullmatch(r"[0-9a-f-]{36}", s["id"]) and s["timestamp"] for s in sent)
    ids = [s["id"] for s in sent]
    # The first batch of 3 was refused for its broken statement, then resent one by one.
    assert [(r.statement_ids, r.status) for r in site.requests[:4]] == [
        (ids[0:3], 400), (ids[0:1], 200), (ids[1:2], 400), (ids[2:3], 200)]
    assert [(r.statement_ids, r.status, r.after_report) for r in site.requests[4:]] == [
        (ids[3:6], 200, False), (ids[6:8], 200, True)]  # the last ones at pagehide
    assert all(r.authorization and r.version_header for r in site.requests)  # fetch keepalive carries both

    trainings = {0: "started", 4: "completed", 5: "started", 7: "completed"}  # attempted/completed
    assert set(stored) == {ids[i] for i in trainings}  # each once, the refused one not at all
    for i, status in trainings.items():
        row = stored[ids[i]]
        assert (row["type"], row["platform"], row["training_status"]) == ("training", PLATFORM, status)
        assert row["training_id"] == f"https://skilltech.tools/h5p/embed/{events[i]['content']}"
    assert stored[ids[0]]["user_key"] == stored[ids[4]]["user_key"] != stored[ids[5]]["user_key"]
    assert ignored == {ADL + "interacted": 2.0, ADL + "answered": 1.0}


async def test_a_relayed_page_sends_with_send_beacon_at_pagehide(settings: Settings, tmp_path: Path) -> None:
    events = [_event(CAI, "attempted", 2), _event(CAI, "completed", 2, score=2, max=2)]
    site_config = {"forwarder": {"endpoint": "/relay/xapi/statements", "relay": True,
                                 "batchSize": 10, "flushIntervalMs": 600_000},
                   "events": events, "acknowledgedBeforeLeaving": 0, "refusedBeforeLeaving": 0}
    async with Stack(settings) as stack:
        site, stored = await _visit(stack, settings, site_config, tmp_path)

    assert site.report is not None and site.report["waiting"] == 2  # nothing sent while the page lived
    ids = [s["id"] for s in site.report["sent"]]
    # One request, at pagehide, without the headers a beacon cannot carry: the relay added them.
    assert [(r.statement_ids, r.status, r.after_report, r.authorization, r.version_header)
            for r in site.requests] == [(ids, 200, True, False, False)]
    assert {i: (row["type"], row["training_status"]) for i, row in stored.items()} == {
        ids[0]: ("training", "started"), ids[1]: ("training", "completed")}
