"""Reach the pipeline from a CLI command: the `skillpulse up` already running on this
data dir (over HTTP and Kafka, since its process holds the store), or an in-process
embedded stack for the length of the command."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from skillpulse.config import Settings
from skillpulse.kafka import wait_until_drained
from skillpulse.stack import ROLES, Stack, running_stack


@dataclass(frozen=True)
class Pipeline:
    url: str
    bootstrap: str
    settings: Settings
    stack: Stack | None  # None when another process runs it

    async def wait_until_stored(self, timeout_s: float = 300.0) -> float:
        """Wait until everything published so far is stored and in the KPIs; return the seconds waited."""
        started = time.monotonic()
        await wait_until_drained(self.bootstrap, self.settings.kafka.topic, self.settings.aggregator.group_id,
                                 timeout_s)
        async with httpx.AsyncClient(base_url=self.url, timeout=timeout_s) as client:
            (await client.post("/v1/rollups/refresh")).raise_for_status()
        return time.monotonic() - started


@asynccontextmanager
async def pipeline(
    settings: Settings, *, port: int | None = None, roles: tuple[str, ...] = ROLES
) -> AsyncIterator[Pipeline]:
    state = running_stack(settings.paths.data_dir)
    if state is not None:
        yield Pipeline(state["url"], state["bootstrap"], settings, None)
        return
    if port is not None:
        settings = settings.model_copy(update={"collector": settings.collector.model_copy(update={"port": port})})
    async with Stack(settings, roles) as stack:
        yield Pipeline(stack.url, stack.bootstrap, settings, stack)
