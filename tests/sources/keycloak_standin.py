"""A stand-in of the two Keycloak endpoints the poller calls, on 127.0.0.1: the token
endpoint (client credentials) and the admin API's user events (filtered by type and
dateFrom, ordered by direction, paged by first/max, as RealmAdminResource.getEvents does)."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class StandInKeycloak:
    realm: str
    client_id: str
    client_secret: str
    events: list[dict[str, Any]] = field(default_factory=list)
    event_queries: list[dict[str, list[str]]] = field(default_factory=list)  # every GET events' query
    tokens: set[str] = field(default_factory=set)
    url: str = ""

    def token(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
                ["client_credentials"], [self.client_id], [self.client_secret]):
            return 401, {"error": "unauthorized_client"}
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        return 200, {"access_token": token, "expires_in": 300, "token_type": "Bearer"}

    def list_events(self, authorization: str | None, query: dict[str, list[str]]) -> tuple[int, Any]:
        if authorization is None or authorization.removeprefix("Bearer ") not in self.tokens:
            return 401, {"error": "HTTP 401 Unauthorized"}
        self.event_queries.append(query)
        types = set(query.get("type", []))
        date_from = int(query.get("dateFrom", ["0"])[0])
        found = [e for e in self.events if (not types or e["type"] in types) and e["time"] >= date_from]
        found.sort(key=lambda e: e["time"], reverse=query.get("direction", ["desc"])[0] == "desc")
        first, size = int(query.get("first", ["0"])[0]), int(query.get("max", ["100"])[0])
        return 200, found[first:first + size]


@contextmanager
def serve(keycloak: StandInKeycloak) -> Iterator[StandInKeycloak]:
    token_path = f"/realms/{keycloak.realm}/protocol/openid-connect/token"
    events_path = f"/admin/realms/{keycloak.realm}/events"

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = parse_qs(self.rfile.read(length).decode())
            self._answer(*(keycloak.token(form) if self.path == token_path else (404, {})))

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != events_path:
                self._answer(404, {})
                return
            self._answer(*keycloak.list_events(self.headers.get("Authorization"), parse_qs(parts.query)))

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    keycloak.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield keycloak
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
