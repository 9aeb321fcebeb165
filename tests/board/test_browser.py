"""The board in a real headless Chromium, on a real `skillpulse up` (embedded tansu and
chdb, its own process), fed through the collector with logins counted by hand."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from skillpulse.api.board import create_board_router
from skillpulse.role_process import RoleProcess
from tests.board.browser import CHROMIUM, PNG_MAGIC, MarkedValues, chromium, section_statuses, serving

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(CHROMIUM is None,
                       reason="Debian's chromium is not installed (`apt-get install chromium`; .ci/run installs it)"),
]
SOURCES = {"summary", "b2", "activity", "health", "catalogue"}
NUMBER = re.compile(r"^\d[\d,]*(\.\d+)?$")


def _env() -> dict[str, str]:
    # The memory broker: the board's figures are the subject, not what survives a kill
    # (tests/faults/test_broker_kill.py runs the durable one).
    return {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")} | {
        "SKILLPULSE_BROKER_STORAGE": "memory"}


def _logins(today: date) -> list[dict[str, str]]:
    """B2 as of today, counted by hand: ana, ben and cai logged in twice within 60 days → 3;
    dan once → no; eve twice but 75 days apart → no. MAU (any event in 30 days): all 5."""
    days_ago = {"ana": (10, 3), "ben": (10, 3), "cai": (20, 2), "dan": (3,), "eve": (80, 5)}
    return [{"event_id": str(uuid.uuid4()), "type": "login", "user_id": user, "method": "sso",
             # noon UTC: the same calendar day in Luxembourg, whatever the season
             "occurred_at": datetime.combine(today - timedelta(days=n), day_time(12), UTC).isoformat()}
            for user, ago in days_ago.items() for n in ago]


def _health_once_counted(url: str, headers: dict[str, str], timeout_s: float = 60) -> dict[str, Any]:
    """The pipeline health once the collector's counts (published every second) and a
    consumer-lag sample (every 5 s) are stored: what the board is then expected to show."""
    deadline = time.monotonic() + timeout_s
    while True:
        health = httpx.get(f"{url}/v1/health/pipeline", params={"minutes": 5}, headers=headers,
                           timeout=60).raise_for_status().json()
        if health["per_second"]["accepted"] and health["per_second"]["stored"] and health["consumer_lag"]["sampled_at"]:
            return dict(health)
        assert time.monotonic() < deadline, health
        time.sleep(0.5)


@dataclass(frozen=True)
class FedStack:
    url: str
    logins: int
    health: dict[str, Any]
    viewer: str  # a viewer token, made with `skillpulse keys create` while the stack ran

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.viewer}"}

    def with_credentials(self, path: str) -> str:
        """The URL a person would open once the browser asked them: Basic credentials in it."""
        return self.url.replace("http://", f"http://board:{self.viewer}@") + path


def _skillpulse(data_dir: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "skillpulse", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=240, env=_env())
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def fed_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FedStack]:
    """`skillpulse up` on a fresh data dir, with the hand-counted logins stored."""
    root = tmp_path_factory.mktemp("board-stack")
    data_dir = root / "data"
    stack = RoleProcess(data_dir, "all", env=_env(), log=root / "up.log").start()
    try:
        state = stack.wait_serving(timeout_s=120)
        logins = _logins(date.today())  # the summary's default day, on this machine
        (root / "logins.ndjson").write_text("".join(json.dumps(event) + "\n" for event in logins))
        # `ingest` finds the running stack, sends through its collector and waits until stored.
        ingested = json.loads(_skillpulse(data_dir, "ingest", str(root / "logins.ndjson"), "--source",
                                          "skilltech.tools"))
        assert (ingested["accepted"], ingested["rejected"]) == (len(logins), 0)
        viewer = _skillpulse(data_dir, "keys", "create", "--access", "viewer", "--label", "board").splitlines()[1]
        # A tool released today and not used yet: the catalogue card lists it as declared, not used.
        _skillpulse(data_dir, "tools", "add", "board-tool", "--category", "content_creation", "--available-from",
                    date.today().isoformat())
        headers = {"Authorization": f"Bearer {viewer}"}
        yield FedStack(state.url, len(logins), _health_once_counted(state.url, headers), viewer)
    finally:
        stack.stop(timeout_s=90)


def test_the_board_shows_the_summarys_b2_and_live_pipeline_health(fed_stack: FedStack, tmp_path: Path) -> None:
    summary = httpx.get(f"{fed_stack.url}/v1/kpi/summary", headers=fed_stack.headers,
                        timeout=60).raise_for_status().json()
    expected = {row["metric"]: row["value"] for row in summary["rows"]}
    assert (expected["active-users"], expected["mau"]) == (3, 5)  # as counted by hand

    started = time.monotonic()
    # `/` redirects to /board; the viewer token as Basic password, as the browser's prompt sends it.
    dom = chromium(tmp_path, "--dump-dom", fed_stack.with_credentials("/"))
    print(f"chromium --dump-dom: {time.monotonic() - started:.1f} s")
    assert dom.returncode == 0, dom.stderr
    page = MarkedValues(dom.stdout)
    assert page.body.get("data-status") == "live", (page.body, dom.stdout[-3000:])
    assert page.body.get("data-as-of") == summary["as_of"]
    assert section_statuses(dom.stdout) == {source: {"live"} for source in SOURCES}  # nothing stale or empty
    shown = {mark: float(value) for mark, (_, value) in page.values.items() if mark in expected and value}
    assert shown == {metric: float(value) for metric, value in expected.items()}
    assert page.values["active-users"][0] == "3"
    assert {row["id"] for row in summary["rows"] if row["trajectory"]} >= {"B2", "MA4", "MC4", "MP2"}
    for row in summary["rows"]:  # each targeted KPI's trajectory, as the summary computed it
        if row["trajectory"]:
            text, status = page.values[f"trajectory-{row['metric']}"]
            assert status == row["trajectory"]["status"] and text.startswith(status.upper() + " · projected")
    assert re.search(r'<polyline points="[^"]+" class="b2"', dom.stdout)  # the B2 series was drawn
    for kind, count in (("made_available", 1), ("declared_not_used", 1), ("used_not_declared", 0)):
        assert re.search(rf'data-catalogue="{kind}" data-value="{count}">{count}<', dom.stdout), kind
    assert re.search(r'data-catalogue-names="declared_not_used">board-tool<', dom.stdout)

    for mark in ("accepted", "rejected", "stored", "freshness-p50", "freshness-p99", "consumer-lag"):
        assert NUMBER.match(page.values[mark][0]), (mark, page.values[mark])
    # Rates over the last 5 minutes: the API said > 0 just before, and the window still holds those events.
    assert float(page.values["accepted"][1] or 0) > 0 and float(page.values["stored"][1] or 0) > 0
    assert re.match(r"^\d\d:\d\d:\d\d$", page.values["last-stored"][0])
    assert fed_stack.health["freshness_s"]["events"] >= fed_stack.logins

    screenshot = tmp_path / "board.png"
    shot = chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1600,1000",
                    fed_stack.with_credentials("/board"))
    assert shot.returncode == 0, shot.stderr
    png = screenshot.read_bytes()
    assert png[:8] == PNG_MAGIC and len(png) > 20_000


FIRST_ROUND_API_CALLS = 5  # summary, B2 series, DAU/MAU series, tool catalogue check, health


@pytest.fixture
def stack_gone_after_first_round(fed_stack: FedStack) -> Iterator[str]:
    """The stack behind a proxy that passes the page and the page's first round of API
    calls, then answers 503 as a proxy does when its backend has gone away."""
    api_calls = 0
    app = FastAPI()

    @app.get("/{path:path}")
    async def forward(path: str, request: Request) -> Response:
        nonlocal api_calls
        if path.startswith("v1/"):
            api_calls += 1
            if api_calls > FIRST_ROUND_API_CALLS:
                return Response("backend unreachable", status_code=503)
        # The proxy holds the credentials (as a reverse proxy in front of a wall screen may).
        async with httpx.AsyncClient(base_url=fed_stack.url, timeout=60, headers=fed_stack.headers) as client:
            answer = await client.get(f"/{path}", params=request.query_params.multi_items())
        return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))

    with serving(app) as url:
        yield url


def test_numbers_are_marked_stale_when_a_refresh_fails(stack_gone_after_first_round: str, tmp_path: Path) -> None:
    # 15 s of page time: the first round (answered) and the second, 10 s later (503).
    dom = chromium(tmp_path, "--dump-dom", f"{stack_gone_after_first_round}/board", virtual_ms=15_000)
    assert dom.returncode == 0, dom.stderr
    page = MarkedValues(dom.stdout)
    assert page.body.get("data-status") == "stale"
    assert section_statuses(dom.stdout) == {source: {"stale"} for source in SOURCES}
    assert page.values["active-users"] == ("3", "3")  # the last good value, under a STALE notice
    assert re.search(r"STALE: last updated \d\d:\d\d:\d\d \(\d+ s ago\); v1/kpi/summary: HTTP 503", dom.stdout)
    assert re.search(r"STALE: last updated [^<]*; v1/health/pipeline: HTTP 503", dom.stdout)


def test_api_errors_are_shown_instead_of_numbers(tmp_path: Path) -> None:
    app = FastAPI()  # the board alone: no KPI or health API behind it, every fetch fails
    app.include_router(create_board_router())
    with serving(app) as url:
        dom = chromium(tmp_path, "--dump-dom", f"{url}/board")
    assert dom.returncode == 0, dom.stderr
    page = MarkedValues(dom.stdout)
    assert page.body.get("data-status") == "error"
    assert {text for text, _ in page.values.values()} == {"—"}  # no number at all
    assert section_statuses(dom.stdout) == {source: {"error"} for source in SOURCES}
    assert "NO DATA: v1/kpi/summary: HTTP 404" in dom.stdout
    assert "NO DATA: v1/health/pipeline: HTTP 404" in dom.stdout


def test_the_board_asks_the_browser_for_a_token(fed_stack: FedStack, tmp_path: Path) -> None:
    """Without credentials: 401 with a Basic challenge (the browser's prompt), and the page
    is not served; a wrong token is refused the same way."""
    for auth in (None, ("board", "spk_viewer_wrong")):
        answer = httpx.get(f"{fed_stack.url}/board", auth=auth, timeout=60)
        assert answer.status_code == 401 and 'Basic realm="Skilltech Pulse"' in answer.headers["WWW-Authenticate"]
        assert "board-config" not in answer.text
    dom = chromium(tmp_path, "--dump-dom", f"{fed_stack.url}/board")  # headless: nobody answers the prompt
    assert 'data-kpi="active-users"' not in dom.stdout
