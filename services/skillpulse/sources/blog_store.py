"""Blog articles into the store (`blog_articles`, migration 0011): each article once, a new
row only for an article not seen yet or re-dated by its source; from the running stack's
route (`post_articles` is its client) or, when no stack runs, straight into the store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from skillpulse.kpi.catalogue import BLOG_SITE
from skillpulse.sources.blog import Article

if TYPE_CHECKING:
    import httpx
    from clickhouse_connect.driver.client import Client

    from skillpulse.config import Settings

MAX_ARTICLES_PER_REQUEST = 5000
BLOG_ROUTE = "/v1/blog/articles"

CURRENT_DATES = """
SELECT guid, argMax(published_at, seen_at) FROM blog_articles
WHERE site = {site:String} AND guid IN {guids:Array(String)}
GROUP BY guid"""


class ArticleBatch(BaseModel):
    """What a poller sends: one site's articles, as read from its feed."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    site: Annotated[str, Field(min_length=1, max_length=253)] = BLOG_SITE
    articles: Annotated[list[Article], Field(max_length=MAX_ARTICLES_PER_REQUEST)]


class Recorded(NamedTuple):
    new: int  # articles stored for the first time
    redated: int  # articles whose source states another publication date now
    unchanged: int  # already stored with that date (an edit, or the next poll)


def _changed(article: Article, current: datetime | None) -> bool:
    return article.stated and current is not None and current != article.published_at


def record_articles(store: Client, batch: ArticleBatch) -> Recorded:
    guids = list(dict.fromkeys(article.guid for article in batch.articles))
    current: dict[str, datetime] = {}
    for start in range(0, len(guids), 1000):  # bounded IN lists
        found = store.query(CURRENT_DATES, parameters={"site": batch.site, "guids": guids[start:start + 1000]})
        current |= {guid: published for guid, published in found.result_rows}
    new, redated, unchanged = [], [], 0
    done: set[str] = set()
    for article in batch.articles:
        if article.guid in done:
            continue
        done.add(article.guid)
        before = current.get(article.guid)
        if before is None:
            new.append(article)
        elif _changed(article, before if before.tzinfo else before.replace(tzinfo=UTC)):
            redated.append(article)
        else:
            unchanged += 1
    rows = [[batch.site, article.guid, article.published_at] for article in new + redated]
    if rows:
        store.insert("blog_articles", rows, column_names=["site", "guid", "published_at"])
    return Recorded(len(new), len(redated), unchanged)


def record_in_store(settings: Settings, batch: ArticleBatch) -> Recorded:
    """No stack runs on the data dir: open the store for this call (one process per chdb path)."""
    from skillpulse.store import apply_migrations, open_store

    store = open_store(settings)
    try:
        apply_migrations(store)
        return record_articles(store, batch)
    finally:
        store.close()


def post_articles(client: httpx.Client, batch: ArticleBatch) -> Recorded:
    """`batch` to a running stack's route (`client` has its base URL and credentials)."""
    response = client.post(BLOG_ROUTE, content=batch.model_dump_json(), headers={"Content-Type": "application/json"})
    response.raise_for_status()
    answer = response.json()
    return Recorded(int(answer["new"]), int(answer["redated"]), int(answer["unchanged"]))
