"""`skillpulse demo` and `skillpulse simulate`: the simulator driven through the real path."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
from datetime import date, datetime

import click

from skillpulse.config import Settings
from skillpulse.credentials import ensure_api_keys
from skillpulse.kpi.summary import contract_summary, format_summary
from skillpulse.simulator import Population, backfill_events, live_events, send_events
from skillpulse.simulator.model import LUXEMBOURG
from skillpulse.stack_client import pipeline
from skillpulse.stack_state import read_state


async def run_demo(settings: Settings, *, users: int, days: int, seed: int, end: date | None) -> None:
    demo_dir = settings.paths.data_dir / "demo"
    if read_state(demo_dir) is not None:
        raise click.ClickException(f"a demo is already running on {demo_dir}")
    shutil.rmtree(demo_dir, ignore_errors=True)  # a demo starts from an empty store every time
    settings = settings.with_data_dir(demo_dir)
    # Port 0: a free one. Memory broker: the demo's data dir is deleted at every start and the
    # topic drained before it stops, so a durable broker would buy nothing and cost time.
    settings = settings.model_copy(update={"collector": settings.collector.model_copy(update={"port": 0}),
                                           "broker": settings.broker.model_copy(update={"storage": "memory"})})
    end = end or datetime.now(LUXEMBOURG).date()
    wall = time.perf_counter()
    async with pipeline(settings) as running:
        assert running.stack is not None and running.stack.store is not None
        click.echo(f"embedded stack up: collector {running.url}, Kafka {running.bootstrap}")
        click.echo(f"simulating {days} days x {users} users through the collector ...")
        events = backfill_events(Population(users, seed), days, end, seed)
        report = await send_events(running.url, ensure_api_keys(settings), events)
        waited = await running.wait_until_stored()
        store = running.stack.store
        stored = int(store.query("SELECT uniqExact(event_id) FROM events").result_rows[0][0])
        table = contract_summary(store, end)
    elapsed = time.perf_counter() - wall
    click.echo(f"\nsent {report.sent} events ({report.sent - len(report.accepted_ids)} resends) in "
               f"{report.seconds:.1f}s = {report.events_per_s:,.0f} events/s; accepted {report.accepted}, "
               f"rejected {report.rejected}")
    click.echo(f"stored {stored} distinct events ({len(report.accepted_ids) - stored} missing), "
               f"all stored {waited:.2f}s after the last acknowledgement")
    click.echo("\n" + format_summary(table))
    click.echo(f"\ndemo finished in {elapsed:.1f}s; stack stopped")


async def run_simulation(settings: Settings, *, users: int, days: int, rate: float, seed: int) -> None:
    population = Population(users, seed)
    keys = ensure_api_keys(settings)
    async with pipeline(settings) as running:
        if days:
            end = datetime.now(LUXEMBOURG).date()
            report = await send_events(running.url, keys, backfill_events(population, days, end, seed))
            click.echo(f"backfill: sent {report.sent}, accepted {report.accepted}, {report.events_per_s:,.0f} events/s")
        if rate > 0:
            click.echo(f"live: {rate:g} events/s until Ctrl-C")
            stream = live_events(population, seed)
            per_tick = max(1, int(rate / 10))
            while True:
                tick = time.perf_counter()
                await send_events(running.url, keys, itertools.islice(stream, per_tick), batch_size=per_tick)
                await asyncio.sleep(max(0.0, per_tick / rate - (time.perf_counter() - tick)))
