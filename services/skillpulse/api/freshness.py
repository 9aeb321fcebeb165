"""`GET /v1/freshness?platform=…`: the newest stored event, for reports made while
`skillpulse up` holds the store."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query

from skillpulse.contract import PLATFORMS
from skillpulse.report.freshness import Freshness, data_freshness

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def create_freshness_router(store: Client) -> APIRouter:
    router = APIRouter()

    @router.get("/v1/freshness")
    async def freshness(platform: Annotated[list[str] | None, Query()] = None) -> Freshness:
        return await asyncio.to_thread(data_freshness, store, tuple(platform or (PLATFORMS[0],)))

    return router
