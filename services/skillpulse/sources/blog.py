"""The blog as a source of MV2 (4 articles a month on skilltech.cafe): read its published
articles from an RSS 2.0 or Atom feed (parsed by feedparser) or from the WordPress REST API
(`/wp-json/wp/v2/posts`, every page), as (GUID, publication date) and nothing else.

A document is fetched by URL, never by feedparser (which would follow redirects and read
files on its own), and read up to a size bound."""

from __future__ import annotations

import asyncio
import calendar
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints, ValidationError, field_validator

from skillpulse.errors import SkillpulseError
from skillpulse.extras import needs_extra

if TYPE_CHECKING:
    import httpx

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024  # a feed of a few hundred articles is far smaller
WORDPRESS_PER_PAGE = 100  # the REST API's maximum
# The whole document, not each read: a server trickling bytes keeps every read short.
DOCUMENT_TIMEOUT_S = 60.0
MAX_WORDPRESS_PAGES = 200  # 20,000 posts: a bound, not a blog's size
REQUEST_TIMEOUT_S = 30.0

Guid = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
FeedKind = Literal["rss", "atom", "wordpress"]


class BlogFeedError(SkillpulseError, ValueError):
    """The URL does not answer a feed or a WordPress posts list that can be read."""


class Article(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    guid: Guid
    published_at: AwareDatetime
    # The source states this date as the publication's (RSS pubDate, Atom <published>,
    # WordPress date_gmt): a new one re-dates the article. An Atom entry with only
    # <updated> is dated by it when first seen, and never moved by a later edit.
    stated: bool = True

    @field_validator("published_at")
    @classmethod
    def _as_stored(cls, value: datetime) -> datetime:
        """UTC, to the millisecond: what the store keeps, so the next poll compares equal."""
        return value.astimezone(UTC).replace(microsecond=value.microsecond // 1000 * 1000)


class FeedRead(NamedTuple):
    kind: FeedKind
    articles: list[Article]  # each GUID once, in document order
    skipped: int  # entries without an identifier or a date: not countable


def _unique(articles: list[Article]) -> list[Article]:
    seen: dict[str, Article] = {}
    for article in articles:
        seen.setdefault(article.guid, article)  # a feed repeating an item lists it once
    return list(seen.values())


def _utc(parsed: Any) -> datetime | None:
    """feedparser's dates are UTC struct_time."""
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None


def parse_feed(body: bytes) -> FeedRead:
    """An RSS 2.0 or Atom document's articles."""
    with needs_extra("collector", "`skillpulse sources blog`"):
        import feedparser

    parsed = feedparser.parse(body)  # bytes: feedparser reads them, it fetches nothing
    version = str(parsed.get("version") or "")
    if not version.startswith(("rss", "atom")):
        raise BlogFeedError("the document is not an RSS or Atom feed")
    articles, skipped = [], 0
    for entry in parsed.entries:
        guid = entry.get("id") or entry.get("link")
        published = _utc(entry.get("published_parsed"))
        dated = published or _utc(entry.get("updated_parsed"))
        if not guid or dated is None:
            skipped += 1
            continue
        try:
            articles.append(Article(guid=guid, published_at=dated, stated=published is not None))
        except ValidationError:
            skipped += 1
    return FeedRead("atom" if version.startswith("atom") else "rss", _unique(articles), skipped)


class _WordPressGuid(BaseModel):
    rendered: str


class _WordPressPost(BaseModel):
    """The fields of a `/wp/v2/posts` item that MV2 reads; the API sends many more."""

    id: int
    date_gmt: datetime | None = None  # naive, in GMT
    guid: _WordPressGuid | None = None
    status: str = "publish"  # only with `context=edit`; the public list holds published posts


def parse_wordpress_page(body: bytes) -> FeedRead:
    """One page of `/wp-json/wp/v2/posts`: a JSON array of posts."""
    try:
        items = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BlogFeedError("the WordPress API did not answer JSON") from None
    if not isinstance(items, list):
        raise BlogFeedError("the WordPress API did not answer a list of posts")
    articles, skipped = [], 0
    for item in items:
        try:
            post = _WordPressPost.model_validate(item)
            if post.status != "publish" or post.date_gmt is None:
                skipped += 1
                continue
            guid = post.guid.rendered if post.guid else f"wordpress-post:{post.id}"
            articles.append(Article(guid=guid, published_at=post.date_gmt.replace(tzinfo=UTC)))
        except ValidationError:
            skipped += 1
    return FeedRead("wordpress", _unique(articles), skipped)


def is_wordpress_api(url: str) -> bool:
    return "/wp-json/" in url or "rest_route=" in url


class _Document(NamedTuple):
    body: bytes
    headers: httpx.Headers


async def _get(client: httpx.AsyncClient, url: str, params: dict[str, Any] | None = None) -> _Document:
    import httpx

    try:
        async with asyncio.timeout(DOCUMENT_TIMEOUT_S), \
                client.stream("GET", url, params=params, timeout=REQUEST_TIMEOUT_S) as response:
            if response.status_code != 200:
                raise BlogFeedError(f"the blog answered HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise BlogFeedError(f"the document is larger than {MAX_DOCUMENT_BYTES} bytes")
            return _Document(bytes(body), response.headers)
    except TimeoutError:
        raise BlogFeedError(f"the blog did not send the document within {DOCUMENT_TIMEOUT_S:g} s") from None
    except httpx.HTTPError as exc:
        raise BlogFeedError(f"the blog could not be read ({type(exc).__name__})") from None


async def read_blog(client: httpx.AsyncClient, url: str) -> FeedRead:
    """Every article the URL lists: a feed document, or every page of the WordPress API."""
    if not is_wordpress_api(url):
        return parse_feed((await _get(client, url)).body)
    articles: list[Article] = []
    skipped, page, pages = 0, 1, 1
    while page <= pages:
        response = await _get(client, url, {"per_page": WORDPRESS_PER_PAGE, "page": page,
                                             "_fields": "id,date_gmt,guid,status", "orderby": "id", "order": "asc"})
        found = parse_wordpress_page(response.body)
        articles += found.articles
        skipped += found.skipped
        total = response.headers.get("X-WP-TotalPages", "1")
        pages = min(int(total) if total.isdigit() else 1, MAX_WORDPRESS_PAGES)
        page += 1
    return FeedRead("wordpress", _unique(articles), skipped)
