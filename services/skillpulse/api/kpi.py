"""HTTP KPI API, served by the process that holds the store (so others need not open it)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import ValidationError

from skillpulse.api.openapi import STORE_READ_ANSWERS, problems
from skillpulse.api.store_reads import StoreReads
from skillpulse.contract import PLATFORMS
from skillpulse.kpi.catalogue import METRICS, Result, compute
from skillpulse.kpi.params import MAX_PLATFORMS, KpiParams
from skillpulse.kpi.summary import contract_summary

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

# The store's Date range: a summary as of another day is refused, never clamped.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2149, 6, 6)


def create_kpi_router(store: Client, reads: StoreReads | None = None) -> APIRouter:
    router = APIRouter(prefix="/v1/kpi", responses=problems(404, *STORE_READ_ANSWERS))
    reads = reads or StoreReads()

    @router.get("")
    async def catalogue() -> list[dict[str, Any]]:
        return [{"id": m.id, "metric": m.slug, "title": m.title, "unit": m.unit, "kind": m.kind,
                 "target": m.target, "target_period": m.target_period, "parameters": list(m.parameters),
                 "definition": m.definition} for m in METRICS.values()]

    @router.get("/summary")
    async def summary(as_of: Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY)] = None,
                      platform: Annotated[list[str] | None, Query(max_length=MAX_PLATFORMS)] = None) -> Any:
        return await reads.run(contract_summary, store, as_of or date.today(), tuple(platform or (PLATFORMS[0],)))

    @router.get("/{metric}")
    async def metric_values(
        metric: str,
        start: Annotated[date, Query(alias="from")],
        end: Annotated[date, Query(alias="to")],
        window_days: int = 60,
        min_logins: int = 2,
        platform: Annotated[list[str] | None, Query()] = None,
        organisation: str | None = None,
    ) -> Result:
        if metric not in METRICS:
            raise HTTPException(404, "unknown metric; GET /v1/kpi lists them")
        try:
            params = KpiParams(start=start, end=end, window_days=window_days, min_logins=min_logins,
                               platforms=tuple(platform or (PLATFORMS[0],)), organisation=organisation)
            return await reads.run(compute, metric, store, params)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=False)
            raise HTTPException(422, errors) from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None

    return router
