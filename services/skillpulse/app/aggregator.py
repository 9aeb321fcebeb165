"""Composition root of the aggregator role: the FastStream consumer that stores batches,
the rollup refresher and the consumer-lag sampler, and the routers of everything read
from the store (KPIs, board, pipeline health, freshness, dead letters, rollup refresh).

Two store handles: the writer (consumer, refresher, lag sampler) and one for readers, so
a slow KPI query never sits in front of an insert."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from skillpulse.access import Access
from skillpulse.aggregator import create_aggregator
from skillpulse.api.backup import create_backup_router
from skillpulse.api.blog import create_blog_router
from skillpulse.api.board import create_board_router
from skillpulse.api.dead_letters import create_dead_letter_router
from skillpulse.api.erasure import create_erasure_router
from skillpulse.api.freshness import create_freshness_router
from skillpulse.api.health import create_health_router
from skillpulse.api.kpi import create_kpi_router
from skillpulse.api.report_snapshots import create_report_snapshot_router
from skillpulse.api.rollups import create_rollup_router
from skillpulse.api.store_reads import StoreReads
from skillpulse.api.tools import create_tool_catalogue_router, create_tool_declaration_router
from skillpulse.app.roles import Guarded, Role, background
from skillpulse.config import Settings
from skillpulse.health.samplers import sample_consumer_lag_forever
from skillpulse.health.stats import AggregatorStats
from skillpulse.kafka import wait_until_drained
from skillpulse.kafka.signing import record_signer
from skillpulse.store import apply_migrations, open_store, topology_of
from skillpulse.store.allocator import tune_allocator
from skillpulse.store.client import limit_reads, release_freed_memory
from skillpulse.store.rollups import refresh_pending
from skillpulse.telemetry import TelemetryFactory, telemetry_from_env

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

logger = logging.getLogger("skillpulse.aggregator")


async def refresh_forever(store: Client, interval_s: float) -> None:
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


async def drain(settings: Settings, bootstrap: str, store: Client) -> None:
    """Store what the topic holds before the role stops (the embedded broker keeps data in
    memory only), then bring the rollups up to date."""
    try:
        await wait_until_drained(bootstrap, settings.kafka.topic, settings.aggregator.group_id, timeout_s=60,
                                 kafka=settings.kafka)
        await asyncio.to_thread(refresh_pending, store, wait_for_visibility=False)
    except Exception:
        logger.exception("could not drain the topic before stopping")


@asynccontextmanager
async def _store_handle(settings: Settings) -> AsyncIterator[Client]:
    store = await asyncio.to_thread(open_store, settings)
    try:
        yield store
    finally:
        store.close()


@asynccontextmanager
async def aggregator_role(settings: Settings, bootstrap: str,
                          telemetry_factory: TelemetryFactory = telemetry_from_env) -> AsyncIterator[Role]:
    tune_allocator()  # before the engine starts its threads
    async with AsyncExitStack() as exit_stack:
        writer = await exit_stack.enter_async_context(_store_handle(settings))
        await asyncio.to_thread(apply_migrations, writer, topology_of(settings.clickhouse))
        reader = await exit_stack.enter_async_context(_store_handle(settings))
        limit_reads(reader, settings.query)  # the API's reads, within their budget (the writer's are not)
        reads = StoreReads(settings.query)
        telemetry = telemetry_factory("aggregator")
        exit_stack.callback(telemetry.shutdown)
        stats = AggregatorStats(telemetry.meter)
        consumer = create_aggregator(settings, writer, bootstrap, telemetry, stats)
        await consumer.start()
        exit_stack.push_async_callback(consumer.stop)  # stops consuming, finishes the batch in hand
        viewer, operator = Access.VIEWER, Access.OPERATOR
        erasing = threading.Lock()  # one erasure at a time on this store, whichever route asked
        routers = (
            Guarded(create_kpi_router(reader, reads), viewer), Guarded(create_health_router(reader, reads), viewer),
            Guarded(create_freshness_router(reader, reads), viewer), Guarded(create_board_router(), viewer),
            Guarded(create_dead_letter_router(reader, consumer, settings.kafka.topic, record_signer(settings),
                                                      reads), operator),
            # On the writer's client: with chdb, clickhouse-connect runs one statement at a time
            # per client, so refresh statements interleave with inserts instead of running beside
            # them (together they peaked higher). The cost: a refresh slice can delay the next batch.
            Guarded(create_rollup_router(writer), operator),
            Guarded(create_blog_router(writer), operator),  # the blog poller's articles (MV2)
            Guarded(create_backup_router(writer, settings), operator),  # on the writer: no batch mid-table
            Guarded(create_erasure_router(writer, settings, erasing, by_operator=False), Access.PLATFORM),  # Art. 17
            Guarded(create_erasure_router(writer, settings, erasing, by_operator=True), operator),
            Guarded(create_tool_catalogue_router(reader, reads), viewer),  # the tool catalogue (MC4, MP2)
            Guarded(create_tool_declaration_router(writer), operator),
            Guarded(create_report_snapshot_router(writer), operator),  # reports' audit trail (Art. 12)
        )
        await exit_stack.enter_async_context(background(
            refresh_forever(writer, settings.aggregator.refresh_interval_s),
            sample_consumer_lag_forever(writer, stats, bootstrap, settings.kafka.topic, settings.aggregator.group_id,
                                        kafka=settings.kafka),
        ))
        yield Role("aggregator", routers, store=reader)
        # After a clean run only: a start-up that failed later (another role, the HTTP bind)
        # must not wait for a drain, and the old stack drained only once it had served.
        await drain(settings, bootstrap, writer)  # a last refresh is no API read: no read budget
