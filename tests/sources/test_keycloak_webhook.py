"""Keycloak webhooks through a real stack (tansu, chdb): both payload shapes stored as
logins, one per sign-on session in B2 whatever the retries and SSO sign-ins, a wrong
signature publishing nothing, token events counted as ignored in pipeline_stats."""

from __future__ import annotations

import asyncio
import time
from datetime import date

import httpx
import pytest
from pydantic import SecretStr

from skillpulse.app import Stack
from skillpulse.config import KeycloakSettings, Settings
from skillpulse.kafka import end_offsets
from skillpulse.kpi import KpiParams, active_users_series
from skillpulse.stack_client import Pipeline
from tests.sources.payloads import IP_ADDRESSES, REALM, SECRET, USERNAMES, payload, signed

pytestmark = pytest.mark.integration

T0 = 1772442000000  # 2026-03-02T09:00:00Z
DAY = 86_400_000


@pytest.fixture
def keycloak_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"keycloak": KeycloakSettings(realm_secrets={REALM: SecretStr(SECRET)})})


async def _send(client: httpx.AsyncClient, event: object, secret: str = SECRET) -> httpx.Response:
    body, headers = signed(event, secret)
    return await client.post("/v1/sources/keycloak", content=body, headers=headers)


def _pipeline_counts(stack: Stack, metric: str) -> dict[str, float]:
    assert stack.store is not None
    rows = stack.store.query("SELECT reason, sum(value) FROM pipeline_stats WHERE metric = {m:String} "
                             "GROUP BY reason", parameters={"m": metric}).result_rows
    return {str(reason): float(total) for reason, total in rows}


async def _wait_for_counts(stack: Stack, metric: str, expected: dict[str, float]) -> dict[str, float]:
    deadline = time.monotonic() + 30
    while (found := _pipeline_counts(stack, metric)) != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.5)  # the collector publishes its counts every second
    return found


async def test_sso_sign_ins_and_retries_count_once_in_b2(keycloak_settings: Settings) -> None:
    settings = keycloak_settings
    # Marie: one visit, the portal then two tools through SSO (both shapes), one webhook retried.
    marie = {"userId": "kc-user-marie", "sessionId": "kc-session-1"}
    portal = payload("http_login", **marie, time=T0)
    h5p = payload("webhook_login", auth_userId=marie["userId"], auth_sessionId=marie["sessionId"], time=T0 + 60_000)
    wiki = payload("http_login", **marie, clientId="wiki", time=T0 + 120_000)
    # Luc: two visits on two days, two connections.
    luc_first = payload("webhook_login", auth_userId="kc-user-luc", auth_sessionId="kc-session-2", time=T0)
    luc_second = payload("http_login", userId="kc-user-luc", sessionId="kc-session-3", time=T0 + DAY)
    async with Stack(settings) as stack, httpx.AsyncClient(base_url=stack.url, timeout=30) as client:
        responses = [await _send(client, event) for event in (portal, h5p, wiki, h5p, luc_first, luc_second)]
        ignored = [await _send(client, payload("http_code_to_token", time=T0 + 500)),
                   await _send(client, payload("webhook_refresh_token", time=T0 + 900_000))]
        await Pipeline(stack.url, stack.bootstrap, settings, stack).wait_until_stored(timeout_s=60)
        assert stack.store is not None
        logins = stack.store.query("SELECT count(), uniqExact(event_id), uniqExact(user_key) FROM events "
                                   "WHERE type = 'login' AND login_method = 'sso'").result_rows
        b2 = active_users_series(stack.store, KpiParams(start=date(2026, 3, 3), end=date(2026, 3, 3)))
        rows = repr(stack.store.query("SELECT * FROM events").result_rows)
        ignored_counts = await _wait_for_counts(stack, "ignored", {"CODE_TO_TOKEN": 1, "REFRESH_TOKEN": 1})
    assert [r.status_code for r in responses] == [202] * 6
    assert [r.json()["accepted"] for r in responses] == [1] * 6  # the retry is acknowledged again
    assert [(r.status_code, r.json()["ignored"]) for r in ignored] == [(202, 1), (202, 1)]
    assert logins == [(3, 3, 2)]  # Marie's visit once, Luc's two
    assert b2 == [{"day": "2026-03-03", "active_users": 1}]  # only Luc has 2 connections
    assert ignored_counts == {"CODE_TO_TOKEN": 1, "REFRESH_TOKEN": 1}
    for raw in (*USERNAMES, *IP_ADDRESSES, "kc-user-marie", "kc-session-1", "openid-connect"):
        assert raw not in rows  # neither identifiers nor any detail reach the store


@pytest.mark.parametrize("secret", [None, "not-the-realm-secret"])
async def test_a_wrong_or_missing_signature_is_401_and_publishes_nothing(keycloak_settings: Settings,
                                                                         secret: str | None) -> None:
    settings = keycloak_settings
    async with Stack(settings) as stack, httpx.AsyncClient(base_url=stack.url, timeout=30) as client:
        before = await end_offsets(stack.bootstrap, settings.kafka.topic)
        if secret is None:
            response = await client.post("/v1/sources/keycloak", json=payload("http_login"))
        else:
            response = await _send(client, payload("http_login"), secret)
        assert response.status_code == 401
        assert await end_offsets(stack.bootstrap, settings.kafka.topic) == before
        refused = await _wait_for_counts(stack, "rejected_requests", {"invalid_signature": 1})
    assert refused == {"invalid_signature": 1}
