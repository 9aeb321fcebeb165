"""`GET /v1/freshness?platform=…`: the newest stored event, for reports made while
`skillpulse up` holds the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query

from skillpulse.api.openapi import STORE_READ_ANSWERS, problems
from skillpulse.api.store_reads import StoreReads
from skillpulse.contract import PLATFORMS
from skillpulse.kpi.params import MAX_PLATFORMS
from skillpulse.report.freshness import Freshness, data_freshness

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def create_freshness_router(store: Client, reads: StoreReads | None = None) -> APIRouter:
    reads = reads or StoreReads()
    router = APIRouter(responses=problems(*STORE_READ_ANSWERS))

    @router.get("/v1/freshness")
    async def freshness(platform: Annotated[list[str] | None, Query(max_length=MAX_PLATFORMS)] = None) -> Freshness:
        return await reads.run(data_freshness, store, tuple(platform or (PLATFORMS[0],)))

    return router
