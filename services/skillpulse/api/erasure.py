"""Erasure of one person's data (GDPR Art. 17), served by the aggregator role (it holds
the store): `POST /v1/erasures` with a platform key erases a user of that key's platform
only; `POST /v1/erasures/operator` (operator) names the platform. The JSON body carries
the platform's own user id: it is hashed into the collector's pseudonym and forgotten,
never logged, stored or repeated in an answer. One erasure at a time per route (each rewrites the
parts holding the person's rows): another meanwhile is answered 429 with Retry-After."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, ValidationError

from skillpulse.api.openapi import json_body, problems
from skillpulse.api.problems import problem
from skillpulse.config import Settings
from skillpulse.contract import UserId
from skillpulse.store.erasure import erase_user, erasure_key, receipt_json

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client
    from fastapi.responses import JSONResponse

    from skillpulse.access import Principal

ERASURES_ROUTE = "/v1/erasures"
OPERATOR_ERASURES_ROUTE = "/v1/erasures/operator"
MAX_BODY_BYTES = 4096  # a user id is at most 256 characters
RETRY_AFTER_S = 5


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


async def _body(request: Request, model: type[PlatformErasure]) -> PlatformErasure:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(413, f"at most {MAX_BODY_BYTES} bytes per request")
    try:
        return model.model_validate_json(bytes(body))
    except ValidationError as exc:  # where and why, never the value sent
        raise HTTPException(422, [{"loc": list(error["loc"]), "msg": error["msg"]} for error in exc.errors()]) from None


def create_erasure_router(store: Client, settings: Settings, *, by_operator: bool) -> APIRouter:
    """The platforms' route (a platform key), or the operators' (`by_operator`)."""
    route, model = (OPERATOR_ERASURES_ROUTE, OperatorErasure) if by_operator else (ERASURES_ROUTE, PlatformErasure)
    router = APIRouter(responses=problems(413, 429))
    lock = asyncio.Lock()

    @router.post(route, response_model=ErasureAnswer, openapi_extra=json_body(model.model_json_schema()))
    async def erase(request: Request) -> dict[str, object] | JSONResponse:
        """Remove every row holding the person's pseudonym and recompute the figures of their days."""
        asked = await _body(request, model)
        if isinstance(asked, OperatorErasure):
            platform, requested_by = asked.platform, "operator"
            if platform not in settings.collector.platforms:
                raise HTTPException(422, "no such platform")
        else:
            principal: Principal = request.state.principal
            assert principal.platform is not None  # a platform key always names its platform
            platform, requested_by = principal.platform, "platform"
        if lock.locked():
            return problem(429, "erasure_under_way", "one erasure at a time: retry shortly",
                           **{"Retry-After": str(RETRY_AFTER_S)})
        user_key = erasure_key(settings, platform, asked.user_id)
        async with lock:
            receipt = await asyncio.to_thread(erase_user, store, platform, user_key, requested_by=requested_by)
        return receipt_json(receipt)

    return router

