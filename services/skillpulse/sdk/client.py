"""The asynchronous client: events go into the spool, a background task sends them in
batches within the collector's limits, a few requests in flight, and removes them from
the spool once the collector answered for them.

    async with AsyncSkillpulseClient(url, api_key, spool_path="skillpulse-spool.db") as client:
        await client.send(login("teacher-42", method="sso"))
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

import httpx

from skillpulse.sdk.delivery import (
    MAX_BODY_BYTES,
    MAX_EVENTS_PER_REQUEST,
    Collector,
    CollectorUnavailable,
    DeliveryReport,
)
from skillpulse.sdk.events import Sendable, encode
from skillpulse.sdk.retry import RetryPolicy
from skillpulse.sdk.spool import Spool, Spooled, open_spool

logger = logging.getLogger("skillpulse.sdk")


class AsyncSkillpulseClient:
    """One platform's client of the collector.

    With `spool_path`, events wait on disk until the collector took them: `send` never
    blocks on the network, the default retry policy never gives up, and what is still
    unsent at `aclose` (after `close_timeout_s`) is resent on the next start. Without it,
    they wait in memory: `send` waits when `max_buffered` events are unsent, the default
    policy gives up after 8 attempts and `flush`/`aclose` raise CollectorUnavailable.
    """

    def __init__(self, url: str, api_key: str, *, spool_path: Path | str | None = None, batch_size: int = 500,
                 flush_interval_s: float = 1.0, max_batch_bytes: int = MAX_BODY_BYTES, concurrency: int = 4,
                 retry: RetryPolicy | None = None, max_buffered: int | None = None,
                 close_timeout_s: float | None = None, keep_ids: bool = False, report: DeliveryReport | None = None,
                 timeout_s: float = 30.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not 1 <= batch_size <= MAX_EVENTS_PER_REQUEST:
            raise ValueError(f"batch_size must be 1 … {MAX_EVENTS_PER_REQUEST} (the collector's limit)")
        if not 2 < max_batch_bytes <= MAX_BODY_BYTES:
            raise ValueError(f"max_batch_bytes must be at most {MAX_BODY_BYTES} (the collector's limit)")
        durable = spool_path is not None
        self.url, self.spool_path = url, Path(spool_path) if spool_path is not None else None
        self.batch_size, self.max_batch_bytes, self.flush_interval_s = batch_size, max_batch_bytes, flush_interval_s
        self.retry = retry or (RetryPolicy() if durable else RetryPolicy(attempts=8, max_s=5.0))
        self.max_buffered = max_buffered if max_buffered is not None or durable else 2 * concurrency * batch_size
        self.close_timeout_s = close_timeout_s if close_timeout_s is not None or not durable else 10.0
        self.report = report if report is not None else DeliveryReport()  # clients may share one
        self._http = httpx.AsyncClient(base_url=url, timeout=timeout_s, transport=transport)
        self.collector = Collector(self._http, api_key, self.retry, self.report, keep_ids)
        self._concurrency = concurrency
        self._spool: Spool | None = None
        self._failure: Exception | None = None  # an answer a resend would not change: stop sending
        self._give_ups = 0  # batches the retry policy gave up on (put back in the spool)
        self._flushing = 0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def unsent(self) -> int:
        """Events in the spool: not yet answered for by the collector."""
        return self._spool.count if self._spool is not None else 0

    async def start(self) -> AsyncSkillpulseClient:
        self._spool = open_spool(self.spool_path)
        self._slots = asyncio.Semaphore(self._concurrency)
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._dispatcher = asyncio.create_task(self._dispatch_forever())
        if self._spool.count:
            logger.info("resending %d events left in the spool", self._spool.count)
        return self

    async def __aenter__(self) -> AsyncSkillpulseClient:
        return await self.start()

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.aclose(flush=kind is None)

    async def send(self, event: Sendable) -> None:
        await self.send_many((event,))

    async def send_many(self, events: Iterable[Sendable]) -> None:
        """Spool events (one transaction) for the background sender. With a spool file this
        goes on after a refusal (the events wait for a fixed client); `flush` raises it."""
        spool = self._open_spool(refused_ok=self.spool_path is not None)
        self.report.sent += spool.add(encode(event) for event in events)
        if spool.waiting >= self.batch_size:
            self._wake.set()
        limit = self.max_buffered
        if limit is not None and spool.count > limit:
            await self._until(lambda: spool.count <= limit)

    async def flush(self, timeout_s: float | None = None) -> None:
        """Return once the collector answered for every spooled event (partial batches
        leave now); CollectorUnavailable if the retry policy gave up on one meanwhile."""
        spool = self._open_spool()
        self._flushing += 1
        self._wake.set()
        try:
            async with asyncio.timeout(timeout_s):
                await self._until(lambda: spool.count == 0)
        finally:
            self._flushing -= 1

    async def aclose(self, *, flush: bool = True) -> None:
        """Flush (within `close_timeout_s`), stop, close the spool. Without a spool, unsent
        events are lost: CollectorUnavailable says how many (only a warning with
        `flush=False`, as when the `async with` body raised)."""
        if self._spool is None:
            await self._http.aclose()
            return
        spool, unsent_error = self._spool, None
        try:
            if flush and self._failure is None:
                await self.flush(self.close_timeout_s)
        except (CollectorUnavailable, TimeoutError) as exc:
            unsent_error = exc
        finally:
            for task in (self._dispatcher, *self._tasks):
                task.cancel()
            await asyncio.gather(self._dispatcher, *self._tasks, return_exceptions=True)
            await self._http.aclose()
            unsent = spool.count
            spool.close()
            self._spool = None
        kept = f"kept in the spool {self.spool_path}; resent on the next start" if self.spool_path else "lost"
        if not flush:  # closing on the caller's error (or Ctrl-C): say what is unsent, hide nothing
            if unsent:
                logger.warning("%d events unsent, %s", unsent, kept)
            return
        if self._failure is not None:
            raise self._failure
        if unsent and self.spool_path is None:
            raise CollectorUnavailable(f"{unsent} events not delivered (no spool to keep them)") from unsent_error
        if unsent:
            logger.warning("%d events unsent, %s", unsent, kept)

    def _open_spool(self, *, refused_ok: bool = False) -> Spool:
        if self._spool is None:
            raise RuntimeError("client not started (use `async with` or `await client.start()`)")
        if self._failure is not None and not refused_ok:
            raise self._failure
        return self._spool

    async def _until(self, done: Callable[[], bool]) -> None:
        """Wait until `done()`; raise what stopped deliveries meanwhile."""
        give_ups = self._give_ups
        async with self._progress:
            while not done():
                if self._failure is not None:
                    raise self._failure
                if self._give_ups > give_ups:
                    raise CollectorUnavailable(f"collector not reachable; {self.unsent} events unsent")
                await self._progress.wait()

    async def _dispatch_forever(self) -> None:
        try:
            await self._dispatch(self._open_spool())
        except Exception as exc:  # e.g. the spool's disk: stop, and say why at flush
            self._failure = exc
            logger.error("sending stopped: %s", exc)
            async with self._progress:
                self._progress.notify_all()

    async def _dispatch(self, spool: Spool) -> None:
        while True:
            try:
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel that
                # arrives as the event is set, and the client would never close.
                async with asyncio.timeout(self.flush_interval_s):
                    await self._wake.wait()
                partial = self._flushing > 0
            except TimeoutError:
                partial = True  # a quiet moment: what waits goes, full batch or not
            self._wake.clear()
            while self._failure is None and spool.waiting and (partial or spool.waiting >= self.batch_size):
                await self._slots.acquire()
                batch = spool.take(self.batch_size, self.max_batch_bytes)
                if not batch:
                    self._slots.release()
                    break
                task = asyncio.create_task(self._deliver(spool, batch))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _deliver(self, spool: Spool, batch: list[Spooled]) -> None:
        try:
            await self.collector.post([row.body for row in batch])
        except BaseException as exc:
            spool.put_back(batch)  # still spooled: sent again later, with the same event ids
            if isinstance(exc, CollectorUnavailable):
                self._give_ups += 1
                logger.warning("%s; kept for later", exc)
            elif isinstance(exc, Exception):
                self._failure = exc
                logger.error("sending stopped: %s", exc)
            else:
                raise
        else:
            spool.remove([row.seq for row in batch])  # accepted, or rejected for good (reported)
        finally:
            self._slots.release()
            if self._flushing:
                self._wake.set()
            with contextlib.suppress(RuntimeError):  # the loop is closing
                async with self._progress:
                    self._progress.notify_all()
