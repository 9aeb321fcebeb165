"""`POST /v1/rollups/refresh`: catch the rollups up now (the CLI calls it once everything it
sent is stored, instead of waiting for the refresher's next round)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from skillpulse.api.openapi import problems
from skillpulse.store.rollups import refresh_pending

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


class RefreshRequest(BaseModel):
    """The refresh's JSON body, `{}` (only a JSON request may change state)."""

    model_config = ConfigDict(extra="forbid")


def create_rollup_router(store: Client) -> APIRouter:
    router = APIRouter(responses=problems(503))

    @router.post("/v1/rollups/refresh")
    async def refresh(body: RefreshRequest) -> dict[str, int]:
        """Recompute every queued user's and day's rollups; answers how many users."""
        return {"users": await asyncio.to_thread(refresh_pending, store, wait_for_visibility=False)}

    return router
