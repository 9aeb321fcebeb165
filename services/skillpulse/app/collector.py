"""Composition root of the collector role: `POST /v1/events` and `/readyz` on a FastStream
producer (acks=all), and the collector's counts published every second to the stats topic
(the aggregator stores them: a collector holds no store in production)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream.kafka import KafkaBroker

from skillpulse.api.events import create_collector_router
from skillpulse.api.keycloak import create_keycloak_router
from skillpulse.api.xapi import create_xapi_router
from skillpulse.app.roles import Guarded, Role, background
from skillpulse.collector.intake import Intake
from skillpulse.collector.publisher import RecordPublisher, record_producer
from skillpulse.config import Settings
from skillpulse.credentials import open_keyring, pseudonym_secret
from skillpulse.health.samplers import publish_collector_stats_forever
from skillpulse.health.stats import CollectorStats
from skillpulse.kafka.security import broker_security
from skillpulse.kafka.signing import record_signer
from skillpulse.pseudonym import Pseudonymiser
from skillpulse.sources.xapi_auth import xapi_credential_hashes
from skillpulse.telemetry import TelemetryFactory, telemetry_from_env


@asynccontextmanager
async def collector_role(settings: Settings, bootstrap: str,
                         telemetry_factory: TelemetryFactory = telemetry_from_env) -> AsyncIterator[Role]:
    telemetry = telemetry_factory("collector")
    try:
        producer = KafkaBroker(bootstrap, acks="all", logger=logging.getLogger("skillpulse.collector"),
                               security=broker_security(settings.kafka),
                               middlewares=telemetry.kafka_middlewares())
        await producer.connect()
        try:
            counts = CollectorStats(telemetry.meter)
            # Events go through their own producer, a batch per partition per request; the
            # FastStream one publishes the counts and answers /readyz.
            async with (record_producer(bootstrap, settings.collector, settings.kafka) as records,
                        background(publish_collector_stats_forever(counts, producer, settings.kafka.stats_topic))):
                intake = Intake(settings.collector, Pseudonymiser(pseudonym_secret(settings)),
                                RecordPublisher(producer, settings.kafka.topic, record_signer(settings),
                                                producer=records, tracer=telemetry.tracer), counts)
                router = create_collector_router(settings.collector, open_keyring(settings), intake,
                                                 telemetry.tracer)
                keycloak = create_keycloak_router(settings.collector, settings.keycloak, intake)
                xapi = create_xapi_router(settings.xapi, xapi_credential_hashes(settings), intake)
                # Each of these checks its own credentials (platform key, realm signature, LRS
                # credentials) or is the open /readyz probe.
                yield Role("collector", tuple(Guarded(r, None) for r in (router, keycloak, xapi)))
        finally:
            await producer.stop()
    finally:
        telemetry.shutdown()
