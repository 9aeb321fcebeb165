"""The xAPI statements resource on a real stack (HTTP → tansu → aggregator → chdb, in this
process): a real LRS client (Rustici's TinCanPython) and raw HTTP requests."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from tincan import Activity, Agent, AgentAccount, RemoteLRS, Statement, Verb

from skillpulse.app import Stack
from skillpulse.config import Settings
from skillpulse.kafka import client_options, end_offsets
from skillpulse.kpi import KpiParams
from skillpulse.kpi.catalogue import rows, scalar
from skillpulse.sources.xapi_auth import ensure_xapi_credentials
from skillpulse.stack_client import Pipeline
from tests.sources.xapi_statements import ADL, COURSE, MOODLE, account, statement, voiding

pytestmark = pytest.mark.integration

PLATFORM = "skilltech.tools"
MARCH = KpiParams(start=date(2026, 3, 1), end=date(2026, 3, 31))


def _basic(settings: Settings, platform: str = PLATFORM) -> dict[str, str]:
    key, secret = ensure_xapi_credentials(settings)[platform]
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}


async def _post(stack: Stack, body: Any, headers: dict[str, str], **params: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as client:
        return await client.post("/xapi/statements", json=body, headers=headers, params=params)


async def _stored(stack: Stack, settings: Settings) -> None:
    await Pipeline(stack.url, stack.bootstrap, settings, stack).wait_until_stored(timeout_s=60)


def _trained(stack: Stack) -> int:
    assert stack.store is not None
    return int(scalar("trained-users", stack.store, MARCH)["trained_users"])


def _funnel(stack: Stack) -> dict[str, int]:
    assert stack.store is not None
    return {row["status"]: row["users"] for row in rows("training-funnel", stack.store, MARCH)}


async def _topic_values(settings: Settings, bootstrap: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(settings.kafka.topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None, **client_options(settings.kafka))
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=3000)
        return [record.value or b"" for records in batches.values() for record in records]
    finally:
        await consumer.stop()


def _tincan_completion(lrs_name: str, statement_id: str | None = None) -> Statement:
    return Statement(
        id=statement_id,
        actor=Agent(name="Ben Example", account=AgentAccount(home_page=MOODLE, name=lrs_name)),
        verb=Verb(id=ADL + "completed", display={"en-US": "completed"}),
        object=Activity(id=COURSE),
        timestamp="2026-03-03T10:00:00+01:00",
    )


async def test_an_lrs_client_stores_statements_counted_once_in_ma4(settings: Settings) -> None:
    key, secret = ensure_xapi_credentials(settings)[PLATFORM]
    async with Stack(settings) as stack:
        lrs = RemoteLRS(endpoint=f"{stack.url}/xapi/", username=key, password=secret, version="1.0.3")
        about = await asyncio.to_thread(lrs.about)
        assert about.success and "1.0.3" in about.content.version
        put = await asyncio.to_thread(lrs.save_statement, _tincan_completion("ben", str(uuid.uuid4())))  # PUT
        posted = await asyncio.to_thread(lrs.save_statements, [_tincan_completion("cleo"), _tincan_completion("dan")])
        assert put.success and put.response.status == 204, put.data
        assert posted.success and len({s.id for s in posted.content}) == 2, posted.data  # ids assigned
        # Raw HTTP: an mbox actor, a resend (same id), and a verb we do not count.
        mbox = statement(actor={"mbox": "mailto:eve@school.lu"})
        ignored = statement("experienced")
        first = await _post(stack, [mbox, ignored], _basic(settings))
        again = await _post(stack, mbox, _basic(settings))
        assert first.status_code == 200 and first.json() == [mbox["id"], ignored["id"]]
        assert again.status_code == 200 and first.headers["X-Experience-API-Version"] == "1.0.3"
        await _stored(stack, settings)
        assert _trained(stack) == 4  # ben, cleo, dan, eve: the resend counted once, the other verb not at all
        assert stack.store is not None
        assert stack.store.query("SELECT count() FROM events").result_rows == [(4,)]
        values = b"".join(await _topic_values(settings, stack.bootstrap))
        assert b"eve@school.lu" not in values and b'"ben"' not in values and b"account" not in values
        await asyncio.sleep(2.5)  # the collector's counts reach pipeline_stats every second
        ignored_counts = stack.store.query("SELECT reason, sum(value) FROM pipeline_stats WHERE metric = 'ignored' "
                                           "GROUP BY reason").result_rows
        assert ignored_counts == [(ADL + "experienced", 1.0)]


async def test_refused_requests_publish_nothing(settings: Settings) -> None:
    headers = _basic(settings)
    async with Stack(settings) as stack:
        before = await end_offsets(stack.bootstrap, settings.kafka.topic)
        valid, also_valid = statement(), statement()
        invalid = statement(actor={"mbox": "eve@school.lu"})  # not a mailto IRI
        batch = await _post(stack, [valid, invalid, also_valid], headers)
        assert batch.status_code == 400 and batch.json()["index"] == 1 and batch.json()["error"] == "invalid_statement"
        assert "eve@school.lu" not in batch.text  # errors never echo the input
        no_version = await _post(stack, valid, {"Authorization": headers["Authorization"]})
        newer = await _post(stack, valid, headers | {"X-Experience-API-Version": "2.0.0"})
        wrong = await _post(stack, valid, headers | {"Authorization": "Basic " + base64.b64encode(b"k:s").decode()})
        missing = await _post(stack, valid, {"X-Experience-API-Version": "1.0.3"})
        twice = await _post(stack, [valid, valid], headers)
        void_of_activity = await _post(stack, statement("voided"), headers)
        mismatch = await _post_put(stack, valid, headers, str(uuid.uuid4()))
        too_large = await _post(stack, [statement() for _ in range(1500)], headers)
        async with httpx.AsyncClient(base_url=stack.url, timeout=30) as client:
            # Basic auth and a JSON body but no Content-Type (a cross-site form could send it): 415.
            undeclared = await client.post("/xapi/statements", content=json.dumps(valid), headers=headers)
            # No statementId: credentials are checked first, so a stranger gets 401 whatever the query.
            put_stranger = await client.put("/xapi/statements", json=valid,
                                            headers={"X-Experience-API-Version": "1.0.3"})
            put_no_id = await client.put("/xapi/statements", json=valid, headers=headers)
        assert put_stranger.status_code == 401 and put_stranger.json()["error"] == "invalid_lrs_credentials"
        assert put_no_id.status_code == 400 and put_no_id.json()["error"] == "missing_statement_id"
        assert [r.status_code for r in (no_version, newer, twice, void_of_activity, mismatch)] == [400] * 5
        assert wrong.status_code == missing.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Basic")
        assert too_large.status_code == 413 and too_large.json()["error"] == "too_many_statements"
        assert all(r.headers["X-Experience-API-Version"] == "1.0.3" for r in (batch, no_version, wrong, mismatch))
        assert twice.json()["error"] == "duplicate_statement_id"
        assert undeclared.status_code == 415 and undeclared.json() == {
            "error": "unsupported_media_type", "message": "Content-Type: application/json (UTF-8) required"}
        assert undeclared.headers["X-Experience-API-Version"] == "1.0.3"
        assert await end_offsets(stack.bootstrap, settings.kafka.topic) == before
        async with httpx.AsyncClient(base_url=stack.url) as client:
            about = await client.get("/xapi/about")  # open, and without a version header
        assert about.status_code == 200 and about.json() == {"version": ["1.0.3"]}


async def _post_put(stack: Stack, body: Any, headers: dict[str, str], statement_id: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as client:
        return await client.put("/xapi/statements", content=json.dumps(body), headers=headers,
                                params={"statementId": statement_id})


async def test_a_voided_completion_stops_counting_in_ma4_and_the_funnel(settings: Settings) -> None:
    headers = _basic(settings)
    async with Stack(settings) as stack:
        completion, other = statement(actor=account("ana")), statement(actor=account("ben"))
        assert (await _post(stack, [completion, other], headers)).status_code == 200
        await _stored(stack, settings)
        assert _trained(stack) == 2 and _funnel(stack)["completed"] == 2
        void = await _post(stack, voiding(completion["id"]), headers)
        assert void.status_code == 200
        # A void that comes first: the statement it withdraws never counts.
        early = statement(actor=account("cleo"))
        assert (await _post(stack, voiding(early["id"]), headers)).status_code == 200
        await _stored(stack, settings)
        assert (await _post_put(stack, early, headers, early["id"])).status_code == 204
        await _stored(stack, settings)
        assert _trained(stack) == 1 and _funnel(stack)["completed"] == 1
        assert stack.store is not None
        assert stack.store.query("SELECT toString(event_id) FROM events").result_rows == [(other["id"],)]
