"""The admin-API poller against a stand-in of Keycloak's token and events endpoints and a
real stack (tansu, chdb): each sign-on session stored once across overlapping polls and a
restart, pages read with first/max, the cursor moved only once the collector acknowledged."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from skillpulse.app import Stack
from skillpulse.config import KeycloakSettings, Settings
from skillpulse.credentials import ensure_api_keys
from skillpulse.sources.keycloak import connection_id
from skillpulse.sources.keycloak_poll import CollectorAccess, Cursor, PollError, RealmAccess, poll_once
from skillpulse.stack_client import Pipeline
from tests.sources.keycloak_standin import StandInKeycloak, serve
from tests.sources.payloads import IP_ADDRESSES, REALM, USERNAMES, payload

pytestmark = pytest.mark.integration

T0 = 1772442000000  # 2026-03-02T09:00:00Z
MINUTE = 60_000


def _login(session: str, user: str, client: str, at: int, kind: str = "LOGIN") -> dict[str, object]:
    """A stored event as the admin API lists it (Keycloak's EventRepresentation)."""
    return payload("http_login", id=f"{session}-{client}-{at}", type=kind, sessionId=session, userId=user,
                   clientId=client, time=at, ipAddress=IP_ADDRESSES[0],
                   details={"username": USERNAMES[0], "auth_method": "openid-connect"})


def _stored(stack: Stack) -> list[tuple[str, ...]]:
    assert stack.store is not None
    rows = stack.store.query("SELECT toString(event_id), user_key, session_key, login_method, platform, "
                             "organisation_id FROM events").result_rows
    return [tuple(str(value) for value in row) for row in rows]


async def test_overlapping_polls_and_a_restart_store_each_session_once(settings: Settings) -> None:
    settings = settings.model_copy(update={"keycloak": KeycloakSettings(poll_page_size=2, poll_overlap_s=300)})
    keycloak = StandInKeycloak(REALM, "skillpulse-poller", "poller-secret")
    keycloak.events += [_login("s-a", "u-1", "portal", T0), _login("s-a", "u-1", "h5p-studio", T0 + MINUTE),
                        _login("s-a", "u-1", "nextcloud", T0 + 2 * MINUTE),
                        _login("s-b", "u-2", "portal", T0 + 3 * MINUTE),
                        _login("s-c", "u-3", "portal", T0 + 4 * MINUTE, "IDENTITY_PROVIDER_LOGIN"),
                        _login("s-c", "u-3", "portal", T0 + 4 * MINUTE + 1000)]
    async with Stack(settings) as stack, httpx.AsyncClient(timeout=30) as client:
        with serve(keycloak):
            access = RealmAccess(keycloak.url, REALM, keycloak.client_id, SecretStr(keycloak.client_secret))
            collector = CollectorAccess(stack.url, ensure_api_keys(settings))
            first = await poll_once(client, access, collector, Cursor(settings.paths.data_dir, access),
                                    settings.keycloak)
            keycloak.events += [_login("s-d", "u-4", "portal", T0 + 5 * MINUTE),
                                _login("s-a", "u-1", "wiki", T0 + 6 * MINUTE)]  # SSO into a fourth tool
            second = await poll_once(client, access, collector, Cursor(settings.paths.data_dir, access),
                                     settings.keycloak)
            restarted = await poll_once(client, access, collector, Cursor(settings.paths.data_dir, access),
                                        settings.keycloak)  # a new process: only the cursor file carries over
            await Pipeline(stack.url, stack.bootstrap, settings, stack).wait_until_stored(timeout_s=60)
            stored = _stored(stack)
    assert (first.fetched, first.pages, first.accepted, first.cursor_ms) == (6, 4, 6, T0 + 4 * MINUTE + 1000)
    assert second.cursor_ms == restarted.cursor_ms == T0 + 6 * MINUTE
    # each later poll re-read the 5 minutes before its cursor: the overlap
    dates_from = [int(query["dateFrom"][0]) for query in keycloak.event_queries if query["first"] == ["0"]]
    assert dates_from == [0, T0 + 4 * MINUTE + 1000 - 300_000, T0 + 6 * MINUTE - 300_000]
    assert {query["first"][0] for query in keycloak.event_queries} >= {"0", "2", "4"}  # paged
    assert all(query["type"] == ["LOGIN", "IDENTITY_PROVIDER_LOGIN"] and query["direction"] == ["asc"]
               for query in keycloak.event_queries)
    expected = sorted(str(connection_id(REALM, "skilltech.tools", s)) for s in ("s-a", "s-b", "s-c", "s-d"))
    assert sorted(row[0] for row in stored) == expected  # 4 sessions, each once, though read up to 3 times
    assert {row[3] for row in stored} == {"sso"}
    flat = repr(stored)
    for raw in (*USERNAMES, *IP_ADDRESSES, "u-1", "s-a", "openid-connect"):
        assert raw not in flat


async def test_the_cursor_moves_only_once_the_collector_acknowledged(settings: Settings) -> None:
    keycloak = StandInKeycloak(REALM, "skillpulse-poller", "poller-secret")
    keycloak.events.append(_login("s-a", "u-1", "portal", T0))
    async with Stack(settings) as stack, httpx.AsyncClient(timeout=30) as client:
        with serve(keycloak):
            access = RealmAccess(keycloak.url, REALM, keycloak.client_id, SecretStr(keycloak.client_secret))
            cursor = Cursor(settings.paths.data_dir, access)
            with pytest.raises(PollError, match="HTTP 401"):
                await poll_once(client, access, CollectorAccess(stack.url, {"skilltech.tools": "wrong"}), cursor,
                                settings.keycloak)
            assert cursor.load() is None
            wrong_secret = RealmAccess(keycloak.url, REALM, keycloak.client_id, SecretStr("nope"))
            with pytest.raises(PollError, match="token request"):
                await poll_once(client, wrong_secret, CollectorAccess(stack.url, ensure_api_keys(settings)), cursor,
                                settings.keycloak)
            report = await poll_once(client, access, CollectorAccess(stack.url, ensure_api_keys(settings)), cursor,
                                     settings.keycloak)
    assert (report.accepted, cursor.load()) == (1, T0)
