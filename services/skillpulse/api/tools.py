"""The tool catalogue over HTTP (MC4, MP2 count what it declares made available), on the
running stack whose process holds the embedded store (one process per chdb path):
`GET /v1/tools` for a viewer, `POST /v1/tools/declare` (declare or correct) and
`POST /v1/tools/retire` for an operator (paths of their own: one access per path). The
CLI `skillpulse tools` is their client."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from skillpulse.api.openapi import STORE_READ_ANSWERS, json_body, problems
from skillpulse.api.problems import problem, read_model
from skillpulse.api.store_reads import StoreReads
from skillpulse.contract import MAX_ID_LENGTH, CatalogueId
from skillpulse.kpi.tool_catalogue import (
    MAX_ALIASES,
    CatalogueEntry,
    CatalogueError,
    Declaration,
    Retirement,
    current_entries,
    declare,
    history,
    retire,
)

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

TOOLS_ROUTE = "/v1/tools"
DECLARE_ROUTE = "/v1/tools/declare"
RETIRE_ROUTE = "/v1/tools/retire"
# An id and a note of at most 4 × 256 characters before normalising (4 bytes each at most in
# UTF-8), aliases as many ids, and room for the dates and names.
MAX_BODY_BYTES = (MAX_ALIASES + 3) * 4 * 4 * MAX_ID_LENGTH + 4096
BODY_TIMEOUT_S = 10.0
Request_ = TypeVar("Request_", Declaration, Retirement)


class CatalogueAnswer(BaseModel):
    """The catalogue's entries (current state, or every revision with `history`)."""

    entries: list[CatalogueEntry]


def _declared_by(request: Request) -> str:
    """The name of the key that made the request (its label, else its id): never the token."""
    return str(request.state.principal.name)


def create_tool_catalogue_router(store: Client, reads: StoreReads | None = None) -> APIRouter:
    """The catalogue's reading route (viewer)."""
    router = APIRouter(responses=problems(*STORE_READ_ANSWERS))
    reads = reads or StoreReads()

    @router.get(TOOLS_ROUTE)
    async def listed(with_history: Annotated[bool, Query(alias="history")] = False,
                     tool_id: Annotated[CatalogueId | None, Query()] = None) -> CatalogueAnswer:
        """Each tool and feature's current state, or (`history=true`) every revision, of one tool or all."""
        found = await (reads.run(history, store, tool_id) if with_history else reads.run(current_entries, store))
        return CatalogueAnswer(entries=[entry for entry in found
                                        if with_history or tool_id is None or entry.tool_id == tool_id])

    return router


def create_tool_declaration_router(store: Client) -> APIRouter:
    """The catalogue's state changes (operator), on the writer's store client."""
    router = APIRouter(responses=problems(408, 413, 415, 422, 503))
    # One change at a time: each reads the current revision and its aliases, then writes the next.
    writing = threading.Lock()

    def declared_under_lock(body: Declaration, by: str) -> CatalogueEntry:
        with writing:
            return declare(store, body, by)

    def retired_under_lock(body: Retirement, by: str) -> CatalogueEntry:
        with writing:
            return retire(store, body, by)

    async def answer(request: Request, model: type[Request_]) -> CatalogueEntry | JSONResponse:
        body = await read_model(request, model, limit=MAX_BODY_BYTES, timeout_s=BODY_TIMEOUT_S, what="declaration")
        if isinstance(body, JSONResponse):
            return body
        try:
            if isinstance(body, Declaration):
                entry = await asyncio.to_thread(declared_under_lock, body, _declared_by(request))
            else:
                entry = await asyncio.to_thread(retired_under_lock, body, _declared_by(request))
        except CatalogueError as exc:  # the message names the rule, never the input
            return problem(422, "catalogue_refused", str(exc))
        return entry

    @router.post(DECLARE_ROUTE, response_model=CatalogueEntry, openapi_extra=json_body(Declaration.model_json_schema()))
    async def declared(request: Request) -> CatalogueEntry | JSONResponse:
        """Declare a tool (or a feature of a declared tool) made available, or correct its declaration."""
        return await answer(request, Declaration)

    @router.post(RETIRE_ROUTE, response_model=CatalogueEntry, openapi_extra=json_body(Retirement.model_json_schema()))
    async def retired(request: Request) -> CatalogueEntry | JSONResponse:
        """Withdraw a declared tool or feature from `retired_on` on."""
        return await answer(request, Retirement)

    return router
