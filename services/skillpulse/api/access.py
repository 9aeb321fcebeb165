"""Access to the HTTP API: the guard each route is included with, and the Host allowlist.

Reading routes (GET) take `Authorization: Bearer <token>` or HTTP Basic (any user name,
the token as password), so a browser asks once for the board. Routes that change state
take only Bearer, which a browser never adds by itself (Basic credentials it does: a page
of another site could then POST with them), and only a JSON body (a cross-site form
cannot send one without a CORS preflight this API never grants)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from email.message import Message
from typing import Annotated

from fastapi import Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from skillpulse.access import Access, Keyring, Principal
from skillpulse.api.problems import problem
from skillpulse.errors import SkillpulseError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REALM = "Skilltech Pulse"
# Declared for the OpenAPI document (the docs' "Authorize" button); the guard reads the header itself.
_BEARER = HTTPBearer(auto_error=False, description="a viewer or operator token (`skillpulse keys create`)")
# Probes of a load balancer or an orchestrator send the address they dial as Host.
HOST_EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})


class AccessRefused(SkillpulseError):
    """A request refused before its route runs: 401, 403 or 415 (rendered by `access_refused`)."""

    def __init__(self, status: int, reason: str, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.headers = status, reason, message, headers


async def access_refused(_: Request, exc: Exception) -> JSONResponse:
    """The app's handler of `AccessRefused`: the problem answer."""
    assert isinstance(exc, AccessRefused)
    return problem(exc.status, exc.reason, exc.message, **exc.headers)


def bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def basic_password(authorization: str | None) -> str | None:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def require(keyring: Keyring, access: Access) -> Callable[..., Awaitable[Principal]]:
    """The dependency of a route that needs `access` (included with the router)."""

    async def guard(request: Request,
                    _: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None) -> Principal:
        changes_state = request.method not in SAFE_METHODS
        authorization = request.headers.get("authorization")
        token = bearer_token(authorization) if changes_state else (bearer_token(authorization)
                                                                   or basic_password(authorization))
        principal = keyring.authenticate(token) if token else None
        if principal is None:
            how = "Authorization: Bearer <token>" + ("" if changes_state else " (or HTTP Basic, the token as password)")
            # Basic alone on reads: Chromium ignores a Basic offered after Bearer in one header (no prompt).
            challenge = "Bearer" if changes_state else f'Basic realm="{REALM}", charset="UTF-8"'
            raise AccessRefused(401, "unauthenticated", f"{how} required", **{"WWW-Authenticate": challenge})
        if not principal.access.allows(access):
            raise AccessRefused(403, "forbidden", f"this needs a{'n' if access is Access.OPERATOR else ''} "
                                                  f"{access.value} token")
        if changes_state and not is_json(request.headers.get("content-type")):
            raise AccessRefused(415, "unsupported_media_type", "Content-Type: application/json required")
        request.state.principal = principal
        return principal

    guard.__name__ = f"require_{access.value}"
    return guard


def _hostname(host: str) -> str:
    """The name of a Host header without its port (`[::1]:8080` → `::1`)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


class HostAllowlist:
    """400 for a Host header not in `allowed` ("*" allows any): a page on another name
    that resolves to this machine (DNS rebinding) cannot reach the API through a browser."""

    def __init__(self, app: ASGIApp, allowed: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = frozenset(_hostname(host) for host in allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] in ("http", "websocket") and "*" not in self.allowed
                and scope.get("path") not in HOST_EXEMPT_PATHS
                and _hostname(Headers(scope=scope).get("host", "")) not in self.allowed):
            response = problem(400, "host_not_allowed", "this Host is not served (SKILLPULSE_ACCESS_ALLOWED_HOSTS)")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
