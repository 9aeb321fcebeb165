"""Open the store: `chdb://<data dir>/clickhouse` by default, a ClickHouse server when
`SKILLPULSE_CLICKHOUSE_URL` is set. Same client class family, same SQL."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from skillpulse.config import QuerySettings, Settings
from skillpulse.errors import SkillpulseError
from skillpulse.extras import needs_extra

with needs_extra("aggregator", "the store (ClickHouse)"):
    import clickhouse_connect
    from clickhouse_connect.driver.client import Client
    from clickhouse_connect.driver.exceptions import ClickHouseError, ProgrammingError


# ClickHouse's codes for a statement stopped by a limit (TOO_MANY_ROWS, TIMEOUT_EXCEEDED,
# TOO_SLOW, TOO_MANY_BYTES, TOO_MANY_ROWS_OR_BYTES, MEMORY_LIMIT_EXCEEDED).
_OVER_BUDGET_CODES = frozenset({158, 159, 160, 307, 396, 241})


class StoreBusyError(SkillpulseError, RuntimeError):
    """The embedded store is open in another process (chdb allows one per path)."""


def store_dsn(settings: Settings) -> str:
    if settings.clickhouse.url:
        return settings.clickhouse.url
    path = settings.clickhouse.path or settings.paths.data_dir / "clickhouse"
    return f"chdb://{path.resolve()}"


def _connect(settings: Settings, database: str | None) -> Client:
    ch = settings.clickhouse
    dsn = store_dsn(settings)
    kwargs: dict[str, Any] = {"dsn": dsn}
    if database:
        kwargs["database"] = database
    if embedded(settings):
        # clickhouse-connect loads chdb for a chdb:// DSN; without it, its ImportError
        # would name clickhouse-connect's own extra, not ours.
        with needs_extra("embedded", "the embedded store (SKILLPULSE_CLICKHOUSE_URL unset)"):
            import_module("chdb")
    else:
        # No session: the stack queries one client from several threads (refresher, lag
        # sampler, KPI API), and a ClickHouse session takes one query at a time.
        kwargs |= {"username": ch.user, "password": ch.password.get_secret_value(),
                   "autogenerate_session_id": False}
    try:
        return clickhouse_connect.get_client(**kwargs)
    except ProgrammingError as exc:
        if any(sign in str(exc) for sign in ("Cannot lock file", "Another server instance", "EmbeddedServer")):
            raise StoreBusyError(
                f"the embedded store {dsn} is open in another process; while `skillpulse up` "
                "runs, ask it over HTTP (its KPI API) instead of opening the store"
            ) from exc
        raise


def open_store(settings: Settings) -> Client:
    """A client bound to the Skilltech Pulse database, creating the database if needed."""
    database = settings.clickhouse.database
    if not database.replace("_", "").isalnum():
        raise ValueError(f"invalid database name {database!r}")
    bootstrap = _connect(settings, None)
    bootstrap.command(f"CREATE DATABASE IF NOT EXISTS {database}")
    if embedded(settings):
        # chdb: one engine handle per client; USE binds this one to the database.
        bootstrap.database = database
        bootstrap.command(f"USE {database}")
        return bootstrap
    bootstrap.close()
    return _connect(settings, database)


def limit_reads(store: Client, budget: QuerySettings) -> None:
    """Every statement of `store` from now on stops (a ClickHouse error) past the budget's
    time or memory: for the handle that serves the HTTP API's reads, never the writer's."""
    store.set_client_setting("max_execution_time", budget.max_execution_time_s)
    store.set_client_setting("timeout_overflow_mode", "throw")  # an error, never a partial answer
    store.set_client_setting("max_memory_usage", budget.max_memory_bytes)


def over_budget(exc: BaseException) -> bool:
    """Whether `exc` is a statement stopped by one of `limit_reads`'s limits."""
    return isinstance(exc, ClickHouseError) and getattr(exc, "code", None) in _OVER_BUDGET_CODES


def embedded(settings: Settings) -> bool:
    return not settings.clickhouse.url


def release_freed_memory(store: Client) -> bool:
    """Hand the embedded engine's freed pages back to the kernel.

    chdb's jemalloc keeps freed pages for 5 s, and its memory worker purges them only
    past a fifth of the machine's RAM; in our process those pages count in our RSS until
    then. Called after each batch and refresh round; a no-op (False) for a ClickHouse
    server, which manages its own memory."""
    if not store.uri.startswith("chdb://"):
        return False
    store.command("SYSTEM JEMALLOC PURGE")
    return True
