-- Articles published on the blog, for MV2 (4 articles a month on skilltech.cafe), written by
-- `skillpulse sources blog`. An article is its GUID: the RSS <guid> (else <link>), the Atom
-- <id>, the WordPress REST API's guid.rendered; WordPress gives one post the same `?p=ID`
-- URL in all three, so polling its RSS and its API counts the post once. A row is inserted
-- when an article is first seen, and again only when its stated publication date changed
-- (a re-dated post moves month); an edit is not a new article. The current date is the
-- newest `seen_at`'s (argMax; the engine keeps one row per key after merges). An article
-- that leaves the feed stays counted: a feed lists only its latest items, so absence is no
-- deletion. Public metadata only: no title, author, content or reader.
CREATE TABLE IF NOT EXISTS blog_articles
(
    site         LowCardinality(String),
    guid         String,
    published_at DateTime64(3, 'UTC'),
    seen_at      DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(seen_at)
ORDER BY (site, guid)
TTL toDateTime(seen_at) + INTERVAL 9 YEAR;
