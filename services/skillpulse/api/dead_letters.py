"""`/v1/dead-letters`: list the dead letters, and replay them onto the events topic."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from faststream.kafka import KafkaBroker

from skillpulse.dead_letters import list_dead_letters, replay_dead_letters

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def create_dead_letter_router(store: Client, broker: KafkaBroker, events_topic: str) -> APIRouter:
    router = APIRouter(prefix="/v1/dead-letters")

    @router.get("")
    async def dead_letters(reason: str = "", limit: int = 100) -> list[dict[str, Any]]:
        return await asyncio.to_thread(list_dead_letters, store, reason=reason, limit=limit)

    @router.post("/replay")
    async def replay(reason: str = "") -> dict[str, int]:
        return {"replayed": await replay_dead_letters(store, broker, events_topic, reason=reason)}

    return router
