"""`POST /v1/sources/keycloak`: the webhook of p2-inc/keycloak-events (`ext-event-http` or
`ext-event-webhook`), signed with a realm's shared secret. Logins go through the Intake
like `POST /v1/events`; other events are acknowledged and counted as ignored (Keycloak
retries anything but a 2xx for minutes)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from skillpulse.api.openapi import INTAKE_ANSWERS, problems
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
from skillpulse.config import CollectorSettings, KeycloakSettings
from skillpulse.sources.keycloak import SIGNATURE_HEADER, Ignored, Login, map_event, signing_realm

logger = logging.getLogger("skillpulse.collector")


def create_keycloak_router(collector: CollectorSettings, keycloak: KeycloakSettings, intake: Intake) -> APIRouter:
    router = APIRouter(responses=problems(*INTAKE_ANSWERS))

    @router.post("/v1/sources/keycloak", status_code=202)
    async def receive_keycloak_events(
        request: Request, x_keycloak_signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
    ) -> JSONResponse:
        try:
            body = await read_capped(request, collector.max_body_bytes, collector.body_read_timeout_s)
        except PayloadTooLarge:  # before the signature can be checked: no platform yet
            intake.count_refused_request("", "body_too_large")
            return problem(413, "body_too_large", f"request body over {collector.max_body_bytes} bytes")
        except BodyRefused as exc:
            return body_refused(intake, "", exc)
        realm = signing_realm(body, x_keycloak_signature, keycloak.realm_secrets)
        if realm is None:
            intake.count_refused_request("", "invalid_signature")
            return problem(401, "invalid_signature",
                            f"{SIGNATURE_HEADER}: hex HMAC-SHA256 of the body with the realm's shared secret required")
        platform = keycloak.default_platform
        received_at = datetime.now(UTC)
        try:
            items = await asyncio.to_thread(parse_body, body, max_events=collector.max_events)  # off the loop
        except (BatchTooLarge, InvalidBody) as exc:
            return unreadable(intake, platform, exc)
        return await _take(intake, realm, keycloak, items, received_at)

    return router


async def _take(intake: Intake, realm: str, keycloak: KeycloakSettings, items: list[Any],
                received_at: datetime) -> JSONResponse:
    results: list[dict[str, Any]] = []
    logins: dict[str, list[tuple[int, Login]]] = defaultdict(list)
    for index, item in enumerate(items):
        mapped = map_event(item, realm, keycloak)
        if isinstance(mapped, Ignored):
            intake.stats.count("ignored", mapped.platform, mapped.reason)
            results.append({"index": index, "status": "ignored", "reason": mapped.reason})
        else:
            logins[mapped.platform].append((index, mapped))
    accepted = rejected = 0
    for platform, numbered in logins.items():
        checked = intake.check(platform, [login.event for _, login in numbered], received_at)
        try:
            await intake.publish(platform, [event for _, event in checked.valid], received_at)
        except (Overloaded, BrokerUnavailable) as exc:
            return refused(exc)
        for position, event in checked.valid:
            results.append({"index": numbered[position][0], "event_id": str(event.event_id), "status": "accepted"})
        for rejection in checked.rejected:
            results.append(rejection.as_json() | {"index": numbered[rejection.index][0]})
        accepted += len(checked.valid)
        rejected += len(checked.rejected)
    if rejected:
        logger.info("keycloak realm=%s accepted=%d rejected=%d", realm, accepted, rejected)
    results.sort(key=lambda result: result["index"])
    ignored = len(items) - accepted - rejected
    status = 422 if rejected and not accepted and not ignored else 202
    return JSONResponse({"accepted": accepted, "ignored": ignored, "rejected": rejected, "results": results},
                        status_code=status)
