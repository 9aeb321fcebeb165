"""The web site of the H5P forwarder's browser test: it serves the test page and the
forwarder, and reverse-proxies the xAPI statements resource of a real running stack under
its own origin, as a platform does (the collector sends no CORS headers, so a page reaches
it through its own site): `/xapi/statements` passes the browser's request on as it is
(the page sends Basic auth itself); `/relay/xapi/statements` adds the LRS credentials and
the version header, for pages that hold no secret and use sendBeacon."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from tests.adapters.node import ADAPTERS

FORWARDER = ADAPTERS / "h5p-forwarder"
FILES = {"skillpulse-h5p.js": FORWARDER / "skillpulse-h5p.js", "h5p-standin.js": FORWARDER / "test" / "h5p-standin.js",
         "done.html": FORWARDER / "test" / "done.html"}
PASSED_ON = ("authorization", "x-experience-api-version", "content-type")


@dataclass(frozen=True)
class StatementsRequest:
    """One POST the browser made to the statements resource, as the site saw it."""

    path: str
    statement_ids: list[str]
    status: int
    authorization: bool  # did the browser send one
    version_header: bool
    after_report: bool  # sent once the page had reported, i.e. at pagehide


@dataclass
class H5PSite:
    stack_url: str
    relay_authorization: str  # "Basic …" of the platform's LRS credentials
    config: dict[str, Any]  # window.TEST_CONFIG of the page
    final_statements: int  # how many statements the page must send at pagehide
    requests: list[StatementsRequest] = field(default_factory=list)
    report: dict[str, Any] | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/h5p/page.html")
        async def page() -> HTMLResponse:
            html = (FORWARDER / "test" / "h5p-page.html").read_text()
            return HTMLResponse(html.replace("/*TEST_CONFIG*/", f"window.TEST_CONFIG = {json.dumps(self.config)}"))

        @app.get("/h5p/{name}")
        async def static(name: str) -> Response:
            if name not in FILES:
                return Response(status_code=404)
            kind = "text/html" if name.endswith(".html") else "text/javascript"
            return Response(FILES[name].read_bytes(), media_type=kind)

        @app.post("/xapi/statements")
        async def direct(request: Request) -> Response:
            return await self._pass_on(request, {k: v for k, v in request.headers.items() if k in PASSED_ON})

        @app.post("/relay/xapi/statements")
        async def relay(request: Request) -> Response:
            return await self._pass_on(request, {"Authorization": self.relay_authorization,
                                                 "X-Experience-API-Version": "1.0.3",
                                                 "Content-Type": "application/json"})

        @app.post("/test/report")
        async def report(request: Request) -> Response:
            self.report = await request.json()
            return Response(status_code=204)

        @app.get("/test/final")
        async def final() -> JSONResponse:
            try:
                await asyncio.wait_for(self._arrived.wait(), 30)
            except TimeoutError:
                return JSONResponse({"arrived": False}, status_code=504)
            return JSONResponse({"arrived": True})

        return app

    async def _pass_on(self, request: Request, headers: dict[str, str]) -> Response:
        body = await request.body()
        async with httpx.AsyncClient(base_url=self.stack_url, timeout=30) as client:
            answer = await client.post("/xapi/statements", content=body, headers=headers)
        statements = json.loads(body)
        self.requests.append(StatementsRequest(
            request.url.path, [s.get("id") for s in statements], answer.status_code,
            "authorization" in request.headers, "x-experience-api-version" in request.headers, self.report is not None))
        final = sum(len(r.statement_ids) for r in self.requests if r.after_report and r.status == 200)
        if final >= self.final_statements:
            self._arrived.set()
        return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))
