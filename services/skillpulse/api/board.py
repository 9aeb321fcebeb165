"""`GET /board`, the KPI board page (and `/`, which redirects to it)."""

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
