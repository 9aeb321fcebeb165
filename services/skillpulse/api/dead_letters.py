"""`/v1/dead-letters`: list the dead letters, and replay them onto the events topic."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query
from faststream.kafka import KafkaBroker
from pydantic import BaseModel, ConfigDict

from skillpulse.api.openapi import STORE_READ_ANSWERS, problems
from skillpulse.api.store_reads import StoreReads
from skillpulse.dead_letters import list_dead_letters, replay_dead_letters
from skillpulse.kafka.signing import RecordSigner

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


MAX_LIMIT = 1000


class ReplayRequest(BaseModel):
    """The replay's JSON body (a body, not a query: only a JSON request may change state)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = ""  # only this reason code; "" replays every reason


def create_dead_letter_router(store: Client, broker: KafkaBroker, events_topic: str, signer: RecordSigner,
                              reads: StoreReads | None = None) -> APIRouter:
    router = APIRouter(prefix="/v1/dead-letters", responses=problems(*STORE_READ_ANSWERS))
    reads = reads or StoreReads()  # the listing is a read of the store like any other: under the same cap

    @router.get("")
    async def dead_letters(reason: str = "",
                           limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100) -> list[dict[str, Any]]:
        return await reads.run(list_dead_letters, store, reason=reason, limit=limit)

    @router.post("/replay")
    async def replay(body: ReplayRequest) -> dict[str, int]:
        outcome = await replay_dead_letters(store, broker, events_topic, signer, reason=body.reason)
        return dict(outcome._asdict())

    return router
