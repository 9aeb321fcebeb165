"""The embedded stack in one process: collector, aggregator and KPI API, with the tansu
broker as a child process and chdb in-process (one process may open a chdb path).

With `SKILLPULSE_KAFKA_BOOTSTRAP` / `SKILLPULSE_CLICKHOUSE_URL` set, the same code runs
against Apache Kafka and a ClickHouse server instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from clickhouse_connect.driver.client import Client
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker

from skillpulse.aggregator import create_aggregator
from skillpulse.board import create_board_router
from skillpulse.collector import create_collector_router
from skillpulse.collector.publisher import RecordPublisher
from skillpulse.config import Settings
from skillpulse.credentials import api_key_hashes, pseudonym_secret
from skillpulse.dead_letters import create_dead_letter_router
from skillpulse.health import AggregatorStats, CollectorStats, create_health_router
from skillpulse.health.samplers import publish_collector_stats_forever, sample_consumer_lag_forever
from skillpulse.kafka import EmbeddedKafka, ensure_topics, wait_until_drained
from skillpulse.kpi.api import create_kpi_router
from skillpulse.pseudonym import Pseudonymiser
from skillpulse.report.freshness import create_freshness_router
from skillpulse.store import apply_migrations, open_store
from skillpulse.store.allocator import tune_allocator
from skillpulse.store.client import release_freed_memory
from skillpulse.store.rollups import refresh_pending
from skillpulse.telemetry import TelemetryFactory, telemetry_from_env

logger = logging.getLogger("skillpulse.stack")


def running_stack(data_dir: Path, wait_s: float = 60.0) -> dict[str, str] | None:
    """The `stack.json` of a live stack on this data dir, if any (waiting while it starts)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            state = json.loads((data_dir / "stack.json").read_text())
            os.kill(state["pid"], 0)
        except (OSError, ValueError, KeyError):
            return None
        if "url" in state:
            return state
        if time.monotonic() > deadline:
            raise RuntimeError(f"the stack of process {state['pid']} on {data_dir} is still starting")
        time.sleep(0.2)


ROLES = ("collector", "aggregator")


async def _healthz() -> dict[str, str]:
    """Liveness: the process serves HTTP."""
    return {"status": "ok"}


async def _refresh_forever(store: Client, interval_s: float) -> None:
    """Keep the recomputed rollups a few seconds behind ingest, whatever happens."""
    while True:
        try:
            refreshed = await asyncio.to_thread(refresh_pending, store)
        except Exception:
            logger.exception("rollup refresh failed; retrying")
        else:
            if refreshed:
                with contextlib.suppress(Exception):  # housekeeping; the next batch tries again
                    await asyncio.to_thread(release_freed_memory, store)
        await asyncio.sleep(interval_s)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def create_rollup_router(store: Client) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/rollups/refresh")
    async def refresh() -> dict[str, int]:
        """Catch the rollups up now (the CLI calls this once everything it sent is stored)."""
        return {"users": await asyncio.to_thread(refresh_pending, store, wait_for_visibility=False)}

    return router


@dataclass
class Stack:
    """`roles` picks what this process runs: both (embedded), or one per container."""

    settings: Settings
    roles: tuple[str, ...] = ROLES
    bootstrap: str = ""
    url: str = ""
    store: Client | None = None
    telemetry: TelemetryFactory = telemetry_from_env  # service name → its tracer and meter
    _exit: AsyncExitStack = field(default_factory=AsyncExitStack)

    @property
    def _state_file(self) -> Path:
        return self.settings.paths.data_dir / "stack.json"

    async def __aenter__(self) -> Stack:
        try:
            await self._start()
        except BaseException:
            await self._exit.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._exit.aclose()

    async def _start(self) -> None:
        settings, data_dir = self.settings, self.settings.paths.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        # Claim the data dir at once: other commands wait for this stack instead of
        # racing it for the store (one process per chdb path).
        self._state_file.write_text(json.dumps({"pid": os.getpid()}))
        self._exit.callback(self._state_file.unlink, missing_ok=True)
        self.bootstrap = settings.kafka.bootstrap or ""
        if not self.bootstrap:
            kafka = EmbeddedKafka(data_dir, settings.kafka.embedded_port)
            self.bootstrap = await asyncio.to_thread(kafka.start)
            self._exit.callback(kafka.stop)
        await ensure_topics(self.bootstrap, {settings.kafka.topic: settings.kafka.partitions,
                                             settings.kafka.dlq_topic: 1, settings.kafka.stats_topic: 1})

        app = FastAPI(title="Skilltech Pulse")
        app.add_api_route("/healthz", _healthz)
        if "aggregator" in self.roles:
            tune_allocator()  # before the engine starts its threads
            writer = await asyncio.to_thread(open_store, settings)
            self._exit.callback(writer.close)
            await asyncio.to_thread(apply_migrations, writer)
            self.store = await asyncio.to_thread(open_store, settings)  # readers get their own handle
            self._exit.callback(self.store.close)
            telemetry = self.telemetry("aggregator")
            self._exit.callback(telemetry.shutdown)
            stats = AggregatorStats(telemetry.meter)
            aggregator = create_aggregator(settings, writer, self.bootstrap, telemetry, stats)
            await aggregator.start()
            self._exit.push_async_callback(aggregator.stop)  # stops consuming, finishes the batch in hand
            app.include_router(create_kpi_router(self.store))
            app.include_router(create_health_router(self.store))
            app.include_router(create_freshness_router(self.store))
            app.include_router(create_board_router())
            app.include_router(create_dead_letter_router(self.store, aggregator, settings.kafka.topic))
            # On the writer's client: with chdb, clickhouse-connect runs one statement at a
            # time per client, so refresh statements interleave with inserts instead of
            # running beside them (together they peaked ~60 MB higher). The cost: a refresh
            # slice (well under a second for 2,000 users) can delay the next batch.
            app.include_router(create_rollup_router(writer))
            self._background(_refresh_forever(writer, settings.aggregator.refresh_interval_s))
            self._background(sample_consumer_lag_forever(writer, stats, self.bootstrap, settings.kafka.topic,
                                                         settings.aggregator.group_id))
        if "collector" in self.roles:
            telemetry = self.telemetry("collector")
            self._exit.callback(telemetry.shutdown)
            producer = KafkaBroker(self.bootstrap, acks="all", logger=logging.getLogger("skillpulse.collector"),
                                   middlewares=telemetry.kafka_middlewares())
            await producer.connect()
            self._exit.push_async_callback(producer.stop)
            counts = CollectorStats(telemetry.meter)
            app.include_router(create_collector_router(
                settings.collector, api_key_hashes(settings), Pseudonymiser(pseudonym_secret(settings)),
                RecordPublisher(producer, settings.kafka.topic), counts, telemetry.tracer))
            self._background(publish_collector_stats_forever(counts, producer, settings.kafka.stats_topic))
        await self._serve(app)

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` until the stack stops (cancelled before what it uses is closed)."""
        self._exit.push_async_callback(_cancel, asyncio.create_task(work))

    async def _serve(self, app: FastAPI) -> None:
        config = uvicorn.Config(app, host=self.settings.collector.host, port=self.settings.collector.port,
                                log_level="warning", access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()  # re-raise the bind error
                raise RuntimeError("HTTP server stopped during start-up")
            await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{self.settings.collector.host}:{port}"

        async def stop_server() -> None:
            server.should_exit = True
            await task

        async def drain() -> None:
            # The embedded broker keeps data in memory only: store what it holds before it stops.
            try:
                await wait_until_drained(self.bootstrap, self.settings.kafka.topic,
                                         self.settings.aggregator.group_id, timeout_s=60)
                if self.store is not None:
                    await asyncio.to_thread(refresh_pending, self.store, wait_for_visibility=False)
            except Exception:
                logger.exception("could not drain the topic before stopping")

        if "aggregator" in self.roles:
            self._exit.push_async_callback(drain)
        self._exit.push_async_callback(stop_server)  # first to stop: no new events accepted
        self._state_file.write_text(json.dumps({"pid": os.getpid(), "url": self.url, "bootstrap": self.bootstrap}))
