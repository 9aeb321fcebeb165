"""The pull connector for realms that cannot install an extension: Keycloak's stored user
events, read with the admin REST API, mapped like the webhook and sent to the collector.

Keycloak side: a confidential client with service accounts enabled and the `view-events`
role of `realm-management`; user events saved (Realm settings → Events → User events).

* token: `POST {url}/realms/{realm}/protocol/openid-connect/token`, client credentials;
* events: `GET {url}/admin/realms/{realm}/events?type=LOGIN&type=IDENTITY_PROVIDER_LOGIN
  &dateFrom=<epoch ms, inclusive>&first=<offset>&max=<page>&direction=asc`, items in
  Keycloak's `EventRepresentation` (`time` in epoch ms).

Restart-safe: the cursor (the newest event time acknowledged) is written to the data dir
only after the collector acknowledged every page of a poll; each poll starts `overlap`
before it, and the deterministic event_id makes what is read twice stored once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from skillpulse.config import KeycloakSettings
from skillpulse.errors import SkillpulseError
from skillpulse.sources.keycloak import Ignored, map_event

logger = logging.getLogger("skillpulse.sources.keycloak")
REQUEST_TIMEOUT_S = 30.0
_TOKEN_MARGIN_S = 10.0  # renew a token this long before Keycloak says it expires


class PollError(SkillpulseError, RuntimeError):
    """Keycloak or the collector did not answer as expected; the cursor stays where it was."""


@dataclass(frozen=True)
class RealmAccess:
    """How the poller reaches a realm's admin API."""

    url: str  # Keycloak's base URL, e.g. https://sso.skilltech.tools (with /auth on legacy installs)
    realm: str
    client_id: str
    client_secret: SecretStr


@dataclass(frozen=True)
class CollectorAccess:
    """Where mapped logins go: the collector's base URL and each platform's API key."""

    url: str
    keys: dict[str, str]


@dataclass
class PollReport:
    """What one poll read and what became of it."""

    fetched: int = 0
    pages: int = 0
    accepted: int = 0  # login events the collector acknowledged (a session read twice counts twice here)
    rejected: int = 0
    ignored: Counter[str] = field(default_factory=Counter)
    cursor_ms: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"fetched": self.fetched, "pages": self.pages, "accepted": self.accepted, "rejected": self.rejected,
                "ignored": dict(self.ignored), "cursor_ms": self.cursor_ms}


class Cursor:
    """The newest event time (epoch ms) acknowledged for a realm, in `<data dir>/keycloak-cursors/`."""

    def __init__(self, data_dir: Path, access: RealmAccess) -> None:
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in access.realm)
        self.path = data_dir / "keycloak-cursors" / f"{name}.json"

    def load(self) -> int | None:
        if not self.path.exists():
            return None
        value = json.loads(self.path.read_text())["time_ms"]
        return int(value)

    def save(self, time_ms: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps({"time_ms": time_ms}) + "\n")
        os.replace(partial, self.path)  # a crash leaves the old cursor or the new one, never half of one


class KeycloakAdmin:
    """The two admin-API calls the poller makes, with a client-credentials token."""

    def __init__(self, client: httpx.AsyncClient, access: RealmAccess, clock: Callable[[], float] = time.monotonic):
        self._client, self._access, self._clock = client, access, clock
        self._token: str | None = None
        self._expires_at = 0.0

    async def _authorization(self) -> dict[str, str]:
        if self._token is None or self._clock() >= self._expires_at:
            access = self._access
            response = await self._client.post(
                f"{access.url.rstrip('/')}/realms/{access.realm}/protocol/openid-connect/token",
                data={"grant_type": "client_credentials", "client_id": access.client_id,
                      "client_secret": access.client_secret.get_secret_value()})
            if response.status_code != 200:
                raise PollError(f"token request for realm {access.realm!r} refused: HTTP {response.status_code}")
            token = response.json()
            if not isinstance(token, dict) or not isinstance(token.get("access_token"), str):
                raise PollError(f"token response for realm {access.realm!r} holds no access_token")
            self._token = token["access_token"]
            self._expires_at = self._clock() + float(token.get("expires_in", 60)) - _TOKEN_MARGIN_S
        return {"Authorization": f"Bearer {self._token}"}

    async def events_page(self, types: tuple[str, ...], date_from_ms: int, first: int, size: int) -> list[Any]:
        params = httpx.QueryParams([("type", kind) for kind in types] + [
            ("dateFrom", date_from_ms), ("first", first), ("max", size), ("direction", "asc")])
        url = f"{self._access.url.rstrip('/')}/admin/realms/{self._access.realm}/events"
        response = await self._client.get(url, params=params, headers=await self._authorization())
        if response.status_code == 401:  # revoked or expired early: one new token, one retry
            self._token = None
            response = await self._client.get(url, params=params, headers=await self._authorization())
        if response.status_code != 200:
            raise PollError(f"GET events of realm {self._access.realm!r}: HTTP {response.status_code}")
        page = response.json()
        if not isinstance(page, list):
            raise PollError("the events endpoint did not answer a JSON array")
        return page


async def send_logins(client: httpx.AsyncClient, collector: CollectorAccess, platform: str,
                      events: list[dict[str, Any]], report: PollReport) -> None:
    """POST one page's logins of a platform to `/v1/events`; PollError unless acknowledged."""
    key = collector.keys.get(platform)
    if key is None:
        raise PollError(f"no API key for platform {platform!r} (--api-key {platform}=KEY)")
    response = await client.post(f"{collector.url.rstrip('/')}/v1/events", json=events,
                                 headers={"Authorization": f"Bearer {key}"})
    if response.status_code not in (202, 422):  # 422: every one rejected, counted by the collector
        raise PollError(f"collector answered HTTP {response.status_code} for {len(events)} logins of {platform}")
    body = response.json()
    report.accepted += int(body["accepted"])
    report.rejected += int(body["rejected"])


async def poll_once(client: httpx.AsyncClient, access: RealmAccess, collector: CollectorAccess, cursor: Cursor,
                    settings: KeycloakSettings, since_ms: int = 0) -> PollReport:
    """Read every event from the cursor (less the overlap; `since_ms` on a first run), send
    the logins, then move the cursor to the newest event time read."""
    admin = KeycloakAdmin(client, access)
    report = PollReport()
    saved = cursor.load()
    date_from = since_ms if saved is None else max(0, saved - int(settings.poll_overlap_s * 1000))
    newest = saved
    first = 0
    while True:
        page = await admin.events_page(settings.login_types, date_from, first, settings.poll_page_size)
        report.pages += 1
        report.fetched += len(page)
        by_platform: dict[str, list[dict[str, Any]]] = {}
        for item in page:
            mapped = map_event(item, access.realm, settings)
            if isinstance(mapped, Ignored):
                report.ignored[mapped.reason] += 1
            else:
                by_platform.setdefault(mapped.platform, []).append(mapped.event)
            event_time = item.get("time") if isinstance(item, dict) else None
            if isinstance(event_time, int) and (newest is None or event_time > newest):
                newest = event_time
        for platform, events in by_platform.items():
            await send_logins(client, collector, platform, events, report)
        if len(page) < settings.poll_page_size:
            break
        first += len(page)
    if newest is not None and newest != saved:
        cursor.save(newest)
    report.cursor_ms = newest
    return report


async def poll_forever(client: httpx.AsyncClient, access: RealmAccess, collector: CollectorAccess, cursor: Cursor,
                       settings: KeycloakSettings, interval_s: float, since_ms: int,
                       on_report: Callable[[PollReport], None]) -> None:
    """Poll every `interval_s` until cancelled; a failed poll is logged and tried again."""
    while True:
        try:
            on_report(await poll_once(client, access, collector, cursor, settings, since_ms))
        except (PollError, httpx.HTTPError, ValueError) as exc:  # ValueError: a body that is not JSON
            logger.warning("keycloak poll of realm %s failed, cursor kept: %s", access.realm, exc)
        await asyncio.sleep(interval_s)
