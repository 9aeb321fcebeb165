"""`POST /v1/blog/articles`: a blog poller's articles into the store of the running stack
(`skillpulse up` holds the embedded store; one process per chdb path), for MV2. An operator
route: served by the aggregator role, on the writer's store client."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from fastapi import APIRouter, HTTPException, Request
from pydantic import ValidationError

from skillpulse.api.openapi import problems
from skillpulse.api.problems import BodyRefused, PayloadTooLarge, read_capped
from skillpulse.sources.blog_store import BLOG_ROUTE, MAX_ARTICLES_PER_REQUEST, ArticleBatch, record_articles

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

MAX_BODY_BYTES = MAX_ARTICLES_PER_REQUEST * 2200  # a GUID of at most 2,048 characters and a date each
BODY_TIMEOUT_S = 10.0  # the whole body: a client trickling bytes does not hold the route


def create_blog_router(store: Client) -> APIRouter:
    router = APIRouter(responses=problems(408, 413, 415, 503))

    @router.post(BLOG_ROUTE)
    async def record(request: Request) -> dict[str, int]:
        """Store each article once (by GUID); answers how many were new, re-dated, unchanged."""
        try:
            body = await read_capped(request, MAX_BODY_BYTES, BODY_TIMEOUT_S)
        except PayloadTooLarge:
            raise HTTPException(413, {"error": "body_too_large",
                                      "message": f"at most {MAX_BODY_BYTES} bytes per request"}) from None
        except BodyRefused as exc:  # 408 (not received in time), 415 (not JSON)
            raise HTTPException(exc.status, {"error": exc.reason, "message": exc.message}) from None
        try:
            batch = ArticleBatch.model_validate_json(body)
        except ValidationError as exc:  # where and why, never the value sent
            refused = [{"loc": list(error["loc"]), "msg": error["msg"]} for error in exc.errors()]
            raise HTTPException(422, refused) from None
        return (await asyncio.to_thread(record_articles, store, batch))._asdict()

    return router
