"""HTTP routes of the collector: `POST /v1/events` and `GET /readyz` (broker reachable)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from opentelemetry import trace
from pydantic import BaseModel

from skillpulse.access import Access, Keyring
from skillpulse.api.access import bearer_token
from skillpulse.api.openapi import INTAKE_ANSWERS, event_batch_schema, json_body, problem_or, problems
from skillpulse.api.problems import (
    BodyRefused,
    PayloadTooLarge,
    body_refused,
    problem,
    read_capped,
    refused,
    unreadable,
)
from skillpulse.collector.intake import Intake, Overloaded
from skillpulse.collector.publisher import BrokerUnavailable
from skillpulse.collector.validation import BatchTooLarge, InvalidBody, parse_body
from skillpulse.config import CollectorSettings
from skillpulse.telemetry import DISABLED

logger = logging.getLogger("skillpulse.collector")


class EventResult(BaseModel):
    index: int
    event_id: str | None
    status: Literal["accepted", "rejected"]
    errors: list[dict[str, str]] | None = None


class EventsReply(BaseModel):
    """What `POST /v1/events` answers: how many were accepted and refused, and each one's fate."""

    accepted: int
    rejected: int
    results: list[EventResult]


def create_collector_router(
    settings: CollectorSettings, keyring: Keyring, intake: Intake, tracer: trace.Tracer = DISABLED.tracer,
) -> APIRouter:
    router = APIRouter(responses=problems(*INTAKE_ANSWERS))

    @router.post("/v1/events", status_code=202, openapi_extra=json_body(event_batch_schema(settings.max_events)),
                 responses={202: {"model": EventsReply, "description": "each event accepted or refused, by index"},
                            422: problem_or(EventsReply, "every event refused (each reason named), or no event")})
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
        token = bearer_token(authorization)
        principal = keyring.authenticate(token) if token else None
        if principal is None:
            intake.count_refused_request("", "invalid_api_key")
            return problem(401, "invalid_api_key", "Authorization: Bearer <platform API key> required",
                            **{"WWW-Authenticate": "Bearer"})
        platform = principal.platform
        if principal.access is not Access.PLATFORM or platform is None:  # a viewer's or operator's token
            intake.count_refused_request("", "not_a_platform_key")
            return problem(403, "forbidden", "sending events needs a platform API key")
        span.set_attribute("skillpulse.platform", platform)
        try:
            body = await read_capped(request, settings.max_body_bytes, settings.body_read_timeout_s)
            received_at = datetime.now(UTC)
            # Off the event loop: a hostile body's parse must not stall the other requests.
            items = await asyncio.to_thread(parse_body, body, max_events=settings.max_events)
        except PayloadTooLarge:
            intake.count_refused_request(platform, "body_too_large")  # its events cannot be counted
            return problem(413, "body_too_large", f"request body over {settings.max_body_bytes} bytes")
        except BodyRefused as exc:
            return body_refused(intake, platform, exc)
        except (BatchTooLarge, InvalidBody) as exc:
            return unreadable(intake, platform, exc)
        checked = intake.check(platform, items, received_at)
        valid, rejected = checked.valid, checked.rejected
        span.set_attributes({"skillpulse.events.valid": len(valid), "skillpulse.events.rejected": len(rejected)})
        try:
            await intake.publish(platform, [event for _, event in valid], received_at)
        except (Overloaded, BrokerUnavailable) as exc:
            return refused(exc)
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
        ready = await intake.ready()
        return JSONResponse({"status": "ready" if ready else "broker_unreachable"}, status_code=200 if ready else 503)

    return router
