"""One batch to the collector: `POST /v1/events`, retried with the same bytes (so the same
event ids, which the pipeline counts once) while the answer is "not now", then read
event by event."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from skillpulse.errors import SkillpulseError
from skillpulse.sdk.retry import RETRYABLE_STATUSES, RetryPolicy, retry_after_s

logger = logging.getLogger("skillpulse.sdk")

# The collector's limits (CollectorSettings.max_events, .max_body_bytes).
MAX_EVENTS_PER_REQUEST = 1000
MAX_BODY_BYTES = 1024 * 1024


class CollectorUnavailable(SkillpulseError, RuntimeError):
    """The collector did not take a batch within the retry policy's attempts (503, 429,
    unreachable); its events are still in the client's spool."""


class DeliveryRefused(SkillpulseError, RuntimeError):
    """The collector refused a request in a way a resend would not change (a wrong API key,
    a body over its limits); the events stay in the spool until the client is fixed."""


@dataclass(frozen=True)
class Rejected:
    """An event the collector judged invalid (422 or within a 202); never resent."""

    index: int
    event_id: str | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class BatchOutcome:
    accepted: list[int]  # indexes into the batch
    accepted_ids: list[str]
    rejected: list[Rejected]


@dataclass
class DeliveryReport:
    """What a client handed to the collector and what the collector answered."""

    sent: int = 0  # events given to the client
    accepted: int = 0
    rejected: int = 0
    requests: int = 0  # answered requests (202 or 422)
    retries: int = 0
    accepted_ids: set[str] = field(default_factory=set)  # filled only when the client keeps ids
    reasons: Counter[str] = field(default_factory=Counter)


def request_body(bodies: Sequence[bytes]) -> bytes:
    return b"[" + b",".join(bodies) + b"]"


def read_outcome(payload: dict[str, Any]) -> BatchOutcome:
    accepted, accepted_ids, rejected = [], [], []
    for result in payload["results"]:
        if result["status"] == "accepted":
            accepted.append(int(result["index"]))
            accepted_ids.append(str(result["event_id"]))
        else:
            rejected.append(Rejected(int(result["index"]), result.get("event_id"),
                                     tuple(str(error["reason"]) for error in result.get("errors", ()))))
    return BatchOutcome(accepted, accepted_ids, rejected)


@dataclass
class Collector:
    """The collector's events endpoint, for one platform's API key."""

    http: httpx.AsyncClient
    api_key: str
    retry: RetryPolicy
    report: DeliveryReport
    keep_ids: bool = False

    async def post(self, bodies: Sequence[bytes]) -> BatchOutcome:
        """Send encoded events (`skillpulse.sdk.encode`) as one request, retrying while the
        collector says "not now"; CollectorUnavailable when the policy gives up,
        DeliveryRefused on an answer a resend would not change."""
        content, headers = request_body(bodies), {"Authorization": f"Bearer {self.api_key}",
                                                  "Content-Type": "application/json"}
        attempt = 0
        while True:
            try:
                response = await self.http.post("/v1/events", content=content, headers=headers)
            except httpx.TransportError as exc:
                failure, wait = f"unreachable ({type(exc).__name__})", self.retry.delay(attempt)
            else:
                if response.status_code not in RETRYABLE_STATUSES:
                    return self._read(response)
                failure = f"answered {response.status_code}"
                wait = self.retry.delay(attempt, retry_after_s(response))
            if self.retry.gives_up_after(attempt):
                raise CollectorUnavailable(f"collector {failure} after {attempt + 1} attempts; "
                                           f"{len(bodies)} events not taken")
            logger.debug("collector %s; resending %d events in %.2f s", failure, len(bodies), wait)
            self.report.retries += 1
            attempt += 1
            await asyncio.sleep(wait)

    def _read(self, response: httpx.Response) -> BatchOutcome:
        if response.status_code not in (202, 422):
            raise DeliveryRefused(f"collector answered {response.status_code}: {response.text[:300]}")
        outcome = read_outcome(response.json())
        report = self.report
        report.requests += 1
        report.accepted += len(outcome.accepted)
        report.rejected += len(outcome.rejected)
        if self.keep_ids:
            report.accepted_ids.update(outcome.accepted_ids)
        for rejected in outcome.rejected:
            report.reasons.update(rejected.reasons)
        if outcome.rejected:  # ids and reasons only: the events hold raw user ids
            logger.warning("collector rejected %d events (not resent): %s", len(outcome.rejected),
                           ", ".join(f"{r.event_id or f'#{r.index}'}: {'/'.join(r.reasons)}"
                                     for r in outcome.rejected[:10]))
        return outcome
