"""Who may call what, on every route of a real running stack (`Stack(settings)`): nothing
without credentials but /healthz and /readyz; a viewer reads, an operator also changes
state, a platform key only sends events; Basic only where nothing changes; state changes
only with a JSON body; a Host not allowed is 400."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
import pytest_asyncio
from fastapi.routing import APIRoute

from skillpulse.access import Access
from skillpulse.app import Stack
from skillpulse.config import (
    AggregatorSettings,
    ClickHouseSettings,
    CollectorSettings,
    KafkaSettings,
    PathSettings,
    Settings,
)
from skillpulse.credentials import ensure_api_keys, local_operator_token, open_keyring
from tests.factories import platform_event

# One stack for the module (each test only reads, or undoes what it changed): starting
# one per test would cost a dozen seconds each.
pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

OPEN = {"/healthz", "/readyz"}
# Routes that check credentials of their own (a realm's signature, LRS credentials, platform keys).
OWN_CREDENTIALS = {"/v1/events", "/v1/sources/keycloak", "/xapi/statements", "/xapi/about"}
# Erasure by a platform of its own users: a platform key only (tests/api/test_erasure.py).
PLATFORM_ONLY = {"/v1/erasures"}
OPERATOR = {"/v1/dead-letters", "/v1/dead-letters/replay", "/v1/rollups/refresh", "/v1/blog/articles"}
BODIES = {"/v1/blog/articles": {"articles": []}}  # a valid body for routes that need more than {}
OPERATOR |= {"/v1/backups", "/v1/erasures/operator"}  # a backup into the data dir; an erasure of no one
BODIES |= {"/v1/erasures/operator": {"platform": "skilltech.tools", "user_id": "access-test"}}
# The tool catalogue's changes: a declaration, then (routes run in order) its retirement.
OPERATOR |= {"/v1/tools/declare", "/v1/tools/retire"}
BODIES |= {"/v1/tools/declare": {"tool_id": "access-test", "category": "other", "available_from": "2026-01-01"},
           "/v1/tools/retire": {"tool_id": "access-test", "retired_on": "2026-02-01"}}
# Reports' audit trail (Art. 12): a snapshot stored, and one looked up (none has the path's hash).
OPERATOR |= {"/v1/report-snapshots", "/v1/report-snapshots/{sha256}"}
BODIES |= {"/v1/report-snapshots": {
    "snapshot_id": "0b4c8f8e-5d0a-4f6e-9a51-3c1d2b7e9f10", "kind": "annual", "figures": [], "data_watermark": None,
    "parameters": {"platforms": ["skilltech.tools"], "from": "2026-01-01", "to": "2026-12-31"},
    "software_version": "access-test", "file_sha256": "0" * 64, "generated_at": "2027-02-01T10:00:00Z"}}
# xAPI's About resource tells the versions spoken, before a client has credentials (as LRSs do).
OPEN_BY_SPEC = {"/xapi/about"}
QUERY = {"from": "2026-01-01", "to": "2026-01-02", "as_of": "2026-01-02",
         "statementId": "c6a1a0b4-6e0c-4c5e-9f57-7f4a6b1f1c11"}


class Running(NamedTuple):
    client: httpx.AsyncClient
    routes: list[tuple[str, str]]  # (method, path) of every route the app serves
    viewer: str
    operator: str
    platform: str


def _concrete(path: str) -> str:
    return path.replace("{metric}", "dau")


def _served(routes: list[Any]) -> Iterator[APIRoute]:
    """Every route, including those of included routers (FastAPI wraps them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _served(route.original_router.routes)


@pytest.fixture(scope="module")
def stack_settings(tmp_path_factory: pytest.TempPathFactory, chdb_path: Path, kafka_bootstrap: str) -> Settings:
    unique = uuid.uuid4().hex[:10]
    return Settings(
        paths=PathSettings(data_dir=tmp_path_factory.mktemp("access") / "data"),
        kafka=KafkaSettings(bootstrap=kafka_bootstrap, topic=f"events-{unique}", dlq_topic=f"dlq-{unique}",
                            stats_topic=f"stats-{unique}", partitions=1),
        clickhouse=ClickHouseSettings(path=chdb_path, database=f"test_{unique}"),
        collector=CollectorSettings(port=0),
        aggregator=AggregatorSettings(group_id=f"aggregator-{unique}", batch_timeout_ms=100, retry_backoff_s=0.2),
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def running(stack_settings: Settings) -> AsyncIterator[Running]:
    settings = stack_settings
    async with Stack(settings) as stack:
        assert stack._app is not None
        routes = sorted({(method, _concrete(route.path)) for route in _served(stack._app.routes)
                         for method in route.methods})
        ring = open_keyring(settings)
        operator = local_operator_token(settings.paths.data_dir)
        assert operator is not None
        async with httpx.AsyncClient(base_url=stack.url, timeout=60) as client:
            yield Running(client, routes, ring.create(Access.VIEWER, label="test viewer").token, operator,
                          ensure_api_keys(settings)["skilltech.tools"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"board:{token}".encode()).decode()}


async def _call(running: Running, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    if method == "GET":
        return await running.client.get(path, params=QUERY, headers=headers)
    return await running.client.request(method, path, params=QUERY, json=BODIES.get(path, {}), headers=headers)


async def test_every_route_but_the_probes_needs_credentials(running: Running) -> None:
    paths = {path for _, path in running.routes}
    assert {"/v1/kpi", "/v1/kpi/dau", "/v1/kpi/summary", "/v1/health/pipeline", "/v1/freshness", "/board", "/",
            "/openapi.json", "/docs", *OPERATOR, *OPEN} <= paths
    answers = {(method, path): (await _call(running, method, path, {})).status_code
               for method, path in running.routes}
    opened = {("GET", path) for path in OPEN | OPEN_BY_SPEC}
    assert {route for route, status in answers.items() if status != 401} == opened
    assert {route for route, status in answers.items() if status == 200} == opened


async def test_refusals_are_problems_with_a_challenge(running: Running) -> None:
    kpi = await running.client.get("/v1/kpi")
    replay = await running.client.post("/v1/dead-letters/replay", json={"reason": ""})
    assert kpi.status_code == 401 and kpi.json()["error"] == "unauthenticated"
    assert kpi.headers["WWW-Authenticate"] == 'Basic realm="Skilltech Pulse", charset="UTF-8"'
    assert replay.status_code == 401 and replay.headers["WWW-Authenticate"] == "Bearer"  # no Basic prompt
    wrong = await running.client.get("/v1/kpi", headers=_bearer(running.viewer + "x"))
    assert wrong.status_code == 401 and set(wrong.json()) == {"error", "message"}
    assert running.viewer not in wrong.text


async def test_a_viewer_reads_and_may_not_operate(running: Running) -> None:
    for method, path in running.routes:
        if path in OPEN | OWN_CREDENTIALS | PLATFORM_ONLY:
            continue
        answer = await _call(running, method, path, _bearer(running.viewer))
        if path in OPERATOR:
            assert answer.status_code == 403 and answer.json()["error"] == "forbidden", (method, path)
        else:
            assert answer.status_code in (200, 307), (method, path, answer.status_code)
    docs = await running.client.get("/openapi.json", headers=_bearer(running.viewer))
    assert "/v1/kpi/summary" in docs.json()["paths"]


async def test_an_operator_does_everything_a_viewer_does_and_operates(running: Running) -> None:
    for method, path in running.routes:
        if path in OPEN | OWN_CREDENTIALS | PLATFORM_ONLY:
            continue
        answer = await _call(running, method, path, _bearer(running.operator))
        assert answer.status_code in (200, 307), (method, path, answer.status_code)
    replay = await running.client.post("/v1/dead-letters/replay", json={"reason": ""},
                                       headers=_bearer(running.operator))
    assert replay.json()["replayed"] == 0


async def test_a_platform_key_only_sends_events(running: Running) -> None:
    for method, path in running.routes:
        if path in OPEN | OWN_CREDENTIALS | PLATFORM_ONLY:
            continue
        answer = await _call(running, method, path, _bearer(running.platform))
        assert answer.status_code == 403, (method, path, answer.status_code)
    sent = await running.client.post("/v1/events", json=platform_event(), headers=_bearer(running.platform))
    assert sent.status_code == 202
    as_viewer = await running.client.post("/v1/events", json=platform_event(), headers=_bearer(running.viewer))
    assert as_viewer.status_code == 403


async def test_basic_reads_but_never_changes_state(running: Running) -> None:
    board = await running.client.get("/board", headers=_basic(running.viewer))
    kpi = await running.client.get("/v1/kpi/summary", params=QUERY, headers=_basic(running.viewer))
    assert board.status_code == 200 and "<html" in board.text.lower() and kpi.status_code == 200
    for path in ("/v1/dead-letters/replay", "/v1/rollups/refresh"):
        refused = await running.client.post(path, json={}, headers=_basic(running.operator))
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer", path
    bad = await running.client.get("/v1/kpi", headers={"Authorization": "Basic !!!not base64"})
    assert bad.status_code == 401


async def test_state_changes_need_a_json_body(running: Running) -> None:
    auth = _bearer(running.operator)
    plain = await running.client.post("/v1/dead-letters/replay", content=b'{"reason": ""}',
                                      headers=auth | {"Content-Type": "text/plain"})
    untyped = await running.client.post("/v1/rollups/refresh", content=b"{}", headers=auth)
    assert (plain.status_code, untyped.status_code) == (415, 415)
    assert plain.json()["error"] == "unsupported_media_type"
    query_only = await running.client.post("/v1/dead-letters/replay", params={"reason": "x"},
                                           headers=auth | {"Content-Type": "application/json"})
    assert query_only.status_code == 422  # the reason travels in the body now
    extra = await running.client.post("/v1/dead-letters/replay", json={"reason": "", "all": True}, headers=auth)
    assert extra.status_code == 422
    done = await running.client.post("/v1/rollups/refresh", json={}, headers=auth)
    assert done.status_code == 200 and "users" in done.json()


async def test_a_cross_site_form_post_is_refused(running: Running) -> None:
    """What a page of another site can make a browser send: a form POST with the ambient
    Basic credentials, no Authorization header of its own, a form content type."""
    form = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example",
            "Referer": "http://evil.example/", "Sec-Fetch-Site": "cross-site"}
    with_basic = await running.client.post("/v1/dead-letters/replay", content=b"reason=", headers=form |
                                           _basic(running.operator))
    without = await running.client.post("/v1/dead-letters/replay", content=b"reason=", headers=form)
    text = await running.client.post("/v1/dead-letters/replay", content=b'{"reason": ""}',
                                     headers=form | {"Content-Type": "text/plain"} | _basic(running.operator))
    assert (with_basic.status_code, without.status_code, text.status_code) == (401, 401, 401)


async def test_a_host_not_allowed_is_400(running: Running) -> None:
    for host in ("evil.example", "evil.example:8080", "127.0.0.1.evil.example", "[::2]:80"):
        answer = await running.client.get("/v1/kpi", headers=_bearer(running.viewer) | {"Host": host})
        assert answer.status_code == 400 and answer.json()["error"] == "host_not_allowed", host
    for host in ("localhost", "LOCALHOST:8080", "127.0.0.1", "[::1]:8080"):
        answer = await running.client.get("/v1/kpi", headers=_bearer(running.viewer) | {"Host": host})
        assert answer.status_code == 200, host
    probe = await running.client.get("/healthz", headers={"Host": "10.0.0.7:8080"})  # an orchestrator's probe
    assert probe.status_code == 200


async def test_keys_made_or_revoked_while_running_count_at_once(running: Running, stack_settings: Settings) -> None:
    ring = open_keyring(stack_settings)  # another handle on the file, as `skillpulse keys` has
    made = ring.create(Access.VIEWER, label="late")
    assert (await running.client.get("/v1/kpi", headers=_bearer(made.token))).status_code == 200
    ring.revoke(made.record.key_id)
    assert (await running.client.get("/v1/kpi", headers=_bearer(made.token))).status_code == 401
    rotated = ring.rotate(ring.create(Access.VIEWER, label="rotated").record.key_id, overlap=timedelta(days=7))
    old = ring.rotate(rotated.record.key_id, overlap=timedelta(0))  # the second rotation ends the first at once
    assert (await running.client.get("/v1/kpi", headers=_bearer(old.token))).status_code == 200
    assert (await running.client.get("/v1/kpi", headers=_bearer(rotated.token))).status_code == 401


async def test_the_document_declares_the_refusals(running: Running) -> None:
    """The OpenAPI document (what schemathesis checks answers against) names 401/403/415."""
    document = (await running.client.get("/openapi.json", headers=_bearer(running.viewer))).json()
    assert {"401", "403"} <= set(document["paths"]["/v1/kpi/summary"]["get"]["responses"])
    assert {"401", "403", "415"} <= set(document["paths"]["/v1/dead-letters/replay"]["post"]["responses"])
    assert document["paths"]["/v1/dead-letters/replay"]["post"]["security"] == [{"HTTPBearer": []}]
