"""`skillpulse sources keycloak`: poll a Keycloak realm's login events into the collector
(for realms that cannot install the webhook extension)."""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import SecretStr

from skillpulse.cli.blog import blog
from skillpulse.config import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from skillpulse.sources.keycloak_poll import CollectorAccess, Cursor, PollReport, RealmAccess


@click.group()
def sources() -> None:
    """Adapters that bring events from the platforms' own systems."""


sources.add_command(blog)


def _since_ms(value: str | None) -> int:
    if value is None:
        return 0
    if value.isdigit():
        return int(value)
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise click.BadParameter("YYYY-MM-DD or epoch milliseconds", param_hint="--since") from None
    return int(day.timestamp() * 1000)


def _keys(values: tuple[str, ...], default_platform: str) -> dict[str, str]:
    keys = {}
    for value in values:
        platform, separator, key = value.partition("=")
        keys.update({platform: key} if separator else {default_platform: value})
    return keys


@sources.command()
@click.option("--url", required=True, help="Keycloak's base URL, e.g. https://sso.skilltech.tools")
@click.option("--realm", required=True, help="Realm name (also the realm of the event ids).")
@click.option("--client-id", required=True, help="A confidential client with a service account (view-events).")
@click.option("--client-secret-file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File holding that client's secret (kept out of the process list).")
@click.option("--once", is_flag=True,
              help="Poll once, print the report and stop (with the data dir's stack: once stored).")
@click.option("--interval-s", type=float, default=60.0, show_default=True, help="Seconds between polls.")
@click.option("--since", default=None, help="First run only: events from this day (YYYY-MM-DD) or epoch ms "
                                            "[default: all Keycloak keeps].")
@click.option("--collector-url", default=None, help="A collector to send to [default: the stack on the data dir].")
@click.option("--api-key", "api_keys", multiple=True,
              help="With --collector-url: KEY (the default platform's) or PLATFORM=KEY; repeat per platform.")
@click.pass_context
def keycloak(ctx: click.Context, url: str, realm: str, client_id: str, client_secret_file: Path, once: bool,
             interval_s: float, since: str | None, collector_url: str | None, api_keys: tuple[str, ...]) -> None:
    """Poll GET /admin/realms/REALM/events (LOGIN, IDENTITY_PROVIDER_LOGIN) into the collector.

    The cursor is kept in <data dir>/keycloak-cursors/REALM.json, written once the collector
    acknowledged a poll; a restart goes on from it."""
    from skillpulse.credentials import ensure_api_keys
    from skillpulse.sources.keycloak_poll import CollectorAccess, Cursor, RealmAccess
    from skillpulse.stack_client import pipeline

    settings = ctx.obj
    assert isinstance(settings, Settings)
    if api_keys and collector_url is None:
        raise click.UsageError("--api-key goes with --collector-url")
    access = RealmAccess(url, realm, client_id, SecretStr(client_secret_file.read_text().strip()))
    cursor = Cursor(settings.paths.data_dir, access)
    since_ms = _since_ms(since)

    def echo(report: PollReport) -> None:
        click.echo(json.dumps(report.as_json()))

    async def run() -> dict[str, Any] | None:
        if collector_url is not None:
            collector = CollectorAccess(collector_url, _keys(api_keys, settings.keycloak.default_platform))
            return await _poll(access, collector, cursor, settings, once, interval_s, since_ms, echo)
        keys = ensure_api_keys(settings)
        async with pipeline(settings) as running:
            result = await _poll(access, CollectorAccess(running.url, keys), cursor, settings, once, interval_s,
                                 since_ms, echo)
            if result is not None:
                result["stored_wait_s"] = round(await running.wait_until_stored(), 3)
            return result

    result = asyncio.run(run())
    if result is not None:
        click.echo(json.dumps(result, indent=2))


async def _poll(access: RealmAccess, collector: CollectorAccess, cursor: Cursor, settings: Settings, once: bool,
                interval_s: float, since_ms: int, echo: Callable[[PollReport], None]) -> dict[str, Any] | None:
    import httpx

    from skillpulse.sources.keycloak_poll import REQUEST_TIMEOUT_S, poll_forever, poll_once

    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S) as client:
        if once:
            report = await poll_once(client, access, collector, cursor, settings.keycloak, since_ms)
            return report.as_json()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        polling = asyncio.create_task(poll_forever(client, access, collector, cursor, settings.keycloak,
                                                   interval_s, since_ms, echo))
        await stop.wait()
        polling.cancel()
        return None
