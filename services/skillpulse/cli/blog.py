"""`skillpulse sources blog`: poll the blog's feed (RSS 2.0, Atom) or WordPress REST API
into the store, for MV2 (articles per month); registered in the `sources` group."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from skillpulse.config import Settings

if TYPE_CHECKING:
    from skillpulse.sources.blog import Article
    from skillpulse.sources.blog_store import ArticleBatch, Recorded

log = logging.getLogger(__name__)


def deliver(settings: Settings, batch: ArticleBatch) -> Recorded:
    """To the stack that `skillpulse up` runs on the data dir (its process holds the store;
    one process per chdb path), with this machine's operator token; else into the store,
    opened for this call only, so that a `skillpulse up` started between polls can claim it."""
    import httpx

    from skillpulse.sources.blog_store import post_articles, record_in_store
    from skillpulse.stack_client import REQUEST_TIMEOUT_S, client_headers
    from skillpulse.stack_state import find_running_stack

    state = find_running_stack(settings.paths.data_dir)
    if state is None:
        return record_in_store(settings, batch)
    with httpx.Client(base_url=state.url, timeout=REQUEST_TIMEOUT_S, headers=client_headers(settings)) as client:
        return post_articles(client, batch)


def deliver_in_batches(deliver_one: Callable[[ArticleBatch], Recorded], articles: list[Article]) -> Recorded:
    """`articles` in batches the route takes (MAX_ARTICLES_PER_REQUEST each); the counts summed."""
    from skillpulse.sources.blog_store import MAX_ARTICLES_PER_REQUEST, ArticleBatch, Recorded

    total = Recorded(0, 0, 0)
    for start in range(0, max(len(articles), 1), MAX_ARTICLES_PER_REQUEST):
        part = deliver_one(ArticleBatch(articles=articles[start:start + MAX_ARTICLES_PER_REQUEST]))
        total = Recorded(*(sum(counts) for counts in zip(total, part, strict=True)))
    return total


async def _poll_once(settings: Settings, url: str) -> dict[str, Any]:
    import httpx

    from skillpulse.sources.blog import read_blog

    polled_at = datetime.now(UTC)
    async with httpx.AsyncClient() as client:
        read = await read_blog(client, url)
    recorded = await asyncio.to_thread(deliver_in_batches, lambda batch: deliver(settings, batch), read.articles)
    return {"polled_at": polled_at.isoformat(timespec="seconds"), "kind": read.kind, "listed": len(read.articles),
            "skipped": read.skipped, **recorded._asdict()}


async def _poll_every(settings: Settings, url: str, every_s: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set():
        await poll_and_report(settings, url)
        with contextlib.suppress(TimeoutError):  # the next poll is due
            await asyncio.wait_for(stop.wait(), every_s)


async def poll_and_report(settings: Settings, url: str) -> None:
    """One round of `--every`: its JSON line on stdout, or, when the blog or the stack fails,
    one line on stderr (what failed, never a payload) and the next round tries again."""
    import httpx

    from skillpulse.errors import SkillpulseError
    from skillpulse.sources.blog import BlogFeedError

    try:
        click.echo(json.dumps(await _poll_once(settings, url)))
    except BlogFeedError as exc:  # the blog is down or answers garbage
        _poll_failed(str(exc))
    except httpx.HTTPStatusError as exc:  # the stack refused the articles: its status only
        _poll_failed(f"the stack answered HTTP {exc.response.status_code}")
    except (httpx.HTTPError, SkillpulseError, OSError) as exc:  # the stack or the store cannot be reached
        _poll_failed(f"the articles could not be delivered ({type(exc).__name__})")
    sys.stdout.flush()


def _poll_failed(error: str) -> None:
    click.echo(json.dumps({"polled_at": datetime.now(UTC).isoformat(timespec="seconds"), "error": error}), err=True)


@click.command()
@click.option("--url", required=True,
              help="The blog's RSS 2.0 or Atom feed (https://skilltech.cafe/feed/) or its WordPress posts API "
                   "(https://skilltech.cafe/wp-json/wp/v2/posts: every page, so every article).")
@click.option("--once", is_flag=True, help="Poll once, print what was stored and stop (the default).")
@click.option("--every", "every_s", type=click.FloatRange(min=1.0), default=None, metavar="S",
              help="Poll every S seconds until Ctrl-C, one JSON line per poll.")
@click.pass_context
def blog(ctx: click.Context, url: str, once: bool, every_s: float | None) -> None:
    """Store the blog's published articles (each once, by GUID) for MV2: 4 articles a month.

    Into the stack that `skillpulse up` runs on the data dir (POST /v1/blog/articles), else
    straight into the store. An edited article is not a new one; a re-dated one moves month;
    one that leaves the feed stays counted (a feed lists only its latest items)."""
    from skillpulse.sources.blog import BlogFeedError

    settings = ctx.obj
    assert isinstance(settings, Settings)
    if once and every_s is not None:
        raise click.UsageError("--once or --every, not both")
    if every_s is not None:
        asyncio.run(_poll_every(settings, url, every_s))
        return
    try:
        result = asyncio.run(_poll_once(settings, url))
    except BlogFeedError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(result, indent=2))
