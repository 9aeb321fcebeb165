"""What the OpenAPI document says of every route: the problem answers it can give, and the
bodies of the routes that read their JSON themselves (so that one bad event never costs
the others), which FastAPI cannot see.

Routes declare `responses=problems(...)` and `openapi_extra=json_body(...)`; the app's
`openapi` is `openapi_document(app)`, which moves the body schemas' definitions into
`components` where every `$ref` points."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, TypeAdapter

from skillpulse.contract import PlatformEvent

_REF_TEMPLATE = "#/components/schemas/{model}"


class Problem(BaseModel):
    """Every refusal: a stable reason for programs, a sentence for people (never the input)."""

    error: str
    message: str
    errors: list[dict[str, Any]] | None = None  # per field, when the request's fields are refused


_WHY = {
    400: "the body is not readable JSON, or the Host header is not served",
    401: "credentials missing or invalid",
    403: "these credentials may not do this",
    404: "no such resource",
    408: "the body did not arrive in time",
    413: "the body, or the number of events in it, is over the limit",
    415: "the body is not JSON",
    422: "the request is well-formed but refused (each reason is named)",
    429: "over a rate or concurrency budget: retry after Retry-After seconds",
    503: "the broker or the store cannot take it now: retry after Retry-After seconds",
}


# What a route that takes events may answer, and one that reads the store.
INTAKE_ANSWERS = (401, 403, 408, 413, 415, 422, 429, 503)
STORE_READ_ANSWERS = (422, 429, 503)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that may answer these statuses with a `Problem` (JSON, also
    on a route whose own answer is HTML)."""
    json = {"application/json": {"schema": {"$ref": _REF_TEMPLATE.format(model="Problem")}}}
    return {status: {"model": Problem, "description": _WHY[status], "content": json} for status in statuses}


def problem_or(model: type[BaseModel], description: str) -> dict[str, Any]:
    """A response that is either `model` (the route's own answer) or a `Problem`; `model`
    must also be some status's `"model"` so that its schema is in `components`."""
    schemas = [{"$ref": _REF_TEMPLATE.format(model=name)} for name in (model.__name__, "Problem")]
    return {"description": description, "content": {"application/json": {"schema": {"anyOf": schemas}}}}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra=` for a route that reads a required JSON body itself."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@cache
def event_schema() -> dict[str, Any]:
    """One event of the contract (its definitions under `$defs`, hoisted by `openapi_document`)."""
    return TypeAdapter(PlatformEvent).json_schema(ref_template=_REF_TEMPLATE)


def event_batch_schema(max_events: int) -> dict[str, Any]:
    """What `POST /v1/events` takes: one event, or an array of them."""
    event = event_schema()
    single = {key: value for key, value in event.items() if key != "$defs"}
    return {"oneOf": [single, {"type": "array", "items": single, "minItems": 1, "maxItems": max_events}],
            "$defs": event.get("$defs", {})}


def _hoist_definitions(node: Any, into: dict[str, Any]) -> None:
    if isinstance(node, dict):
        into.update(node.pop("$defs", {}))
        for value in node.values():
            _hoist_definitions(value, into)
    elif isinstance(node, list):
        for value in node:
            _hoist_definitions(value, into)


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, built once (FastAPI's own cache) with the hoisted schemas."""
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version, routes=app.routes)
        definitions: dict[str, Any] = {}
        _hoist_definitions(document.get("paths", {}), definitions)
        document.setdefault("components", {}).setdefault("schemas", {}).update(definitions)
        app.openapi_schema = document
    return app.openapi_schema
