"""The board's router alone: the page is served from the package, self-contained, and
`/` leads to it (no stack needed)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from skillpulse.api.board import create_board_router
from skillpulse.board.page import CONFIG_MARK, REFRESH_S
from skillpulse.contract import PLATFORMS


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(create_board_router())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://board.test") as http:
        yield http


async def test_the_page_is_served_as_html(client: httpx.AsyncClient) -> None:
    response = await client.get("/board")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    for marked in ('data-kpi="active-users"', 'data-kpi="trained-users"', 'data-kpi="new-tools"',
                   'data-kpi="new-features"', 'data-kpi="dau"', 'data-kpi="mau"', 'data-kpi="stickiness"',
                   'data-health="accepted"', 'data-health="freshness-p99"', 'data-health="consumer-lag"',
                   'data-catalogue="used_not_declared"', 'data-catalogue="declared_not_used"'):
        assert marked in response.text


async def test_the_page_fetches_nothing_from_elsewhere(client: httpx.AsyncClient) -> None:
    page = (await client.get("/board")).text
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    assert not re.search(r"<(script|img|iframe)[^>]*\bsrc=|<link\b|@import|url\(", page)
    # Only the JSON APIs of the same process, by path under the page's directory (works behind
    # a prefix too), made absolute from location.origin (which never holds credentials).
    assert "const API_BASE = location.origin + location.pathname" in page and "fetch(API_BASE + path" in page
    assert set(re.findall(r"`(v1/[a-z/-]+)\?", page)) | set(re.findall(r'"(v1/[a-z/-]+)\?', page)) == {
        "v1/kpi/summary", "v1/kpi/active-users", "v1/kpi/stickiness", "v1/health/pipeline",
        "v1/kpi/tool-catalogue-check"}


async def test_the_platforms_and_refresh_period_are_written_in(client: httpx.AsyncClient) -> None:
    page = (await client.get("/board")).text
    assert CONFIG_MARK not in page
    config = re.search(r'<script id="board-config" type="application/json">(.*?)</script>', page)
    assert config is not None
    assert json.loads(config.group(1)) == {"platforms": list(PLATFORMS), "refresh_s": REFRESH_S}
    assert REFRESH_S <= 10


async def test_root_redirects_to_the_board(client: httpx.AsyncClient) -> None:
    response = await client.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "board"
    followed = await client.get("/", follow_redirects=True)
    assert followed.url.path == "/board" and followed.status_code == 200
