"""HTTP routes of the collector: `POST /v1/events` and `GET /readyz` (broker reachable)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from opentelemetry import trace

from skillpulse.collector.publisher import BrokerUnavailable, RecordPublisher
from skillpulse.collector.validation import BatchTooLarge, InvalidBody, validate_body
from skillpulse.config import CollectorSettings
from skillpulse.contract import to_record
from skillpulse.credentials import hash_api_key
from skillpulse.errors import SkillpulseError
from skillpulse.health.stats import CollectorStats
from skillpulse.pseudonym import Pseudonymiser
from skillpulse.telemetry import DISABLED

logger = logging.getLogger("skillpulse.collector")


class PayloadTooLarge(SkillpulseError, ValueError):
    """The body is over the collector's limit (413)."""


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _problem(status: int, reason: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": reason, "message": message}, status_code=status, headers=headers or None)


def create_collector_router(
    settings: CollectorSettings, key_hashes: dict[str, str], pseudonymiser: Pseudonymiser,
    publisher: RecordPublisher, stats: CollectorStats | None = None, tracer: trace.Tracer = DISABLED.tracer,
) -> APIRouter:
    router = APIRouter()
    stats = stats or CollectorStats(DISABLED.meter)
    in_flight = 0  # events handed to the broker and not yet acknowledged (one event loop: no lock)
    max_future, max_age = timedelta(seconds=settings.max_future_s), timedelta(days=settings.retention_days)

    @router.post("/v1/events", status_code=202)
    async def receive_events(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> JSONResponse:
        # The request's span is the parent of the Kafka publish spans (trace context
        # travels in the message headers to the aggregator's batch).
        with tracer.start_as_current_span("POST /v1/events", kind=trace.SpanKind.SERVER) as span:
            response = await handle(request, authorization, span)
            span.set_attribute("http.response.status_code", response.status_code)
            return response

    async def handle(request: Request, authorization: str | None, span: trace.Span) -> JSONResponse:
        scheme, _, key = (authorization or "").partition(" ")
        platform = key_hashes.get(hash_api_key(key.strip())) if scheme.lower() == "bearer" else None
        if platform is None:
            stats.count("rejected_requests", "", "invalid_api_key")
            return _problem(401, "invalid_api_key", "Authorization: Bearer <platform API key> required",
                            **{"WWW-Authenticate": "Bearer"})
        span.set_attribute("skillpulse.platform", platform)
        try:
            body = await _read_capped(request, settings.max_body_bytes)
            received_at = datetime.now(UTC)
            valid, rejected = validate_body(body, max_events=settings.max_events, now=received_at,
                                            max_future=max_future, max_age=max_age)
        except PayloadTooLarge:
            stats.count("rejected_requests", platform, "body_too_large")  # its events cannot be counted
            return _problem(413, "body_too_large", f"request body over {settings.max_body_bytes} bytes")
        except BatchTooLarge as exc:
            stats.count("rejected_requests", platform, "too_many_events")
            return _problem(413, "too_many_events", str(exc))
        except InvalidBody as exc:
            stats.count("rejected_requests", platform, "invalid_json")
            return _problem(400, "invalid_json", str(exc))
        span.set_attributes({"skillpulse.events.valid": len(valid), "skillpulse.events.rejected": len(rejected)})
        for result in rejected:
            stats.count("rejected", platform, result.reason)
        records = [
            to_record(event, platform=platform, received_at=received_at,
                      user_key=pseudonymiser.user_key(platform, event.user_id),
                      session_key=pseudonymiser.session_key(platform, event.session_id))
            for _, event in valid
        ]
        nonlocal in_flight
        if in_flight + len(records) > settings.max_in_flight_events:
            logger.warning("platform=%s: %d events refused, %d already in flight", platform, len(records), in_flight)
            stats.count("refused", platform, "overloaded", len(records))
            return _problem(503, "overloaded", "too much in flight; retry later", **{"Retry-After": "1"})
        in_flight += len(records)
        try:
            await publisher.publish(records)
        except BrokerUnavailable as exc:
            logger.warning("platform=%s: %d events refused, broker unavailable: %s", platform, len(records), exc)
            stats.count("refused", platform, "broker_unavailable", len(records))
            return _problem(503, "broker_unavailable", "events not accepted; retry later", **{"Retry-After": "5"})
        finally:
            in_flight -= len(records)
        stats.count("accepted", platform, "", len(records))
        results: list[dict[str, Any]] = [r.as_json() for r in rejected]
        results += [{"index": i, "event_id": str(e.event_id), "status": "accepted"} for i, e in valid]
        results.sort(key=lambda result: result["index"])
        if rejected:
            logger.info("platform=%s accepted=%d rejected=%d reasons=%s", platform, len(valid), len(rejected),
                        sorted({r.reason for r in rejected}))
        status = 202 if valid or not rejected else 422
        return JSONResponse({"accepted": len(valid), "rejected": len(rejected), "results": results},
                            status_code=status)

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        ready = await publisher.ready()
        return JSONResponse({"status": "ready" if ready else "broker_unreachable"}, status_code=200 if ready else 503)

    return router
