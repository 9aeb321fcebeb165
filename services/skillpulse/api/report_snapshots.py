"""Report snapshots (agreement Art. 12) on the running stack, whose process holds the
embedded store (one process per chdb path): `skillpulse report` stores the snapshot of the
file it wrote, `skillpulse report verify` reads it back with what changed since. Operator
routes, served by the aggregator role on the writer's store client."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from skillpulse.api.openapi import json_body, problems
from skillpulse.api.problems import read_model
from skillpulse.report.snapshot import MAX_FIGURES, SNAPSHOT_ROUTE, ReportSnapshot
from skillpulse.report.snapshot_store import SnapshotLookup, insert_snapshot, lookup

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

MAX_BODY_BYTES = MAX_FIGURES * 400 + 65536  # a key, a label and a command per figure, and the parameters
BODY_TIMEOUT_S = 10.0
# Where `openapi_document` hoists a body's definitions (ReportFigure), so its $refs resolve.
COMPONENT_REF = "#/components/schemas/{model}"


class SnapshotStored(BaseModel):
    snapshot_id: uuid.UUID


def create_report_snapshot_router(store: Client) -> APIRouter:
    router = APIRouter(responses=problems(408, 413, 415, 422, 503))

    @router.post(SNAPSHOT_ROUTE, response_model=SnapshotStored,
                 openapi_extra=json_body(ReportSnapshot.model_json_schema(ref_template=COMPONENT_REF)))
    async def record(request: Request) -> SnapshotStored | JSONResponse:
        """Store the snapshot of a report just written (its figures, parameters, watermark, hashes)."""
        snapshot = await read_model(request, ReportSnapshot, limit=MAX_BODY_BYTES, timeout_s=BODY_TIMEOUT_S,
                                    what="snapshot")
        if isinstance(snapshot, JSONResponse):
            return snapshot
        await asyncio.to_thread(insert_snapshot, store, snapshot)
        return SnapshotStored(snapshot_id=snapshot.snapshot_id)

    @router.get(SNAPSHOT_ROUTE + "/{sha256}")
    async def find(sha256: Annotated[str, Path(max_length=64)],
                   snapshot_id: Annotated[uuid.UUID | None, Query()] = None) -> SnapshotLookup:
        """The snapshot of the file with this SHA-256 (else of `snapshot_id`, the id its footer
        names) and what the store holds now that it did not see; `snapshot` null when none."""
        return await asyncio.to_thread(lookup, store, sha256, snapshot_id)

    return router
