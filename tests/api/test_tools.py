"""`/v1/tools` on the real embedded store, behind the guards the stack includes them with
(viewer reads, operator declares and retires; Bearer and a JSON body for a change); hostile
input is a 4xx that echoes nothing, and writes nothing."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest_asyncio
from clickhouse_connect.driver.client import Client
from fastapi import Depends, FastAPI

from skillpulse.access import Access, Keyring
from skillpulse.api.access import AccessRefused, access_refused, require
from skillpulse.api.fastapi_errors import answer_in_problem_shape
from skillpulse.api.openapi import openapi_document
from skillpulse.api.tools import MAX_BODY_BYTES, create_tool_catalogue_router, create_tool_declaration_router
from skillpulse.kpi.tool_catalogue import current_entries

SLIDES = {"tool_id": "slides", "category": "content_creation", "available_from": "2026-02-01",
          "aliases": ["slides-v1"], "note": "released with the spring update"}


class Served(NamedTuple):
    client: httpx.AsyncClient
    viewer: dict[str, str]
    operator: dict[str, str]
    app: FastAPI


@pytest_asyncio.fixture
async def served(store: Client, tmp_path: Path) -> AsyncIterator[Served]:
    ring = Keyring(tmp_path / "keys.json")
    viewer, operator = ring.create(Access.VIEWER, label="board"), ring.create(Access.OPERATOR, label="manager")
    app = FastAPI()
    app.add_exception_handler(AccessRefused, access_refused)
    answer_in_problem_shape(app)
    for router, access in ((create_tool_catalogue_router(store), Access.VIEWER),
                           (create_tool_declaration_router(store), Access.OPERATOR)):
        app.include_router(router, dependencies=[Depends(require(ring, access))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield Served(client, {"Authorization": f"Bearer {viewer.token}"},
                     {"Authorization": f"Bearer {operator.token}"}, app)


async def test_an_operator_declares_corrects_and_retires_a_viewer_lists(served: Served, store: Client) -> None:
    client = served.client
    added = await client.post("/v1/tools/declare", json=SLIDES, headers=served.operator)
    assert added.status_code == 200, added.text
    assert added.json() | {"declared_at": "-"} == {
        "tool_id": "slides", "feature": "", "revision": 1, "action": "add", "category": "content_creation",
        "available_from": "2026-02-01", "retired_on": None, "aliases": ["slides-v1"], "declared_at": "-",
        "declared_by": "manager", "note": "released with the spring update"}
    feature = await client.post("/v1/tools/declare", json={"tool_id": "slides", "feature": "export",
                                                   "available_from": "2026-03-01"}, headers=served.operator)
    assert feature.status_code == 200 and feature.json()["category"] == "content_creation"  # its tool's
    retired = await client.post("/v1/tools/retire", json={"tool_id": "slides", "retired_on": "2026-09-01"},
                                headers=served.operator)
    assert retired.status_code == 200 and (retired.json()["revision"], retired.json()["action"]) == (2, "retire")
    listed = await client.get("/v1/tools", headers=served.viewer)
    assert listed.status_code == 200
    assert [(e["tool_id"], e["feature"], e["retired_on"]) for e in listed.json()["entries"]] == [
        ("slides", "", "2026-09-01"), ("slides", "export", None)]
    revisions = await client.get("/v1/tools", params={"history": "true", "tool_id": "slides"}, headers=served.viewer)
    assert [(e["feature"], e["revision"]) for e in revisions.json()["entries"]] == [("", 1), ("", 2), ("export", 1)]
    basic = "Basic " + base64.b64encode(b"board:" + served.viewer["Authorization"][7:].encode()).decode()
    assert (await client.get("/v1/tools", headers={"Authorization": basic})).status_code == 200  # the board's way


async def test_who_may_do_what(served: Served, store: Client) -> None:
    client = served.client
    assert (await client.get("/v1/tools")).status_code == 401
    assert (await client.post("/v1/tools/declare", json=SLIDES)).status_code == 401
    as_viewer = await client.post("/v1/tools/declare", json=SLIDES, headers=served.viewer)
    assert as_viewer.status_code == 403 and as_viewer.json()["error"] == "forbidden"
    retire_as_viewer = await client.post("/v1/tools/retire", json={"tool_id": "slides", "retired_on": "2026-09-01"},
                                         headers=served.viewer)
    assert retire_as_viewer.status_code == 403
    token = served.operator["Authorization"][7:]
    basic = {"Authorization": "Basic " + base64.b64encode(f"x:{token}".encode()).decode()}
    assert (await client.post("/v1/tools/declare", json=SLIDES, headers=basic)).status_code == 401  # Bearer only
    form = await client.post("/v1/tools/declare", content=b"tool_id=slides", headers=served.operator | {
        "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415
    assert current_entries(store) == []


async def test_hostile_input_is_a_4xx_that_echoes_nothing_and_writes_nothing(served: Served, store: Client) -> None:
    client, operator = served.client, served.operator
    marker = "MARKER-xyz"
    bad_bodies = [
        SLIDES | {"tool_id": "cаnva" + marker},  # a Cyrillic look-alike
        SLIDES | {"tool_id": marker + "\u202e"},  # a bidi control
        SLIDES | {"tool_id": marker * 100},  # over 256 characters
        SLIDES | {"category": marker},
        SLIDES | {"available_from": marker},
        SLIDES | {"available_from": "2200-01-01"},  # outside the store's Date
        SLIDES | {"retired_on": "2026-01-01"},  # before its release
        SLIDES | {"aliases": [marker] * 40},
        SLIDES | {"surprise": marker},
        {"tool_id": marker},
        [marker], marker, 12,
    ]
    for body in bad_bodies:
        answer = await client.post("/v1/tools/declare", json=body, headers=operator)
        assert answer.status_code == 422, (body, answer.status_code)
        assert marker not in answer.text and "cаnva" not in answer.text
    unreadable = await client.post("/v1/tools/declare", content=b"{not json" + marker.encode(),
                                   headers=operator | {"Content-Type": "application/json"})
    assert unreadable.status_code == 422 and marker not in unreadable.text
    huge = await client.post("/v1/tools/declare", content=b'{"note": "' + b"x" * MAX_BODY_BYTES + b'"}',
                             headers=operator | {"Content-Type": "application/json"})
    assert huge.status_code == 413
    refused = await client.post("/v1/tools/declare", headers=operator,
                                json={"tool_id": "ghost", "feature": "x", "available_from": "2026-01-01"})
    assert refused.status_code == 422 and refused.json()["error"] == "catalogue_refused"
    unknown = await client.post("/v1/tools/retire", json={"tool_id": "ghost", "retired_on": "2026-01-01"},
                                headers=operator)
    assert unknown.status_code == 422 and "ghost" not in unknown.text
    for query in ("x" * 300, "a\x00b", "cаnva"):  # too long, a NUL, a look-alike: refused before the store
        answer = await client.get("/v1/tools", params={"tool_id": query}, headers=served.viewer)
        assert answer.status_code == 422 and query not in answer.text, query
    folded = await client.get("/v1/tools", params={"tool_id": " ｓｌｉｄｅｓ "}, headers=served.viewer)
    assert folded.status_code == 200  # NFKC and trimmed, as a declaration's id
    assert current_entries(store) == []


def test_the_routes_are_documented(served: Served) -> None:
    document = openapi_document(served.app)
    post = document["paths"]["/v1/tools/declare"]["post"]
    assert {"200", "413", "422"} <= set(post["responses"])
    assert post["requestBody"]["content"]["application/json"]["schema"]["properties"]["tool_id"]["pattern"]
    assert list(document["paths"]["/v1/tools"]) == ["get"] and "post" in document["paths"]["/v1/tools/retire"]
