"""HTTP KPI API, served by the process that holds the store (so others need not open it)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import ValidationError

from skillpulse.contract import PLATFORMS
from skillpulse.kpi.catalogue import METRICS, Result, compute
from skillpulse.kpi.params import KpiParams
from skillpulse.kpi.summary import contract_summary

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def create_kpi_router(store: Client) -> APIRouter:
    router = APIRouter(prefix="/v1/kpi")

    @router.get("")
    async def catalogue() -> list[dict[str, Any]]:
        return [{"id": m.id, "metric": m.slug, "title": m.title, "unit": m.unit, "kind": m.kind,
                 "target": m.target, "target_period": m.target_period, "parameters": list(m.parameters),
                 "definition": m.definition} for m in METRICS.values()]

    @router.get("/summary")
    async def summary(as_of: date | None = None, platform: Annotated[list[str] | None, Query()] = None) -> Any:
        return await asyncio.to_thread(contract_summary, store, as_of or date.today(),
                                       tuple(platform or (PLATFORMS[0],)))

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
            raise HTTPException(404, f"unknown metric {metric!r}; GET /v1/kpi lists them")
        try:
            params = KpiParams(start=start, end=end, window_days=window_days, min_logins=min_logins,
                               platforms=tuple(platform or (PLATFORMS[0],)), organisation=organisation)
            return await asyncio.to_thread(compute, metric, store, params)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=False)
            raise HTTPException(422, errors) from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None

    return router
