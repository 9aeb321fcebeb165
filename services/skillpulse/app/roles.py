"""What a role hands the HTTP app it runs in, and the background tasks it keeps."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from fastapi import APIRouter

from skillpulse.access import Access
from skillpulse.stack_state import ROLES

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = ["ROLES", "Guarded", "Role", "RoleFactory", "background"]


class Guarded(NamedTuple):
    """A router and the access its routes need; None: its routes check credentials of
    their own (platform keys, a realm's signature, LRS credentials) or are open probes."""

    router: APIRouter
    access: Access | None


@dataclass(frozen=True)
class Role:
    name: str
    routers: tuple[Guarded, ...]
    store: Client | None = None  # the aggregator's reader handle (demo and tests read through it)


RoleFactory = Callable[[], AbstractAsyncContextManager[Role]]


@asynccontextmanager
async def background(*work: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run `work` while the block runs; cancelled (and awaited) before the block's
    resources are closed."""
    tasks = [asyncio.create_task(job) for job in work]
    try:
        yield
    finally:
        for task in reversed(tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
