"""MV2 from the blog: RSS 2.0, Atom and WordPress REST documents served locally, polled into
the real embedded store; each article counted once per Luxembourg month, updates and
duplicates included; the counts are `skillpulse kpi articles`' (the catalogue's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.kpi.catalogue import scalar
from skillpulse.kpi.params import KpiParams
from skillpulse.sources.blog import BlogFeedError, FeedRead, read_blog
from skillpulse.sources.blog_store import ArticleBatch, Recorded, record_articles
from tests.sources.blog_documents import (
    Blog,
    Post,
    atom_entry,
    atom_feed,
    rss_item,
    serve_blog,
    wordpress_post,
    wordpress_rss,
)

CET = timezone(timedelta(hours=1))
POSTS = [
    Post(101, datetime(2026, 1, 12, 9, 0, tzinfo=CET), "L'IA en classe"),
    Post(102, datetime(2026, 1, 31, 23, 30, tzinfo=CET), "Fin janvier"),  # 22:30Z: still January in Luxembourg
    Post(103, datetime(2026, 2, 28, 23, 30, tzinfo=UTC), "Minuit passé"),  # 00:30 on 1 March in Luxembourg
    Post(104, datetime(2026, 3, 2, 9, 0, tzinfo=CET), "H5P et Moodle"),
    Post(105, datetime(2026, 3, 9, 9, 0, tzinfo=CET), "PeerTube"),
    Post(106, datetime(2026, 3, 16, 9, 0, tzinfo=CET), "Keycloak"),
]
# By hand (Europe/Luxembourg months): January 101, 102; February none; March 103-106.
BY_MONTH = {"2026-01": 2, "2026-02": 0, "2026-03": 4}
Q1 = KpiParams(start=date(2026, 1, 1), end=date(2026, 3, 31))


@pytest.fixture
def blog() -> Iterator[Blog]:
    with serve_blog() as served:
        yield served


async def _poll(url: str) -> FeedRead:
    async with httpx.AsyncClient() as client:
        return await read_blog(client, url)


async def _poll_into(store: Client, url: str) -> Recorded:
    read = await _poll(url)
    return record_articles(store, ArticleBatch(articles=read.articles))


def _months(store: Client) -> dict[str, int]:
    return {row["month"]: row["articles"] for row in scalar("articles", store, Q1)["months"]}


async def test_rss_counts_each_article_once_per_luxembourg_month(store: Client, blog: Blog) -> None:
    items = [rss_item(post) for post in POSTS] + [rss_item(POSTS[0])]  # a feed repeating an item
    items += [rss_item(Post(107, datetime(2026, 3, 20, tzinfo=UTC), "Sans date"), pub_date=False)]  # not countable
    blog.documents["/feed/"] = ("application/rss+xml; charset=UTF-8", wordpress_rss(items))
    read = await _poll(f"{blog.url}/feed/")
    assert (read.kind, len(read.articles), read.skipped) == ("rss", 6, 1)
    assert read.articles[0].guid == "https://skilltech.cafe/?p=101"
    assert record_articles(store, ArticleBatch(articles=read.articles)) == Recorded(new=6, redated=0, unchanged=0)
    assert _months(store) == BY_MONTH
    answer = scalar("articles", store, Q1)
    assert (answer["articles"], answer["months_at_target"], answer["stored_articles"]) == (6, 1, 6)
    assert [row["at_target"] for row in answer["months"]] == [False, False, True]
    assert answer["oldest_article_day"] == "2026-01-12"

    # The next poll: one article edited (title, text: same guid and pubDate), one new, one gone from the feed.
    edited = Post(104, POSTS[3].published, "H5P et Moodle (mis à jour)")
    new = Post(108, datetime(2026, 2, 10, 9, 0, tzinfo=CET), "Février")
    blog.documents["/feed/"] = ("application/rss+xml", wordpress_rss(
        [rss_item(post) for post in (*POSTS[1:3], edited, *POSTS[4:], new)]))
    assert await _poll_into(store, f"{blog.url}/feed/") == Recorded(new=1, redated=0, unchanged=5)
    assert _months(store) == BY_MONTH | {"2026-02": 1}  # 101 left the feed and still counts
    assert await _poll_into(store, f"{blog.url}/feed/") == Recorded(new=0, redated=0, unchanged=6)
    assert store.query("SELECT count() FROM blog_articles").result_rows[0][0] == 7  # one row per article


async def test_a_re_dated_article_moves_month_and_an_item_without_guid_is_its_link(store: Client,
                                                                                    blog: Blog) -> None:
    blog.documents["/feed/"] = ("application/rss+xml", wordpress_rss(
        [rss_item(POSTS[0]), rss_item(POSTS[3], guid=False)]))
    assert await _poll_into(store, f"{blog.url}/feed/") == Recorded(new=2, redated=0, unchanged=0)
    redated = Post(101, datetime(2026, 2, 3, 9, 0, tzinfo=CET), POSTS[0].title)
    blog.documents["/feed/"] = ("application/rss+xml", wordpress_rss(
        [rss_item(redated), rss_item(POSTS[3], guid=False)]))
    assert await _poll_into(store, f"{blog.url}/feed/") == Recorded(new=0, redated=1, unchanged=1)
    assert _months(store) == {"2026-01": 0, "2026-02": 1, "2026-03": 1}
    guids = {row[0] for row in store.query("SELECT DISTINCT guid FROM blog_articles").result_rows}
    assert guids == {"https://skilltech.cafe/?p=101", POSTS[3].link}


async def test_atom_counts_published_and_an_update_moves_nothing(store: Client, blog: Blog) -> None:
    undated = Post(109, datetime(2026, 3, 25, 9, 0, tzinfo=CET), "Sans published")  # dated by <updated>
    entries = [atom_entry(post) for post in POSTS] + [atom_entry(undated, published=False)]
    blog.documents["/atom.xml"] = ("application/atom+xml", atom_feed(entries))
    read = await _poll(f"{blog.url}/atom.xml")
    assert (read.kind, len(read.articles), read.skipped) == ("atom", 7, 0)
    assert read.articles[0].guid == "tag:skilltech.cafe,2026:/articles/101"
    assert record_articles(store, ArticleBatch(articles=read.articles)).new == 7
    assert _months(store) == BY_MONTH | {"2026-03": 5}
    # Every entry updated in April: <updated> changes, <published> does not; the undated one stays in March.
    april = datetime(2026, 4, 2, 9, 0, tzinfo=CET)
    blog.documents["/atom.xml"] = ("application/atom+xml", atom_feed(
        [atom_entry(Post(p.id, p.published, p.title, modified=april)) for p in POSTS]
        + [atom_entry(Post(109, april, undated.title, modified=april), published=False)]))
    assert await _poll_into(store, f"{blog.url}/atom.xml") == Recorded(new=0, redated=0, unchanged=7)
    assert _months(store) == BY_MONTH | {"2026-03": 5}


async def test_wordpress_api_every_page_and_the_same_post_as_in_its_rss(store: Client, blog: Blog) -> None:
    many = [Post(200 + i, datetime(2026, 2, 1, 9, tzinfo=CET) + timedelta(hours=i), f"Article {i}")
            for i in range(150)]  # two pages of 100
    blog.posts = [wordpress_post(post) for post in POSTS + many]
    read = await _poll(f"{blog.url}/wp-json/wp/v2/posts")
    assert (read.kind, len(read.articles), read.skipped) == ("wordpress", 156, 0)
    pages = [request for request in blog.requests if request.startswith("/wp-json/")]
    assert len(pages) == 2 and "per_page=100" in pages[0] and "page=2" in pages[1]
    assert record_articles(store, ArticleBatch(articles=read.articles)) == Recorded(new=156, redated=0, unchanged=0)
    assert _months(store) == {"2026-01": 2, "2026-02": 150, "2026-03": 4}
    # The blog's RSS names its posts by the same guid: polling it as well adds nothing.
    blog.documents["/feed/"] = ("application/rss+xml", wordpress_rss([rss_item(post) for post in POSTS]))
    assert await _poll_into(store, f"{blog.url}/feed/") == Recorded(new=0, redated=0, unchanged=6)
    # An edit (modified_gmt, title) is no new article; a post the API lists as not published is not counted.
    blog.posts[0] = wordpress_post(Post(101, POSTS[0].published, "Nouveau titre",
                                        modified=datetime(2026, 3, 1, tzinfo=UTC)))
    blog.posts.append(wordpress_post(Post(999, datetime(2026, 3, 3, tzinfo=CET), "Brouillon"), status="draft"))
    read = await _poll(f"{blog.url}/wp-json/wp/v2/posts")
    assert (len(read.articles), read.skipped) == (156, 1)
    assert record_articles(store, ArticleBatch(articles=read.articles)) == Recorded(new=0, redated=0, unchanged=156)


async def test_what_is_not_a_feed_is_a_clear_error(blog: Blog) -> None:
    blog.documents["/page"] = ("text/html", b"<!DOCTYPE html><html><body><p>Bienvenue</p></body></html>")
    blog.documents["/wp-json/x/v2/posts"] = ("application/json", json.dumps({"code": "rest_no_route"}).encode())
    with pytest.raises(BlogFeedError, match="not an RSS or Atom feed"):
        await _poll(f"{blog.url}/page")
    with pytest.raises(BlogFeedError, match="HTTP 404"):
        await _poll(f"{blog.url}/missing")
    with pytest.raises(BlogFeedError, match="not answer a list of posts"):
        await _poll(f"{blog.url}/wp-json/x/v2/posts")
    with pytest.raises(BlogFeedError, match="could not be read"):
        await _poll("http://127.0.0.1:9/feed/")  # nothing listens on the discard port


async def test_an_external_entity_in_a_feed_is_never_read(blog: Blog, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    item = rss_item(POSTS[0]).replace(POSTS[0].guid, "&xxe;")
    document = wordpress_rss([item]).replace(b"<rss ", f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n<rss '
                                             .encode(), 1)
    blog.documents["/feed/"] = ("application/rss+xml", document)
    read = await _poll(f"{blog.url}/feed/")
    assert all("root:" not in article.guid for article in read.articles)
    assert blog.requests == ["/feed/"]  # nothing else fetched either
