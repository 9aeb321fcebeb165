"""Keycloak's user events → contract logins, one per sign-on session.

Two shapes are read, both with `time` in epoch milliseconds:

* Keycloak's `EventRepresentation`: what the `ext-event-http` listener of
  p2-inc/keycloak-events posts and what the admin API's `GET /admin/realms/{realm}/events`
  lists: `{"id", "time", "type": "LOGIN", "realmId", "clientId", "userId", "sessionId",
  "ipAddress", "error", "details"}`;
* the `ext-event-webhook` payload (`ExtendedAdminEvent`): `{"id", "uid", "time",
  "type": "access.LOGIN", "realmId", "realmName", "authDetails": {"realmId", "clientId",
  "userId", "sessionId", "ipAddress", "username"}, "details", "error"}`; admin events are
  typed `admin.<RESOURCE>-<OPERATION>`.

A connection (B2) is a sign-on session: Keycloak emits a `LOGIN` each time a session signs
into a client (the portal, then each tool through SSO: the client session is attached to
the existing user session, then `LOGIN` carries that session's id), and a brokered sign-in
may add `IDENTITY_PROVIDER_LOGIN` for the same session. So a login's `event_id` is derived
from the realm, the platform and the session id: a visit that opens three tools, a webhook
retry and an overlapping poll are one event, which the aggregator stores once.

Only the Keycloak user id (pseudonymised by the Intake) and the session id (hashed by the
Intake) are passed on; `username`, `ipAddress`, `details` and the rest are never read.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from pydantic import SecretStr

from skillpulse.collector.validation import mapped_from
from skillpulse.config import KeycloakSettings

# Fixed for good: another namespace would give every past session a new event_id.
SESSION_NAMESPACE = uuid.UUID("6f1c1f3e-5b7a-4c1e-9a53-2f0d4b8e7c21")
SIGNATURE_HEADER = "X-Keycloak-Signature"
_WEBHOOK_USER_PREFIX = "access."
_MAX_REASON = 64  # an ignored type is a label of the pipeline's counts


class KeycloakEvent(NamedTuple):
    """The fields of a Keycloak user event this source reads, from either shape."""

    type: str  # the native type ("LOGIN"); admin events keep their "admin." type
    time_ms: Any
    user_id: Any
    session_id: Any
    client_id: Any
    error: Any


class Login(NamedTuple):
    """A connection, as a platform event in the contract's JSON shape (the Intake validates it)."""

    platform: str
    event: dict[str, Any]


class Ignored(NamedTuple):
    """An event that is not a connection: acknowledged and counted, never published."""

    platform: str
    reason: str


def read_event(item: Any) -> KeycloakEvent:
    """Either shape → the fields mapped; anything else reads as an event of no type."""
    if not isinstance(item, dict):
        return KeycloakEvent("", None, None, None, None, None)
    kind = item.get("type")
    kind = kind if isinstance(kind, str) else ""
    details = item.get("authDetails")
    if kind.startswith(_WEBHOOK_USER_PREFIX) and isinstance(details, dict):
        return KeycloakEvent(kind.removeprefix(_WEBHOOK_USER_PREFIX), item.get("time"), details.get("userId"),
                             details.get("sessionId"), details.get("clientId"), item.get("error"))
    return KeycloakEvent(kind, item.get("time"), item.get("userId"), item.get("sessionId"), item.get("clientId"),
                         item.get("error"))


def platform_of(client_id: Any, settings: KeycloakSettings) -> str:
    if isinstance(client_id, str):
        return settings.client_platforms.get(client_id, settings.default_platform)
    return settings.default_platform


def connection_id(realm: str, platform: str, session_id: str) -> uuid.UUID:
    """The event_id of a session's connection to a platform (NUL-separated: no ambiguity)."""
    return uuid.uuid5(SESSION_NAMESPACE, f"{realm}\x00{platform}\x00{session_id}")


def _occurred_at(time_ms: Any) -> Any:
    if isinstance(time_ms, int) and not isinstance(time_ms, bool) and 0 < time_ms < 10**14:
        return datetime.fromtimestamp(time_ms / 1000, UTC).isoformat()
    return time_ms  # not epoch milliseconds: the Intake rejects it with the contract's reason


def _label(kind: str) -> str:
    # Keycloak's types are ASCII words (LOGIN, CODE_TO_TOKEN): anything else is no type we
    # know, and its text (a control character, a lone surrogate) goes into no answer or count.
    if not kind:
        return "not_an_event"
    return kind[:_MAX_REASON] if kind.isascii() and kind.isprintable() else "unknown_type"


def map_event(item: Any, realm: str, settings: KeycloakSettings) -> Login | Ignored:
    """A Keycloak event of `realm` → the login of its session, or why it is not one."""
    event = read_event(item)
    platform = platform_of(event.client_id, settings)
    if event.type not in settings.login_types:
        return Ignored(platform, _label(event.type))
    if event.error is not None:
        return Ignored(platform, f"failed:{event.type}")
    if not isinstance(event.session_id, str) or not event.session_id:
        return Ignored(platform, f"no_session:{event.type}")
    login: dict[str, Any] = {"type": "login", "event_id": str(connection_id(realm, platform, event.session_id)),
                             "session_id": event.session_id, "method": "sso"}
    if event.time_ms is not None:
        login["occurred_at"] = _occurred_at(event.time_ms)
    if event.user_id is not None:
        login["user_id"] = event.user_id
    return Login(platform, mapped_from(item, login))


def signing_realm(body: bytes, signature: str | None, secrets: Mapping[str, SecretStr]) -> str | None:
    """The realm whose shared secret signed `body` (hex HMAC-SHA256, as the extension's
    `X-Keycloak-Signature`), or None. Every secret is compared in constant time."""
    if not signature:
        return None
    given = signature.strip().lower().encode()
    found = None
    for realm, secret in secrets.items():
        if hmac.compare_digest(sign(body, secret.get_secret_value()).encode(), given) and found is None:
            found = realm
    return found


def sign(body: bytes, secret: str) -> str:
    """The signature header's value for `body` (what the extension sends; tests and docs)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
