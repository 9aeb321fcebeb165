"""`POST /v1/backups` (operator): the running stack's process, which holds the embedded
store, backs it up into `<data dir>/backups/<UTC time>` and answers where, with the
manifest; `skillpulse backup --to DIR` then moves it. The path is never taken from the
request. One backup at a time: another meanwhile is answered 429 with Retry-After."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from skillpulse.api.openapi import problems
from skillpulse.api.problems import problem
from skillpulse.config import Settings
from skillpulse.store.backup import BackupError, Manifest, backup_store

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client
    from fastapi.responses import JSONResponse

BACKUPS_ROUTE = "/v1/backups"
RETRY_AFTER_S = 30


class BackupRequest(BaseModel):
    """`{}` (only a JSON request may change state)."""

    model_config = ConfigDict(extra="forbid")


class BackupAnswer(BaseModel):
    directory: str
    manifest: Manifest


def create_backup_router(store: Client, settings: Settings) -> APIRouter:
    router = APIRouter(responses=problems(422, 429))
    lock = asyncio.Lock()

    @router.post(BACKUPS_ROUTE, response_model=BackupAnswer)
    async def make_backup(body: BackupRequest) -> dict[str, Any] | JSONResponse:
        """Back the store up under the data dir; answers the directory and the manifest."""
        if lock.locked():
            return problem(429, "backup_under_way", "one backup at a time: retry later",
                           **{"Retry-After": str(RETRY_AFTER_S)})
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        directory = settings.paths.data_dir.resolve() / "backups" / f"{stamp}-{uuid.uuid4().hex[:8]}"
        async with lock:
            try:
                manifest = await asyncio.to_thread(backup_store, store, directory)
            except BackupError as exc:  # a ClickHouse server: its own BACKUP (the message says so)
                return problem(422, "backup_refused", str(exc))
        return {"directory": str(directory), "manifest": manifest.model_dump(mode="json")}

    return router
