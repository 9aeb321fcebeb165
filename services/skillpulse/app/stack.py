"""A `skillpulse up` process: it claims the data dir, starts the embedded tansu broker when
no Kafka is configured (a child process; durable on its own object store by default,
restarted if it dies: skillpulse.kafka.supervision), creates the topics, starts its roles through the
HTTP app's lifespan, serves HTTP, and publishes where it answers (`stack.json`).

`roles` picks what it runs: both (embedded, one process), or one per container. With
`SKILLPULSE_KAFKA_BOOTSTRAP` / `SKILLPULSE_CLICKHOUSE_URL` set, the same code runs against
Apache Kafka and a ClickHouse server.
"""

from __future__ import annotations

import asyncio
import os
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import uvicorn
from fastapi import FastAPI

from skillpulse.app.http import create_app
from skillpulse.app.roles import ROLES, Role, RoleFactory, background
from skillpulse.config import Settings
from skillpulse.kafka import ensure_topics
from skillpulse.kafka.release import Consumed
from skillpulse.kafka.security import KafkaSecurityError
from skillpulse.kafka.supervision import EmbeddedBroker
from skillpulse.stack_state import Claim, StackState
from skillpulse.telemetry import TelemetryFactory, telemetry_from_env

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


@dataclass
class Stack:
    settings: Settings
    roles: tuple[str, ...] = ROLES
    telemetry: TelemetryFactory = telemetry_from_env  # service name → its tracer and meter
    bootstrap: str = ""
    url: str = ""
    _exit: AsyncExitStack = field(default_factory=AsyncExitStack)
    _app: FastAPI | None = None

    @property
    def store(self) -> Client | None:
        """The aggregator role's reader handle, when this process runs that role."""
        started: list[Role] = self._app.state.roles if self._app is not None else []
        return next((role.store for role in started if role.store is not None), None)

    async def __aenter__(self) -> Stack:
        try:
            await self._start()
        except BaseException:
            await self._exit.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._exit.aclose()

    def _role_factories(self) -> list[RoleFactory]:
        """The aggregator first: it applies the migrations, and stops last (it drains the
        topic). Each root is imported only when its role runs: a collector image has no
        store client."""
        factories: list[RoleFactory] = []
        if "aggregator" in self.roles:
            from skillpulse.app.aggregator import aggregator_role

            factories.append(partial(aggregator_role, self.settings, self.bootstrap, self.telemetry))
        if "collector" in self.roles:
            from skillpulse.app.collector import collector_role

            factories.append(partial(collector_role, self.settings, self.bootstrap, self.telemetry))
        return factories

    async def _start(self) -> None:
        settings, data_dir = self.settings, self.settings.paths.data_dir
        # Claim the data dir at once: other commands wait for this stack instead of
        # racing it for the store (one process per chdb path).
        claim = Claim(data_dir)
        self._exit.callback(claim.release)
        self.bootstrap = settings.kafka.bootstrap or ""
        if not self.bootstrap:
            if settings.kafka.security_protocol != "PLAINTEXT":  # would fail later, at the first connect
                raise KafkaSecurityError("the embedded broker takes PLAINTEXT only (tansu 0.6 cannot authenticate); "
                                         "unset SKILLPULSE_KAFKA_SECURITY_PROTOCOL or set SKILLPULSE_KAFKA_BOOTSTRAP")
            broker = EmbeddedBroker(data_dir, settings.kafka, settings.broker)
            self.bootstrap = await asyncio.to_thread(broker.start)
            self._exit.callback(broker.stop)
            if broker.owned:  # a borrowed broker is its owner's to heal
                group, kafka = settings.aggregator.group_id, settings.kafka
                consumed = [Consumed(kafka.topic, group), Consumed(kafka.stats_topic, f"{group}.stats")]
                await self._exit.enter_async_context(background(broker.supervise_forever(consumed)))
        await ensure_topics(self.bootstrap, {settings.kafka.topic: settings.kafka.partitions,
                                             settings.kafka.dlq_topic: 1, settings.kafka.stats_topic: 1},
                            kafka=settings.kafka)
        self._app = create_app(self._role_factories(), settings)
        await self._exit.enter_async_context(self._app.router.lifespan_context(self._app))
        await self._serve(self._app)
        claim.publish(StackState(pid=os.getpid(), url=self.url, bootstrap=self.bootstrap))

    async def _serve(self, app: FastAPI) -> None:
        """Serve `app` (its lifespan already entered, so a role's start-up error reaches the
        caller); stopping it is the first thing the stack does on the way out."""
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

        self._exit.push_async_callback(stop_server)  # first to stop: no new events accepted
