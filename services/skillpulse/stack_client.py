"""How a command reaches Skilltech Pulse: the stack that `skillpulse up` runs on the data
dir (over HTTP: its process holds the embedded store), or the store itself when none runs;
and, for commands that send events, a `Pipeline`: the running stack, or one started in
this process for the length of the command.

Imports stay light (httpx, pydantic): the store (clickhouse-connect, chdb), the server
(uvicorn, FastStream) and Kafka (aiokafka) are imported only by the call that needs them,
so `skillpulse kpi … --json` against a running stack loads no server code."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, cast

import httpx

from skillpulse.config import Settings
from skillpulse.credentials import local_operator_token
from skillpulse.errors import SkillpulseError
from skillpulse.kpi.params import KpiParams
from skillpulse.stack_state import ROLES, StackState, find_running_stack

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

    from skillpulse.app.stack import Stack
    from skillpulse.dead_letters import ReplayOutcome
    from skillpulse.report.freshness import Freshness

T = TypeVar("T")
REQUEST_TIMEOUT_S = 120.0  # a year of KPIs on a large store takes seconds, not minutes


class StackRequestError(SkillpulseError, ValueError):
    """The running stack refused a request (422): the message says why."""


def auth_headers(token: str | None) -> dict[str, str]:
    """The Authorization header of `token` (none without one: the stack then answers 401)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def client_headers(settings: Settings) -> dict[str, str]:
    """What a command on this machine sends: `SKILLPULSE_TOKEN`, else the data dir's operator.token."""
    return auth_headers(local_operator_token(settings.paths.data_dir))


class StackAccessError(SkillpulseError, PermissionError):
    """The running stack refused this command's token (401 or 403)."""


def _refuse_unauthorised(response: httpx.Response) -> None:
    if response.status_code in (401, 403):
        raise StackAccessError(f"the running stack refused this command's token ({response.status_code}): it sends "
                               "SKILLPULSE_TOKEN, else <data dir>/operator.token (`skillpulse keys create`)")


def _get(settings: Settings, state: StackState, path: str, query: dict[str, Any]) -> Any:
    response = httpx.get(f"{state.url}/v1/{path}", params=query, timeout=REQUEST_TIMEOUT_S,
                         headers=client_headers(settings))
    if response.status_code == 422:
        refusal = response.json()
        raise StackRequestError(refusal.get("errors") or refusal["message"])
    _refuse_unauthorised(response)
    response.raise_for_status()
    return response.json()


def from_stack_or_store(settings: Settings, path: str, query: dict[str, Any], local: Callable[[Client], T]) -> T:
    """`GET /v1/<path>?<query>` on the running stack, else `local(store)` on the store opened
    (and migrated) for this call."""
    state = find_running_stack(settings.paths.data_dir)
    if state is not None:
        return cast(T, _get(settings, state, path, query))  # the route's JSON is what `local` returns, as JSON
    from skillpulse.store import apply_migrations, open_store

    store = open_store(settings)
    try:
        apply_migrations(store)
        return local(store)
    finally:
        store.close()


def metric_query(params: KpiParams) -> dict[str, Any]:
    """`params` as the KPI API's query string."""
    query: dict[str, Any] = {"from": params.start.isoformat(), "to": params.end.isoformat(),
                             "window_days": params.window_days, "min_logins": params.min_logins,
                             "platform": list(params.platforms)}
    if params.organisation:
        query["organisation"] = params.organisation
    return query


def fetch_metric(settings: Settings, slug: str, params: KpiParams) -> Any:
    """A catalogue metric's JSON (a list of rows, or one object for a scalar metric)."""
    def local(store: Client) -> Any:
        from skillpulse.kpi.catalogue import compute

        return compute(slug, store, params)

    return from_stack_or_store(settings, f"kpi/{slug}", metric_query(params), local)


def fetch_summary(settings: Settings, as_of: date, platforms: tuple[str, ...]) -> dict[str, Any]:
    def local(store: Client) -> dict[str, Any]:
        from skillpulse.kpi.summary import contract_summary

        return contract_summary(store, as_of, platforms)

    return from_stack_or_store(settings, "kpi/summary", {"as_of": as_of.isoformat(), "platform": list(platforms)},
                               local)


def fetch_freshness(settings: Settings, platforms: tuple[str, ...]) -> Freshness | None:
    """The newest stored event; None from a stack that does not serve the route (the report says so)."""
    from skillpulse.report.freshness import Freshness, data_freshness

    try:
        found = from_stack_or_store(settings, "freshness", {"platform": list(platforms)},
                                    lambda store: data_freshness(store, platforms).model_dump(mode="json"))
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code == 404:
            return None
        raise
    return Freshness.model_validate(found)


def fetch_dead_letters(settings: Settings, *, reason: str, limit: int) -> list[dict[str, Any]]:
    def local(store: Client) -> list[dict[str, Any]]:
        from skillpulse.dead_letters import list_dead_letters

        return list_dead_letters(store, reason=reason, limit=limit)

    return from_stack_or_store(settings, "dead-letters", {"reason": reason, "limit": limit}, local)


async def refresh_rollups(url: str, timeout_s: float = REQUEST_TIMEOUT_S, *, token: str | None = None) -> int:
    """Have the stack at `url` catch its rollups up now (an operator `token`); how many users it recomputed."""
    async with httpx.AsyncClient(base_url=url, timeout=timeout_s, headers=auth_headers(token)) as client:
        response = await client.post("/v1/rollups/refresh", json={})
    _refuse_unauthorised(response)
    response.raise_for_status()
    return int(response.json()["users"])


@dataclass(frozen=True)
class Pipeline:
    """A stack to send events to: `stack` is None when another process runs it."""

    url: str
    bootstrap: str
    settings: Settings
    stack: Stack | None

    async def wait_until_stored(self, timeout_s: float = 300.0) -> float:
        """Wait until everything published so far is stored and in the KPIs; return the seconds waited."""
        from skillpulse.kafka import wait_until_drained

        started = time.monotonic()
        await wait_until_drained(self.bootstrap, self.settings.kafka.topic, self.settings.aggregator.group_id,
                                 timeout_s, kafka=self.settings.kafka)
        await refresh_rollups(self.url, timeout_s, token=local_operator_token(self.settings.paths.data_dir))
        return time.monotonic() - started

    async def replay_dead_letters(self, reason: str) -> ReplayOutcome:
        """Send the dead letters not yet replayed back to the events topic: how many, and how
        many pending letters it could not rebuild (they stay pending)."""
        from skillpulse.dead_letters import ReplayOutcome  # its module imports Kafka code

        async with httpx.AsyncClient(base_url=self.url, timeout=REQUEST_TIMEOUT_S,
                                     headers=client_headers(self.settings)) as client:
            response = await client.post("/v1/dead-letters/replay", json={"reason": reason})
        _refuse_unauthorised(response)
        response.raise_for_status()
        answer = response.json()
        return ReplayOutcome(replayed=int(answer["replayed"]), skipped=int(answer["skipped"]))


@asynccontextmanager
async def pipeline(settings: Settings, *, port: int | None = None,
                   roles: tuple[str, ...] = ROLES) -> AsyncIterator[Pipeline]:
    """The stack running on the data dir, or one started here until the block ends."""
    state = find_running_stack(settings.paths.data_dir)
    if state is not None:
        yield Pipeline(state.url, state.bootstrap, settings, None)
        return
    from skillpulse.app.stack import Stack

    if port is not None:
        settings = settings.model_copy(update={"collector": settings.collector.model_copy(update={"port": port})})
    async with Stack(settings, roles) as stack:
        yield Pipeline(stack.url, stack.bootstrap, settings, stack)
