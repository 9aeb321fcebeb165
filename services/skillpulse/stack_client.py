"""How a command reaches Skilltech Pulse: the stack that `skillpulse up` runs on the data
dir (over HTTP: its process holds the embedded store), or the store itself when none runs;
and, for commands that send events, a `Pipeline`: the running stack, or one started in
this process for the length of the command.

Imports stay light (a command's one GET uses the standard library's urllib, since importing
httpx also imports its own command line, rich and pygments, when they are installed; httpx
is imported by the calls that send events; given `SettingsOnDemand`, asking a running stack
builds no settings but the data dir's): the store (clickhouse-connect, chdb), the server
(uvicorn, FastStream) and Kafka (aiokafka) are imported only by the call that needs them,
so `skillpulse kpi … --json` against a running stack loads no server code."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from skillpulse.config import SettingsOnDemand
from skillpulse.credentials import local_operator_token
from skillpulse.errors import SkillpulseError
from skillpulse.stack_state import ROLES, StackState, find_running_stack

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

    from skillpulse.app.stack import Stack
    from skillpulse.config import Settings
    from skillpulse.dead_letters import ReplayOutcome
    from skillpulse.kpi.params import KpiParams
    from skillpulse.report.freshness import Freshness

T = TypeVar("T")
log = logging.getLogger(__name__)
REQUEST_TIMEOUT_S = 120.0  # a year of KPIs on a large store takes seconds, not minutes


class StackRequestError(SkillpulseError, ValueError):
    """The running stack refused a request (422): the message says why."""


def auth_headers(token: str | None) -> dict[str, str]:
    """The Authorization header of `token` (none without one: the stack then answers 401)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def client_headers(settings: Settings | SettingsOnDemand) -> dict[str, str]:
    """What a command on this machine sends: `SKILLPULSE_TOKEN`, else the data dir's operator.token."""
    return auth_headers(local_operator_token(SettingsOnDemand.of(settings).data_dir))


class StackAccessError(SkillpulseError, PermissionError):
    """The running stack refused this command's token (401 or 403)."""


class StackStatusError(SkillpulseError, RuntimeError):
    """The running stack answered a GET with another error status."""

    def __init__(self, path: str, status_code: int) -> None:
        super().__init__(f"the running stack answered GET /v1/{path} with {status_code}")
        self.status_code = status_code


def _refuse_unauthorised(status_code: int) -> None:
    if status_code in (401, 403):
        raise StackAccessError(f"the running stack refused this command's token ({status_code}): it sends "
                               "SKILLPULSE_TOKEN, else <data dir>/operator.token (`skillpulse keys create`)")


def _get(settings: SettingsOnDemand, state: StackState, path: str, query: dict[str, Any]) -> Any:
    request = Request(f"{state.url}/v1/{path}?{urlencode(query, doseq=True)}", headers=client_headers(settings))
    try:
        with urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            return json.loads(response.read())
    except HTTPError as refused:
        with refused:
            if refused.code == 422:
                refusal = json.loads(refused.read())
                raise StackRequestError(refusal.get("errors") or refusal["message"]) from None
        _refuse_unauthorised(refused.code)
        raise StackStatusError(path, refused.code) from None


def from_stack_or_store(settings: Settings | SettingsOnDemand, path: str, query: dict[str, Any],
                        local: Callable[[Client], T]) -> T:
    """`GET /v1/<path>?<query>` on the running stack, else `local(store)` on the store opened
    (and migrated) for this call."""
    on_demand = SettingsOnDemand.of(settings)
    state = find_running_stack(on_demand.data_dir)
    if state is not None:
        return cast(T, _get(on_demand, state, path, query))  # the route's JSON is what `local` returns, as JSON
    from skillpulse.store import apply_migrations, open_store

    store = open_store(on_demand.settings)
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


def fetch_metric(settings: Settings | SettingsOnDemand, slug: str, params: KpiParams) -> Any:
    """A catalogue metric's JSON (a list of rows, or one object for a scalar metric)."""
    def local(store: Client) -> Any:
        from skillpulse.kpi.catalogue import compute

        return compute(slug, store, params)

    return from_stack_or_store(settings, f"kpi/{slug}", metric_query(params), local)


def fetch_summary(settings: Settings | SettingsOnDemand, as_of: date, platforms: tuple[str, ...]) -> dict[str, Any]:
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
    except StackStatusError as exc:
        if exc.status_code == 404:
            return None
        raise
    return Freshness.model_validate(found)


def fetch_dead_letters(settings: Settings | SettingsOnDemand, *, reason: str, limit: int) -> list[dict[str, Any]]:
    def local(store: Client) -> list[dict[str, Any]]:
        from skillpulse.dead_letters import list_dead_letters

        return list_dead_letters(store, reason=reason, limit=limit)

    return from_stack_or_store(settings, "dead-letters", {"reason": reason, "limit": limit}, local)


async def refresh_rollups(url: str, timeout_s: float = REQUEST_TIMEOUT_S, *, token: str | None = None) -> int:
    """Have the stack at `url` catch its rollups up now (an operator `token`); how many users it recomputed."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=timeout_s, headers=auth_headers(token)) as client:
        response = await client.post("/v1/rollups/refresh", json={})
    _refuse_unauthorised(response.status_code)
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
        import httpx

        from skillpulse.dead_letters import ReplayOutcome  # its module imports Kafka code

        async with httpx.AsyncClient(base_url=self.url, timeout=REQUEST_TIMEOUT_S,
                                     headers=client_headers(self.settings)) as client:
            response = await client.post("/v1/dead-letters/replay", json={"reason": reason})
        _refuse_unauthorised(response.status_code)
        response.raise_for_status()
        answer = response.json()
        return ReplayOutcome(replayed=int(answer["replayed"]), skipped=int(answer["skipped"]))


def free_port_if_taken(host: str, port: int) -> int:
    """`port` if it can be bound on `host` now, else one the system picks free (port 0 stays 0)."""
    if port == 0:
        return 0
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is free
        try:
            probe.bind((host, port))
            return port
        except OSError:
            probe.bind((host, 0))
            return int(probe.getsockname()[1])


@asynccontextmanager
async def pipeline(settings: Settings, *, port: int | None = None,
                   roles: tuple[str, ...] = ROLES) -> AsyncIterator[Pipeline]:
    """The stack running on the data dir, or one started here until the block ends. Without
    an explicit `port`, a configured port another process holds (a stack on another data dir)
    is replaced by a free one, and a warning names it."""
    state = find_running_stack(settings.paths.data_dir)
    if state is not None:
        yield Pipeline(state.url, state.bootstrap, settings, None)
        return
    from skillpulse.app.stack import Stack

    if port is None:
        port = free_port_if_taken(settings.collector.host, settings.collector.port)
        if port != settings.collector.port:
            log.warning("port %d is taken: the stack of this command listens on port %d", settings.collector.port,
                        port)
    settings = settings.model_copy(update={"collector": settings.collector.model_copy(update={"port": port})})
    async with Stack(settings, roles) as stack:
        yield Pipeline(stack.url, stack.bootstrap, settings, stack)
