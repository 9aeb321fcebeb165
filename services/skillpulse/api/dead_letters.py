"""`/v1/dead-letters`: list the dead letters, and replay them onto the events topic."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from faststream.kafka import KafkaBroker
from pydantic import BaseModel, ConfigDict

from skillpulse.api.openapi import STORE_READ_ANSWERS, problems
from skillpulse.api.store_reads import StoreReads
from skillpulse.dead_letters import (
    ReplayOutcome,
    list_dead_letters,
    pending_dead_letters,
    publish_replays,
    record_replays,
)
from skillpulse.kafka.signing import RecordSigner

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


MAX_LIMIT = 1000
STORE_RETRY_AFTER_S = 5


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
        """The store's read and insert run in threads under the read cap; a store error is a
        503 to retry (a letter published but not marked is sent again then: the aggregator
        stores an event once by its id)."""
        from clickhouse_connect.driver.exceptions import ClickHouseError

        try:
            pending = await reads.run(pending_dead_letters, store, reason=body.reason)
            sent = await publish_replays(broker, events_topic, signer, pending)
            await reads.run(record_replays, store, sent)
        except ClickHouseError:
            raise HTTPException(503, {"error": "store_unavailable",
                                      "message": "the store could not be read or written; retry later"},
                                headers={"Retry-After": str(STORE_RETRY_AFTER_S)}) from None
        return dict(ReplayOutcome(replayed=len(sent), skipped=len(pending) - len(sent))._asdict())

    return router
