"""The HTTP API's reads of the store: a few at a time, each within its budget.

The reader handle runs one statement at a time, so every read waits for those before it:
past `max_concurrent_reads` running or waiting, a read is refused at once (429 with
Retry-After) instead of joining a queue that grows with every request. A read that
ClickHouse stopped at its time or memory limit (`store.client.limit_reads`) is a 503."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from fastapi import HTTPException

from skillpulse.config import QuerySettings
from skillpulse.store.client import over_budget

P = ParamSpec("P")
T = TypeVar("T")

READS_RETRY_AFTER_S = 1
BUDGET_RETRY_AFTER_S = 5


class StoreReads:
    """Runs reads of the store in threads, `max_concurrent_reads` at most."""

    def __init__(self, budget: QuerySettings | None = None) -> None:
        self.limit = (budget or QuerySettings()).max_concurrent_reads
        self._in_use = 0  # touched on the event loop only

    @property
    def in_use(self) -> int:
        return self._in_use

    async def run(self, read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._in_use >= self.limit:
            raise HTTPException(429, {"error": "too_many_reads",
                                      "message": "too many reads of the store at once; retry later"},
                                headers={"Retry-After": str(READS_RETRY_AFTER_S)})
        self._in_use += 1
        job = asyncio.get_running_loop().run_in_executor(
            None, contextvars.copy_context().run, functools.partial(read, *args, **kwargs))
        # The slot is freed when the thread is done, not when the request is: a client that
        # hangs up does not stop the statement its read started (hence the shield).
        job.add_done_callback(self._release)
        try:
            return await asyncio.shield(job)
        except Exception as exc:
            if over_budget(exc):
                raise HTTPException(503, {"error": "query_over_budget",
                                          "message": "this read went past its time or memory budget; "
                                                     "narrow the range or the window, or retry later"},
                                    headers={"Retry-After": str(BUDGET_RETRY_AFTER_S)}) from None
            raise

    def _release(self, job: asyncio.Future[Any]) -> None:
        self._in_use -= 1
        if not job.cancelled():
            job.exception()  # retrieved here too, for a request that hung up before it was
