"""HTTP KPI API, served by the process that holds the store (so others need not open it)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

from clickhouse_connect.driver.client import Client
from fastapi import APIRouter, HTTPException, Query
from pydantic import ValidationError

from skillpulse.contract import PLATFORMS
from skillpulse.kpi.active_users import ActiveUsersParams, active_users_series


def create_kpi_router(store: Client) -> APIRouter:
    router = APIRouter(prefix="/v1/kpi")

    @router.get("/active-users")
    async def active_users(
        start: Annotated[date, Query(alias="from")],
        end: Annotated[date, Query(alias="to")],
        window_days: int = 60,
        min_logins: int = 2,
        platform: Annotated[list[str] | None, Query()] = None,
    ) -> list[dict[str, object]]:
        try:
            params = ActiveUsersParams(start=start, end=end, window_days=window_days, min_logins=min_logins,
                                       platforms=tuple(platform or (PLATFORMS[0],)))
        except ValidationError as exc:
            raise HTTPException(422, exc.errors(include_url=False, include_context=False, include_input=False)) from None
        return await asyncio.to_thread(active_users_series, store, params)

    return router
