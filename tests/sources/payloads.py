"""The Keycloak payloads of `keycloak_payloads/` (shapes of p2-inc/keycloak-events and
Keycloak's admin API), loaded, varied and signed as the extension signs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skillpulse.sources.keycloak import sign

PAYLOADS = Path(__file__).parent / "keycloak_payloads"
REALM = "skilltech"
SECRET = "realm-shared-secret-for-tests"
USERNAMES = ("marie.schmit@school.lu", "luc.weber@school.lu")
IP_ADDRESSES = ("192.0.2.17", "198.51.100.23")


def payload(name: str, **changes: Any) -> dict[str, Any]:
    """A stored payload; `changes` replace top-level fields, `auth_<field>` fields of authDetails."""
    loaded: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    for field, value in changes.items():
        if field.startswith("auth_"):
            loaded["authDetails"][field.removeprefix("auth_")] = value
        else:
            loaded[field] = value
    return loaded


def signature_header(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Keycloak-Signature": sign(body, secret), "Content-Type": "application/json"}


def signed(event: Any, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    """The body Keycloak would send for `event` and its headers (what is signed is the exact body)."""
    body = json.dumps(event).encode()
    return body, signature_header(body, secret)
