"""The blocking client, for platforms without an event loop (a Django or Flask app, a
cron job): the asynchronous client run on an event loop of its own, in a daemon thread.

    with SkillpulseClient(url, api_key, spool_path="/var/lib/lms/skillpulse-spool.db") as client:
        client.send(training("teacher-42", training_id="intro-ai", status="completed"))
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterable
from types import TracebackType
from typing import Any, TypeVar

from skillpulse.sdk.client import AsyncSkillpulseClient
from skillpulse.sdk.delivery import DeliveryReport
from skillpulse.sdk.events import Sendable

T = TypeVar("T")


class SkillpulseClient:
    """Same options and behaviour as AsyncSkillpulseClient; every call blocks until the
    client's own thread did it (`send` returns once the event is spooled)."""

    def __init__(self, url: str, api_key: str, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="skillpulse-sdk", daemon=True)
        self._thread.start()
        self._client = AsyncSkillpulseClient(url, api_key, **options)
        try:
            self._call(self._client.start())
        except BaseException:
            self._stop_loop()
            raise

    @property
    def report(self) -> DeliveryReport:
        return self._client.report

    @property
    def unsent(self) -> int:
        return self._client.unsent

    def send(self, event: Sendable) -> None:
        self._call(self._client.send(event))

    def send_many(self, events: Iterable[Sendable]) -> None:
        self._call(self._client.send_many(list(events)))  # iterated here, not on the client's thread

    def flush(self, timeout_s: float | None = None) -> None:
        self._call(self._client.flush(timeout_s))

    def close(self, *, flush: bool = True) -> None:
        if not self._loop.is_closed():
            try:
                self._call(self._client.aclose(flush=flush))
            finally:
                self._stop_loop()

    def __enter__(self) -> SkillpulseClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close(flush=kind is None)

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
