"""Erasure of one person's data (GDPR Art. 17), served by the aggregator role (it holds
the store): `POST /v1/erasures` with a platform key erases a user of that key's platform
only; `POST /v1/erasures/operator` (operator) names the platform. The JSON body carries
the platform's own user id: it is hashed into the collector's pseudonym and forgotten,
never logged, stored or repeated in an answer. One erasure at a time on the store, whichever
route asked (each rewrites the parts holding the person's rows, and the next one would take
the running one for an interrupted erasure): another meanwhile is answered 429 with Retry-After."""

from __future__ import annotations

import asyncio
import threading
from datetime import date, datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from skillpulse.api.openapi import json_body, problems
from skillpulse.api.problems import problem, read_model
from skillpulse.config import Settings
from skillpulse.contract import UserId
from skillpulse.store.erasure import erase_user, erasure_key, receipt_json

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

    from skillpulse.access import Principal

ERASURES_ROUTE = "/v1/erasures"
OPERATOR_ERASURES_ROUTE = "/v1/erasures/operator"
MAX_BODY_BYTES = 4096  # a user id is at most 256 characters
RETRY_AFTER_S = 5
BODY_TIMEOUT_S = 10.0


class PlatformErasure(BaseModel):
    """A platform's request: its own id of the person (the platform is the key's)."""

    model_config = ConfigDict(extra="forbid")
    user_id: UserId


class OperatorErasure(PlatformErasure):
    platform: str


class ErasureAnswer(BaseModel):
    """The receipt kept: what was removed, never whom."""

    erasure_id: str
    requested_at: datetime
    platform: str
    requested_by: str
    days: list[date]
    tools: list[str]
    rows_removed: dict[str, int]
    finished: bool


def create_erasure_router(store: Client, settings: Settings, erasing: threading.Lock, *,
                          by_operator: bool) -> APIRouter:
    """The platforms' route (a platform key), or the operators' (`by_operator`); both
    routers of a store share `erasing`."""
    route, model = (OPERATOR_ERASURES_ROUTE, OperatorErasure) if by_operator else (ERASURES_ROUTE, PlatformErasure)
    router = APIRouter(responses=problems(408, 413, 415, 422, 429))

    @router.post(route, response_model=ErasureAnswer, openapi_extra=json_body(model.model_json_schema()))
    async def erase(request: Request) -> dict[str, object] | JSONResponse:
        """Remove every row holding the person's pseudonym and recompute the figures of their days."""
        asked = await read_model(request, model, limit=MAX_BODY_BYTES, timeout_s=BODY_TIMEOUT_S, what="erasure")
        if isinstance(asked, JSONResponse):
            return asked
        if isinstance(asked, OperatorErasure):
            platform, requested_by = asked.platform, "operator"
            if platform not in settings.collector.platforms:
                raise HTTPException(422, "no such platform")
        else:
            principal: Principal = request.state.principal
            assert principal.platform is not None  # a platform key always names its platform
            platform, requested_by = principal.platform, "platform"
        user_key = erasure_key(settings, platform, asked.user_id)
        if not erasing.acquire(blocking=False):
            return problem(429, "erasure_under_way", "one erasure at a time: retry shortly",
                           **{"Retry-After": str(RETRY_AFTER_S)})
        try:
            receipt = await asyncio.to_thread(erase_user, store, platform, user_key, requested_by=requested_by)
        finally:
            erasing.release()
        return receipt_json(receipt)

    return router

