"""How the blog's articles reach the store: the operator route a running stack serves
(`POST /v1/blog/articles`, on the real embedded store), and `skillpulse sources blog` as its
own process on a data dir no stack holds (straight into the store), once and every S seconds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client
from fastapi import FastAPI
from fastapi.testclient import TestClient

from skillpulse.api.blog import create_blog_router
from skillpulse.sources.blog import Article
from skillpulse.sources.blog_store import BLOG_ROUTE, ArticleBatch, Recorded, post_articles
from tests.sources.blog_documents import Blog, Post, rss_item, serve_blog, wordpress_post, wordpress_rss

CET = timezone(timedelta(hours=1))


@pytest.fixture
def route(store: Client) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(create_blog_router(store))
    with TestClient(app) as client:
        yield client


def _article(guid: str, day: int) -> Article:
    return Article(guid=guid, published_at=datetime(2026, 5, day, 8, tzinfo=UTC))


def test_the_route_stores_each_article_once(route: TestClient, store: Client) -> None:
    first, second = "https://skilltech.cafe/?p=1", "https://skilltech.cafe/?p=2"
    batch = ArticleBatch(articles=[_article(first, 4), _article(second, 5), _article(first, 4)])  # a duplicate
    assert post_articles(route, batch) == Recorded(new=2, redated=0, unchanged=0)
    assert post_articles(route, batch) == Recorded(new=0, redated=0, unchanged=2)
    moved = ArticleBatch(articles=[_article(second, 20)])
    assert post_articles(route, moved) == Recorded(new=0, redated=1, unchanged=0)
    rows = store.query("SELECT guid, argMax(published_at, seen_at) FROM blog_articles GROUP BY guid "
                       "ORDER BY guid").result_rows
    assert [(guid, published.day) for guid, published in rows] == [(first, 4), (second, 20)]


def test_the_route_refuses_bad_input_without_echoing_it(route: TestClient, store: Client) -> None:
    secret = "<script>not-a-date</script>"
    for body in (b"{", json.dumps({"articles": [{"guid": "x", "published_at": secret}]}).encode(),
                 json.dumps({"articles": [{"guid": "", "published_at": "2026-05-04T08:00:00Z"}]}).encode(),
                 json.dumps({"articles": [{"guid": "x", "published_at": "2026-05-04T08:00:00"}]}).encode(),
                 json.dumps({"articles": [], "title": secret}).encode()):
        answer = route.post(BLOG_ROUTE, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 422, body
        assert secret not in answer.text
    too_many = {"articles": [{"guid": f"g{i}", "published_at": "2026-05-04T08:00:00Z"} for i in range(5001)]}
    assert route.post(BLOG_ROUTE, json=too_many).status_code == 422
    assert route.post(BLOG_ROUTE, content=b"x" * 12_000_000).status_code == 413
    assert store.query("SELECT count() FROM blog_articles").result_rows[0][0] == 0


def _skillpulse(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "skillpulse", "--data-dir", str(data_dir), *args]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")}


@pytest.fixture
def blog() -> Iterator[Blog]:
    with serve_blog() as served:
        yield served


@pytest.mark.integration
def test_the_command_polls_into_the_store_and_kpi_articles_counts(tmp_path: Path, blog: Blog) -> None:
    posts = [Post(i, datetime(2026, 4, 1 + i, 9, tzinfo=CET), f"Avril {i}") for i in range(1, 6)]
    blog.documents["/feed/"] = ("application/rss+xml", wordpress_rss([rss_item(post) for post in posts[:3]]))
    blog.posts = [wordpress_post(post) for post in posts]
    data = tmp_path / "data"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(_skillpulse(data, *args), capture_output=True, text=True, timeout=180, env=_env())

    first = run("sources", "blog", "--url", f"{blog.url}/feed/", "--once")
    assert first.returncode == 0, first.stderr
    assert {k: v for k, v in json.loads(first.stdout).items() if k != "polled_at"} == {
        "kind": "rss", "listed": 3, "skipped": 0, "new": 3, "redated": 0, "unchanged": 0}
    api = run("sources", "blog", "--url", f"{blog.url}/wp-json/wp/v2/posts")  # --once is the default
    assert api.returncode == 0, api.stderr
    assert json.loads(api.stdout)["new"] == 2 and json.loads(api.stdout)["unchanged"] == 3
    kpi = run("kpi", "articles", "--from", "2026-04-01", "--to", "2026-05-31", "--json")
    assert kpi.returncode == 0, kpi.stderr
    answer = json.loads(kpi.stdout)
    assert [(m["month"], m["articles"], m["at_target"]) for m in answer["months"]] == [
        ("2026-04", 5, True), ("2026-05", 0, False)]
    refused = run("sources", "blog", "--url", f"{blog.url}/nothing-here")
    assert refused.returncode == 1 and "Error: the blog answered HTTP 404" in refused.stderr

    # --every: one JSON line per poll; a poll that fails is said on stderr and the next one goes on.
    process = subprocess.Popen(_skillpulse(data, "sources", "blog", "--url", f"{blog.url}/feed/", "--every", "1"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        assert process.stdout is not None
        assert json.loads(process.stdout.readline())["unchanged"] == 3
        blog.documents["/feed/"] = ("application/rss+xml", wordpress_rss(
            [rss_item(post) for post in posts] + [rss_item(Post(9, datetime(2026, 5, 2, tzinfo=CET), "Mai"))]))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = json.loads(process.stdout.readline())
            if line["new"]:
                assert (line["new"], line["unchanged"]) == (1, 5)
                break
        else:
            pytest.fail("the new article was never stored")
        del blog.documents["/feed/"]
        assert process.stderr is not None
        while not (line := process.stderr.readline()).startswith("{"):
            assert line, "the failed poll was never reported"
        assert json.loads(line)["error"] == "the blog answered HTTP 404"
        assert process.poll() is None  # still polling
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0


def test_a_poll_of_more_articles_than_a_request_takes_goes_in_batches(route: TestClient, store: Client) -> None:
    """5,001 articles: two requests the route takes (5,000 at most each), counts summed."""
    from skillpulse.cli.blog import deliver_in_batches

    articles = [Article(guid=f"https://skilltech.cafe/?p={n}", published_at=datetime(2026, 5, 4, tzinfo=UTC))
                for n in range(5001)]
    sizes: list[int] = []

    def deliver_one(batch: ArticleBatch) -> Recorded:
        sizes.append(len(batch.articles))
        return post_articles(route, batch)

    assert deliver_in_batches(deliver_one, articles) == Recorded(new=5001, redated=0, unchanged=0)
    assert sizes == [5000, 1]
    assert store.query("SELECT uniqExact(guid) FROM blog_articles").result_rows[0][0] == 5001


async def test_the_route_stops_reading_a_body_that_trickles(store: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    import httpx

    import skillpulse.api.blog as blog_route
    from skillpulse.api.fastapi_errors import answer_in_problem_shape

    monkeypatch.setattr(blog_route, "BODY_TIMEOUT_S", 0.2)
    app = FastAPI()
    answer_in_problem_shape(app)  # as the stack's app does
    app.include_router(create_blog_router(store))

    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"articles": ['
        await asyncio.sleep(2)
        yield b"]}"

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        answer = await client.post(BLOG_ROUTE, content=trickle(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 408 and answer.json()["error"] == "body_read_timeout"
    assert store.query("SELECT count() FROM blog_articles").result_rows[0][0] == 0


async def test_a_feed_that_trickles_is_given_up_on_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every read is short, the document never ends: the fetch's own deadline ends it."""
    import asyncio
    import socket
    import threading

    import httpx

    import skillpulse.sources.blog as blog_source
    from skillpulse.sources.blog import BlogFeedError, read_blog

    monkeypatch.setattr(blog_source, "DOCUMENT_TIMEOUT_S", 0.5)
    done = threading.Event()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def trickle() -> None:
            connection, _ = server.accept()
            with connection:
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                                   b"Content-Length: 100000\r\n\r\n")
                while not done.wait(0.05):
                    connection.sendall(b" ")

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        try:
            async with httpx.AsyncClient() as client:
                with pytest.raises(BlogFeedError, match="did not send the document within 0.5 s"):
                    await asyncio.wait_for(read_blog(client, f"http://127.0.0.1:{server.getsockname()[1]}/feed/"), 30)
        finally:
            done.set()
            thread.join(5)


async def test_a_failed_delivery_is_one_line_and_the_next_round_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`--every`'s round: a stack answering 500 is one stderr line without the articles,
    and the round returns (the loop polls again), not a traceback."""
    import importlib

    import httpx

    from skillpulse.config import Settings
    from skillpulse.sources.blog import FeedRead

    blog_cli = importlib.import_module("skillpulse.cli.blog")  # `skillpulse.cli.blog` the attribute is the command
    guid = "https://skilltech.cafe/?p=secret-article"

    async def read_blog(client: httpx.AsyncClient, url: str) -> FeedRead:
        return FeedRead("rss", [Article(guid=guid, published_at=datetime(2026, 5, 4, tzinfo=UTC))], 0)

    def refused(settings: Settings, batch: ArticleBatch) -> Recorded:
        request = httpx.Request("POST", "http://127.0.0.1:1" + BLOG_ROUTE)
        raise httpx.HTTPStatusError("refused", request=request, response=httpx.Response(500, request=request))

    monkeypatch.setattr("skillpulse.sources.blog.read_blog", read_blog)
    monkeypatch.setattr(blog_cli, "deliver", refused)
    await blog_cli.poll_and_report(Settings().with_data_dir(tmp_path), "http://blog.invalid/feed/")
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["error"] == "the stack answered HTTP 500"
    assert "secret-article" not in out.err
