"""Real-shaped blog documents: a WordPress RSS 2.0 feed (what `/feed/` serves: namespaces,
CDATA, dc:creator, content:encoded), an Atom 1.0 feed, and `/wp-json/wp/v2/posts` items with
the fields WordPress 6 sends; and a local HTTP server that serves them, changeable between
polls."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Post:
    id: int
    published: datetime  # aware
    title: str
    modified: datetime | None = None

    @property
    def guid(self) -> str:
        return f"https://skilltech.cafe/?p={self.id}"  # WordPress's guid, in RSS and in the REST API alike

    @property
    def link(self) -> str:
        return f"https://skilltech.cafe/{self.published:%Y/%m}/article-{self.id}/"


def rss_item(post: Post, *, guid: bool = True, pub_date: bool = True) -> str:
    guid_line = f'<guid isPermaLink="false">{post.guid}</guid>' if guid else ""
    date_line = f"<pubDate>{format_datetime(post.published)}</pubDate>" if pub_date else ""
    return f"""
	<item>
		<title>{post.title}</title>
		<link>{post.link}</link>
		<comments>{post.link}#respond</comments>
		<dc:creator><![CDATA[Marie Schmit]]></dc:creator>
		{date_line}
		<category><![CDATA[Intelligence artificielle]]></category>
		{guid_line}
		<description><![CDATA[Résumé de « {post.title} » […]]]></description>
		<content:encoded><![CDATA[<p>Texte de l'article {post.id}.</p>]]></content:encoded>
		<wfw:commentRss>{post.link}feed/</wfw:commentRss>
		<slash:comments>0</slash:comments>
	</item>"""


def wordpress_rss(items: list[str]) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
	xmlns:slash="http://purl.org/rss/1.0/modules/slash/"
	>

<channel>
	<title>Skilltech Café</title>
	<atom:link href="https://skilltech.cafe/feed/" rel="self" type="application/rss+xml" />
	<link>https://skilltech.cafe</link>
	<description>Le blog EdTech du LMDDC</description>
	<lastBuildDate>Tue, 03 Mar 2026 08:12:44 +0000</lastBuildDate>
	<language>fr-FR</language>
	<sy:updatePeriod>hourly</sy:updatePeriod>
	<sy:updateFrequency>1</sy:updateFrequency>
	<generator>https://wordpress.org/?v=6.7.1</generator>
{"".join(items)}
</channel>
</rss>
""".encode()


def atom_entry(post: Post, *, published: bool = True) -> str:
    updated = (post.modified or post.published).isoformat()
    published_line = f"<published>{post.published.isoformat()}</published>" if published else ""
    return f"""
  <entry>
    <title type="html">{post.title}</title>
    <link href="{post.link}" rel="alternate" type="text/html"/>
    <id>tag:skilltech.cafe,2026:/articles/{post.id}</id>
    {published_line}
    <updated>{updated}</updated>
    <author><name>Marie Schmit</name></author>
    <category term="ia"/>
    <summary type="html">Résumé de l'article {post.id}</summary>
    <content type="html">&lt;p&gt;Texte de l'article {post.id}.&lt;/p&gt;</content>
  </entry>"""


def atom_feed(entries: list[str]) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">
  <title>Skilltech Café</title>
  <subtitle>Le blog EdTech du LMDDC</subtitle>
  <link href="https://skilltech.cafe/atom.xml" rel="self" type="application/atom+xml"/>
  <link href="https://skilltech.cafe/" rel="alternate" type="text/html"/>
  <updated>2026-03-03T08:12:44+00:00</updated>
  <id>https://skilltech.cafe/</id>
  <generator uri="https://gohugo.io/" version="0.140.0">Hugo</generator>
{"".join(entries)}
</feed>
""".encode()


def wordpress_post(post: Post, status: str = "publish") -> dict[str, Any]:
    """A `/wp/v2/posts` item as WordPress 6 sends it (view context)."""
    gmt = post.published.astimezone(UTC).replace(tzinfo=None)  # naive, as WordPress sends both
    local = post.published.replace(tzinfo=None)  # the site's time: `published` is given in it
    modified = (post.modified or post.published).astimezone(UTC).replace(tzinfo=None)
    return {
        "id": post.id, "date": local.isoformat(), "date_gmt": gmt.isoformat(), "guid": {"rendered": post.guid},
        "modified": modified.isoformat(), "modified_gmt": modified.isoformat(), "slug": f"article-{post.id}",
        "status": status, "type": "post", "link": post.link, "title": {"rendered": post.title},
        "content": {"rendered": f"<p>Texte de l'article {post.id}.</p>\n", "protected": False},
        "excerpt": {"rendered": f"<p>Résumé {post.id}</p>\n", "protected": False},
        "author": 3, "featured_media": 0, "comment_status": "open", "ping_status": "open", "sticky": False,
        "template": "", "format": "standard", "meta": {"footnotes": ""}, "categories": [4], "tags": [],
        "class_list": [f"post-{post.id}", "post", "type-post", "status-publish", "format-standard", "hentry"],
        "_links": {"self": [{"href": f"https://skilltech.cafe/wp-json/wp/v2/posts/{post.id}"}],
                   "collection": [{"href": "https://skilltech.cafe/wp-json/wp/v2/posts"}]},
    }


@dataclass
class Blog:
    """What the local server answers: `documents[path]` = (content type, body); the WordPress
    API at /wp-json/wp/v2/posts pages `posts` by `per_page` with X-WP-Total(Pages)."""

    documents: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    posts: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    url: str = ""


@contextmanager
def serve_blog() -> Iterator[Blog]:
    blog = Blog()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            blog.requests.append(self.path)
            headers: dict[str, str] = {}
            if parts.path == "/wp-json/wp/v2/posts":
                query = parse_qs(parts.query)
                per_page, page = int(query.get("per_page", ["10"])[0]), int(query.get("page", ["1"])[0])
                pages = max(1, -(-len(blog.posts) // per_page))
                body = json.dumps(blog.posts[(page - 1) * per_page:page * per_page]).encode()
                content_type = "application/json; charset=UTF-8"
                headers = {"X-WP-Total": str(len(blog.posts)), "X-WP-TotalPages": str(pages)}
            elif parts.path in blog.documents:
                content_type, body = blog.documents[parts.path]
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet tests
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    blog.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield blog
    finally:
        server.shutdown()
        server.server_close()
