"""`GET /v1/health/pipeline`: the pipeline's health over the last minutes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query

from skillpulse.api.openapi import STORE_READ_ANSWERS, problems
from skillpulse.api.store_reads import StoreReads
from skillpulse.health.snapshot import pipeline_health

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def create_health_router(store: Client, reads: StoreReads | None = None) -> APIRouter:
    reads = reads or StoreReads()
    router = APIRouter(prefix="/v1/health", responses=problems(*STORE_READ_ANSWERS))

    @router.get("/pipeline")
    async def pipeline(minutes: Annotated[float, Query(gt=0, le=7 * 24 * 60)] = 5.0) -> dict[str, Any]:
        """Events per second accepted/rejected/stored, rejections by reason, freshness
        p50/p95/p99, batch sizes, insert latency and consumer lag."""
        return await reads.run(pipeline_health, store, minutes)

    return router
