"""`skillpulse dashboards push` against a small fake Grafana HTTP API that records what it
is sent (the real Grafana API paths and answers)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from skillpulse.cli import main
from skillpulse.dashboards.clickhouse_query import DATASOURCE_UID
from skillpulse.dashboards.push import ClickHouseConnection, PushError, push

TOKEN = "glsa_test_token"
Recorded = tuple[str, str, Any]


class FakeGrafana:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.datasources: dict[str, dict[str, Any]] = {}
        self.folders: dict[str, dict[str, Any]] = {}
        self.dashboards: dict[str, dict[str, Any]] = {}
        self.app = FastAPI()
        self.app.middleware("http")(self._record_and_authorise)
        self._routes()

    async def _record_and_authorise(self, request: Request, call_next: Any) -> Any:
        body = await request.body()
        self.requests.append((request.method, request.url.path, (await request.json()) if body else None))
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"message": "invalid API key"}, status_code=401)
        return await call_next(request)

    def _routes(self) -> None:
        app, missing = self.app, JSONResponse({"message": "not found"}, status_code=404)

        @app.get("/api/datasources/uid/{uid}")
        def get_datasource(uid: str) -> Any:
            return self.datasources.get(uid, missing)

        @app.post("/api/datasources")
        async def create_datasource(request: Request) -> Any:
            model = await request.json()
            self.datasources[model["uid"]] = model
            return {"message": "Datasource added", "datasource": model}

        @app.put("/api/datasources/uid/{uid}")
        async def update_datasource(uid: str, request: Request) -> Any:
            self.datasources[uid] = await request.json()
            return {"message": "Datasource updated"}

        @app.get("/api/folders/{uid}")
        def get_folder(uid: str) -> Any:
            return self.folders.get(uid, missing)

        @app.post("/api/folders")
        async def create_folder(request: Request) -> Any:
            folder = await request.json()
            self.folders[folder["uid"]] = folder
            return folder

        @app.post("/api/dashboards/db")
        async def save_dashboard(request: Request) -> Any:
            saved = await request.json()
            uid = saved["dashboard"]["uid"]
            if uid in self.dashboards and not saved.get("overwrite"):
                return JSONResponse({"message": "version-mismatch"}, status_code=412)
            self.dashboards[uid] = saved
            return {"status": "success", "uid": uid, "url": f"/d/{uid}/x", "version": 1}


@pytest.fixture
def grafana() -> Iterator[tuple[FakeGrafana, str]]:
    fake = FakeGrafana()
    server = uvicorn.Server(uvicorn.Config(fake.app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield fake, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


CONNECTION = ClickHouseConnection(url="http://clickhouse:8123", user="grafana", password="s3cret")


def test_push_creates_the_datasource_folder_and_both_dashboards_then_repeats_itself(
        grafana: tuple[FakeGrafana, str]) -> None:
    fake, url = grafana
    first = push(url, TOKEN, CONNECTION)
    sent_first = list(fake.requests)
    assert first.datasource == "created" and first.folder == "created"
    assert first.dashboards == ["/d/skillpulse-contract-kpis/x", "/d/skillpulse-pipeline-health/x"]
    datasource = fake.datasources[DATASOURCE_UID]
    assert datasource["type"] == "grafana-clickhouse-datasource"
    assert {key: datasource["jsonData"][key] for key in ("host", "port", "protocol", "username")} == {
        "host": "clickhouse", "port": 8123, "protocol": "http", "username": "grafana"}
    assert datasource["secureJsonData"] == {"password": "s3cret"}
    assert sorted(fake.dashboards) == ["skillpulse-contract-kpis", "skillpulse-pipeline-health"]
    assert all(saved["overwrite"] and saved["folderUid"] == "skillpulse" for saved in fake.dashboards.values())
    state = (dict(fake.datasources), dict(fake.folders), dict(fake.dashboards))

    fake.requests.clear()
    second = push(url, TOKEN, CONNECTION)
    assert second.datasource == "updated" and second.folder == "exists"
    assert (fake.datasources, fake.folders, fake.dashboards) == state  # nothing changed
    posted = [(method, path, body) for method, path, body in sent_first if body is not None]
    resent = [(method, path, body) for method, path, body in fake.requests if body is not None]
    # The same data source and dashboards, byte for byte; the data source now by update.
    assert [body for _, _, body in resent] == [body for _, path, body in posted if path != "/api/folders"]
    assert [(m, p) for m, p, _ in resent] == [("PUT", f"/api/datasources/uid/{DATASOURCE_UID}"),
                                              ("POST", "/api/dashboards/db"), ("POST", "/api/dashboards/db")]


def test_a_provisioned_datasource_is_left_alone(grafana: tuple[FakeGrafana, str]) -> None:
    fake, url = grafana
    fake.datasources[DATASOURCE_UID] = {"uid": DATASOURCE_UID, "readOnly": True}
    assert push(url, TOKEN, CONNECTION).datasource == "provisioned (left as is)"
    assert fake.datasources[DATASOURCE_UID] == {"uid": DATASOURCE_UID, "readOnly": True}
    assert not any(method == "PUT" for method, _, _ in fake.requests)


def test_a_bad_token_is_a_clear_error(grafana: tuple[FakeGrafana, str]) -> None:
    fake, url = grafana
    with pytest.raises(PushError, match="refused the token"):
        push(url, "wrong", CONNECTION)
    result = CliRunner().invoke(main, ["dashboards", "push", "--grafana-url", url, "--token", "wrong"])
    assert result.exit_code == 1
    assert "refused the token (401 Unauthorized)" in result.output
    assert not fake.dashboards and not fake.datasources


def test_cli_push_prints_where_the_dashboards_are(grafana: tuple[FakeGrafana, str]) -> None:
    _, url = grafana
    result = CliRunner().invoke(main, ["dashboards", "push", "--grafana-url", url, "--token", TOKEN,
                                       "--clickhouse-password", "s3cret"])
    assert result.exit_code == 0, result.output
    assert f"dashboard {url}/d/skillpulse-contract-kpis/x" in result.output


def test_unreachable_grafana_is_a_clear_error() -> None:
    with pytest.raises(PushError, match="cannot reach Grafana"):
        push("http://127.0.0.1:9", TOKEN, CONNECTION)


def test_a_push_without_a_password_leaves_the_stored_one_alone() -> None:
    from skillpulse.dashboards.push import datasource_model

    without = datasource_model(ClickHouseConnection(url="http://clickhouse:8123", user="grafana"))
    assert "secureJsonData" not in without
    assert datasource_model(CONNECTION)["secureJsonData"] == {"password": "s3cret"}
