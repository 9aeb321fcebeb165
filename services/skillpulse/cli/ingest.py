"""`skillpulse ingest FILE`: an NDJSON file through the collector, then wait until stored.

On a terminal a progress line (sent, stored, rate, ETA) goes to stderr while it runs; with
`--json`, or when stderr is not a terminal, nothing but the summary is written."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from skillpulse.config import Settings
from skillpulse.contract import PLATFORMS
from skillpulse.credentials import ensure_api_keys

if TYPE_CHECKING:
    from skillpulse.sdk import DeliveryReport
    from skillpulse.stack_client import Pipeline

PROGRESS_EVERY_S = 0.5


class IngestFile:
    """The file's events, and the numbers of the lines that were not JSON."""

    def __init__(self, path: Path) -> None:
        self.events: list[dict[str, Any]] = []
        self.unreadable: list[int] = []
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                self.events.append(json.loads(line))
            except ValueError:
                self.unreadable.append(number)


def progress_stream(stream: TextIO, *, as_json: bool) -> TextIO | None:
    """Where progress goes: `stream` when it is a terminal and the output is not JSON only."""
    return stream if not as_json and stream.isatty() else None


@dataclass
class Progress:
    """The progress line: events the collector answered for, records the aggregator
    committed since the start, the sending rate and the time left at that rate."""

    total: int
    started: float

    def line(self, answered: int, stored: int, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = answered / elapsed
        eta = f"{(self.total - answered) / rate:.0f}s" if rate > 0 and answered < self.total else "-"
        return f"sent {answered:,}/{self.total:,}  stored {stored:,}  {rate:,.0f} events/s  ETA {eta}"


async def _committed(pipeline: Pipeline, consumer: Any) -> int:
    from skillpulse.kafka.topics import group_offsets

    offsets = await group_offsets(consumer, pipeline.settings.kafka.topic)
    return sum(committed for _, committed in offsets.values())


async def _show_progress(stream: TextIO, pipeline: Pipeline, report: DeliveryReport, total: int) -> None:
    """Rewrite the progress line on `stream` until cancelled."""
    from aiokafka import AIOKafkaConsumer

    from skillpulse.kafka.security import client_options

    progress = Progress(total, time.monotonic())
    # Not subscribed: it never joins the aggregator's group, it only reads its commits.
    consumer = AIOKafkaConsumer(bootstrap_servers=pipeline.bootstrap, group_id=pipeline.settings.aggregator.group_id,
                                enable_auto_commit=False, **client_options(pipeline.settings.kafka))
    await consumer.start()
    try:
        baseline = await _committed(pipeline, consumer)
        while True:
            stored = await _committed(pipeline, consumer) - baseline
            stream.write("\r" + progress.line(report.accepted + report.rejected, stored, time.monotonic()) + "\033[K")
            stream.flush()
            await asyncio.sleep(PROGRESS_EVERY_S)
    finally:
        stream.write("\n")
        stream.flush()
        await consumer.stop()


async def ingest_file(settings: Settings, source: IngestFile, key: str, progress_to: TextIO | None) -> dict[str, Any]:
    """Send `source`'s events through the collector and wait until stored: the summary."""
    from skillpulse.sdk import AsyncSkillpulseClient
    from skillpulse.stack_client import pipeline

    async with pipeline(settings) as running:
        # No spool: the file is the durable copy; the collector judges each line as it is.
        async with AsyncSkillpulseClient(running.url, key, timeout_s=60.0) as client:
            shown = (asyncio.create_task(_show_progress(progress_to, running, client.report, len(source.events)))
                     if progress_to is not None else None)
            try:
                await client.send_many(source.events)
                await client.flush()
                waited = await running.wait_until_stored()
            finally:
                if shown is not None:
                    shown.cancel()
                    await asyncio.gather(shown, return_exceptions=True)
        report = client.report
    unreadable = source.unreadable
    return {"sent": report.sent, "accepted": report.accepted,
            "rejected": report.rejected + len(unreadable), "rejected_reasons": dict(report.reasons)
            | ({"invalid_json": len(unreadable)} if unreadable else {}),
            "unreadable_lines": unreadable[:20], "stored_wait_s": round(waited, 3)}


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", type=click.Choice(PLATFORMS), required=True, help="Platform the events come from.")
@click.option("--api-key", default=None, help="That platform's key (default: the embedded one).")
@click.option("--json", "as_json", is_flag=True, help="Write only the JSON summary (no progress, even on a terminal).")
@click.pass_context
def ingest(ctx: click.Context, file: Path, source: str, api_key: str | None, as_json: bool) -> None:
    """Send an NDJSON file through the collector; wait until stored; print counts (JSON)."""
    settings = ctx.obj
    assert isinstance(settings, Settings)
    key = api_key or ensure_api_keys(settings)[source]
    summary = asyncio.run(ingest_file(settings, IngestFile(file), key, progress_stream(sys.stderr, as_json=as_json)))
    click.echo(json.dumps(summary, indent=2))
