"""What the board's browser tests share: headless Chromium, reading the rendered DOM, and
serving an ASGI app on a free port from a thread."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import uvicorn
from fastapi import FastAPI

CHROMIUM = shutil.which("chromium")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chromium(profile_dir: Path, *args: str, virtual_ms: int = 10_000) -> subprocess.CompletedProcess[str]:
    """Headless Chromium; the virtual-time budget runs the page's timers that long (fetches
    pause it), so the page's first refresh has landed when the DOM is dumped."""
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--user-data-dir={profile_dir}", f"--virtual-time-budget={virtual_ms}", *args],
                          capture_output=True, text=True, timeout=180)


class MarkedValues(HTMLParser):
    """The text and data-value of the elements marked data-kpi / data-health, and <body>'s attributes."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.body: dict[str, str | None] = {}
        self.values: dict[str, tuple[str, str | None]] = {}
        self._open: str | None = None
        self._value: str | None = None
        self.feed(dom)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "body":
            self.body = attributes
        mark = attributes.get("data-kpi") or attributes.get("data-health")
        if mark:
            self._open, self._value = mark, attributes.get("data-value")

    def handle_data(self, data: str) -> None:
        if self._open:
            self.values[self._open] = (data.strip(), self._value)
            self._open = None


def section_statuses(dom: str) -> dict[str, set[str]]:
    """For each data source of the page, the statuses its sections show (live, stale, error)."""
    statuses: dict[str, set[str]] = {}
    for source, status in re.findall(r'<section [^>]*data-source="(\w+)"[^>]*data-status="(\w+)"', dom):
        statuses.setdefault(source, set()).add(status)
    return statuses


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """`app` on 127.0.0.1 at a free port, in a thread; yields its URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped during start-up"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
