"""A stand-in of the collector's `POST /v1/events` for httpx.MockTransport: the real
collector's validation and limits, an API key check, and a script of failures to
answer first (a response, or an exception raised as a broken connection)."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from skillpulse.collector.validation import validate_items
from skillpulse.sdk import MAX_BODY_BYTES, MAX_EVENTS_PER_REQUEST

API_KEY = "sp_test_key"


@dataclass
class StandInCollector:
    script: list[httpx.Response | Exception] = field(default_factory=list)
    down: bool = False  # every request fails to connect
    bodies: list[bytes] = field(default_factory=list)  # every request's body, failed ones included
    times: list[float] = field(default_factory=list)
    taken: Counter[str] = field(default_factory=Counter)  # accepted event ids, counted per answer

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.content)
        self.times.append(time.monotonic())
        if self.down:
            raise httpx.ConnectError("connection refused (stand-in down)", request=request)
        if self.script:
            answer = self.script.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return httpx.Response(401, json={"error": "invalid_api_key"})
        if len(request.content) > MAX_BODY_BYTES:
            return httpx.Response(413, json={"error": "body_too_large"})
        items = json.loads(request.content)
        if len(items) > MAX_EVENTS_PER_REQUEST:
            return httpx.Response(413, json={"error": "too_many_events"})
        valid, rejected = validate_items(items, now=datetime.now(UTC), max_future=timedelta(minutes=5),
                                         max_age=timedelta(days=3000))
        self.taken.update(str(event.event_id) for _, event in valid)
        results = [r.as_json() for r in rejected]
        results += [{"index": i, "event_id": str(e.event_id), "status": "accepted"} for i, e in valid]
        return httpx.Response(202 if valid or not rejected else 422,
                              json={"accepted": len(valid), "rejected": len(rejected),
                                    "results": sorted(results, key=lambda r: r["index"])})

    @property
    def sizes(self) -> list[int]:
        """Events per request that reached the collector's judgement."""
        return [len(json.loads(body)) for body in self.bodies]
