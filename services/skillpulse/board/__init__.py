"""The embedded KPI board: one live page of the contract KPIs and pipeline health, for
machines where Grafana does not run. It reads the same JSON APIs as everyone else
(`/v1/kpi/summary`, `/v1/kpi/<metric>`, `/v1/health/pipeline`): no KPI SQL of its own."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from skillpulse.board.page import board_html


def create_board_router() -> APIRouter:
    page = board_html()  # read once: a broken package fails at start, not at the first visit
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        # Relative, like the page's API calls, so the stack also works behind a path prefix.
        return RedirectResponse("board")

    @router.get("/board", response_class=HTMLResponse, summary="The KPI board (HTML, refreshes itself)")
    async def board() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    return router
