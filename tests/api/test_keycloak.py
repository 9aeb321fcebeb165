"""The Keycloak webhook route against FastStream's TestKafkaBroker: signature, both payload
shapes, ignored types, refused bodies (the real stack: tests/sources/test_keycloak_webhook.py)."""

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from skillpulse.api.keycloak import create_keycloak_router
from skillpulse.config import CollectorSettings, KeycloakSettings
from skillpulse.health.stats import CollectorStats, StatsSample
from skillpulse.sources.keycloak import connection_id
from tests.api.routes import served
from tests.sources.payloads import IP_ADDRESSES, REALM, SECRET, USERNAMES, payload, signature_header, signed

PATH = "/v1/sources/keycloak"


@pytest.fixture
async def harness(stats: CollectorStats) -> AsyncIterator[tuple[httpx.AsyncClient, list[bytes]]]:
    collector = CollectorSettings(max_body_bytes=16 * 1024, max_events=20)
    keycloak = KeycloakSettings(realm_secrets={REALM: SecretStr(SECRET), "other": SecretStr("other-secret")},
                                client_platforms={"peertube": "skilltech.tube"})
    async with served(lambda intake: create_keycloak_router(collector, keycloak, intake), collector,
                      stats) as harness:
        yield harness


async def _post(client: httpx.AsyncClient, event: object, secret: str = SECRET) -> httpx.Response:
    body, headers = signed(event, secret)
    return await client.post(PATH, content=body, headers=headers)


async def test_both_shapes_become_pseudonymous_logins(harness) -> None:
    client, published = harness
    http, webhook = payload("http_login"), payload("webhook_login")
    responses = [await _post(client, http), await _post(client, webhook)]
    assert [r.status_code for r in responses] == [202, 202]
    assert [r.json()["accepted"] for r in responses] == [1, 1]
    records = [json.loads(body) for body in published]
    assert [r["type"] for r in records] == ["login", "login"]
    assert [r["method"] for r in records] == ["sso", "sso"]
    assert records[0]["event_id"] == str(connection_id(REALM, "skilltech.tools", http["sessionId"]))
    assert records[1]["event_id"] == str(connection_id(REALM, "skilltech.tools",
                                                       webhook["authDetails"]["sessionId"]))
    assert records[0]["occurred_at"].startswith("2026-03-02T09:00:00")
    raw = b"".join(published).decode()
    for secret_value in (*USERNAMES, *IP_ADDRESSES, http["userId"], http["sessionId"],
                         webhook["authDetails"]["userId"], webhook["authDetails"]["sessionId"]):
        assert secret_value not in raw  # only the pseudonym and the session hash travel


async def test_one_session_signing_into_three_clients_is_one_event_id(harness) -> None:
    client, published = harness
    for number, tool in enumerate(["portal", "h5p-studio", "nextcloud"]):
        event = payload("http_login", clientId=tool, time=1772442000000 + number * 60_000, id=f"id-{number}")
        assert (await _post(client, event)).status_code == 202
    assert len({json.loads(body)["event_id"] for body in published}) == 1


async def test_client_table_decides_the_platform(harness) -> None:
    client, published = harness
    await _post(client, payload("webhook_login", auth_clientId="peertube"))
    assert json.loads(published[0])["platform"] == "skilltech.tube"


@pytest.mark.parametrize("headers", [{}, {"X-Keycloak-Signature": "00" * 32},
                                     {"X-Keycloak-Signature": "é".encode("latin-1")}])
async def test_wrong_or_missing_signature_is_401_and_publishes_nothing(harness, stats, headers) -> None:
    client, published = harness
    body = json.dumps(payload("http_login")).encode()
    response = await client.post(PATH, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"
    assert published == []
    assert stats.drain() == [StatsSample("rejected_requests", "", "invalid_signature", 1)]


async def test_another_realms_secret_does_not_sign_for_this_body(harness) -> None:
    client, published = harness
    body, headers = signed(payload("http_login"), "other-secret")
    tampered = body.replace(b"portal", b"portax")
    assert (await client.post(PATH, content=tampered, headers=headers)).status_code == 401
    assert (await client.post(PATH, content=body, headers=headers)).status_code == 202
    assert len(published) == 1


async def test_token_events_are_acknowledged_and_counted_as_ignored(harness, stats) -> None:
    client, published = harness
    responses = [await _post(client, payload("http_code_to_token")),
                 await _post(client, payload("webhook_refresh_token")),
                 await _post(client, {"type": "admin.USER-CREATE", "authDetails": {"userId": "x"}})]
    assert [r.status_code for r in responses] == [202, 202, 202]
    assert [r.json()["ignored"] for r in responses] == [1, 1, 1]
    assert published == []
    assert sorted(stats.drain()) == sorted([StatsSample("ignored", "skilltech.tools", "CODE_TO_TOKEN", 1),
                                            StatsSample("ignored", "skilltech.tools", "REFRESH_TOKEN", 1),
                                            StatsSample("ignored", "skilltech.tools", "admin.USER-CREATE", 1)])


async def test_failed_and_sessionless_logins_are_ignored_with_their_reason(harness, stats) -> None:
    client, published = harness
    await _post(client, [payload("http_login", error="invalid_user_credentials"),
                         payload("http_login", type="IDENTITY_PROVIDER_LOGIN", sessionId=None)])
    assert published == []
    assert sorted(s.reason for s in stats.drain()) == ["failed:LOGIN", "no_session:IDENTITY_PROVIDER_LOGIN"]


async def test_a_login_the_contract_refuses_is_rejected_not_published(harness, stats) -> None:
    client, published = harness
    no_user = payload("http_login", userId=None)
    future = payload("http_login", time=3_786_912_000_000, sessionId="later")  # 2090: in the store's range
    response = await _post(client, [no_user, future, payload("http_code_to_token")])
    assert response.status_code == 202  # one was acknowledged (ignored)
    assert [r["status"] for r in response.json()["results"]] == ["rejected", "rejected", "ignored"]
    only_rejected = await _post(client, no_user)
    assert only_rejected.status_code == 422
    assert published == []
    reasons = {(s.metric, s.reason) for s in stats.drain()}
    assert {("rejected", "missing"), ("rejected", "future_timestamp")} <= reasons


async def test_bad_json_is_400_and_an_oversized_body_413(harness, stats) -> None:
    client, published = harness
    body = b"{not json"
    bad = await client.post(PATH, content=body, headers=signature_header(body))
    big_body = json.dumps({"type": "LOGIN", "details": {"x": "y" * 20_000}}).encode()
    big = await client.post(PATH, content=big_body, headers=signature_header(big_body))
    assert (bad.status_code, big.status_code) == (400, 413)
    assert published == []
    assert sorted(stats.drain()) == [StatsSample("rejected_requests", "", "body_too_large", 1),
                                     StatsSample("rejected_requests", "skilltech.tools", "invalid_json", 1)]

