"""The LRS-compatible statements resource (xAPI 1.0.3 Communication, part 2):
`POST /xapi/statements` (one statement or an array; 200 with their ids),
`PUT /xapi/statements?statementId=` (204) and `GET /xapi/about`. HTTP Basic with the
platform's LRS credentials; `X-Experience-API-Version` required on requests (not on
/about, as the spec asks) and sent on every response.

A request is all or nothing: one invalid statement refuses it (400) and nothing is
published. Mapped statements go through the Intake like every source; voids go to the
same topic for the aggregator to apply."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from skillpulse.api.openapi import INTAKE_ANSWERS, problems
from skillpulse.api.problems import (
    BodyRefused,
    PayloadTooLarge,
    UnsupportedMediaType,
    body_refused,
    problem,
    read_capped,
    refused,
)
from skillpulse.collector.intake import Intake, Overloaded
from skillpulse.collector.publisher import BrokerUnavailable
from skillpulse.config import XapiSettings
from skillpulse.sources.xapi import (
    VERSION,
    InvalidStatements,
    map_statements,
    parse_statements,
    publish_voids,
    validate_statements,
    version_supported,
)
from skillpulse.sources.xapi_auth import platform_of

logger = logging.getLogger("skillpulse.collector")

_VERSIONED = {"X-Experience-API-Version": VERSION}
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="skillpulse xAPI"'}


def _problem(status: int, reason: str, message: str, **headers: str) -> JSONResponse:
    """The intake routes' problem answer, with the version header xAPI puts on every response."""
    return problem(status, reason, message, **(_VERSIONED | headers))


def create_xapi_router(settings: XapiSettings, credential_hashes: dict[str, str], intake: Intake) -> APIRouter:
    router = APIRouter(prefix="/xapi", responses=problems(*INTAKE_ANSWERS))

    @router.get("/about")
    async def about() -> JSONResponse:
        # Open, and whatever the version header says (Communication 2.8): it names versions only.
        return JSONResponse({"version": [VERSION]}, headers=_VERSIONED)

    @router.post("/statements")
    async def post_statements(
        request: Request, authorization: Annotated[str | None, Header()] = None,
        version: Annotated[str | None, Header(alias="X-Experience-API-Version")] = None,
    ) -> Response:
        platform = platform_of(authorization, credential_hashes)
        if platform is None:
            return unauthenticated()
        if request.headers.get("content-type") is None:
            # A browser replays Basic credentials on a cross-site POST it may send without a
            # preflight: only a declared JSON body changes state, as on the other routes.
            return body_refused(intake, platform, UnsupportedMediaType(), **_VERSIONED)
        return await store(request, platform, version, statement_id=None)

    @router.put("/statements", status_code=204)
    async def put_statement(
        request: Request, statement_id: Annotated[str | None, Query(alias="statementId")] = None,
        authorization: Annotated[str | None, Header()] = None,
        version: Annotated[str | None, Header(alias="X-Experience-API-Version")] = None,
    ) -> Response:
        platform = platform_of(authorization, credential_hashes)
        if platform is None:  # before any look at the request: a stranger learns nothing of its shape
            return unauthenticated()
        if statement_id is None:
            return _problem(400, "missing_statement_id", "PUT /xapi/statements needs ?statementId=")
        return await store(request, platform, version, statement_id=statement_id)

    def unauthenticated() -> JSONResponse:
        intake.count_refused_request("", "invalid_lrs_credentials")
        return _problem(401, "invalid_lrs_credentials",
                        "HTTP Basic with the platform's LRS key and secret required", **_CHALLENGE)

    async def store(request: Request, platform: str, version: str | None, statement_id: str | None) -> Response:
        if not version_supported(version):
            intake.count_refused_request(platform, "unsupported_xapi_version")
            return _problem(400, "unsupported_xapi_version",
                            f"X-Experience-API-Version: {VERSION} (or any 1.0.x) required")
        try:
            # the collector's read timeout: one for every intake route
            body = await read_capped(request, settings.max_body_bytes, intake.settings.body_read_timeout_s)
        except PayloadTooLarge:
            intake.count_refused_request(platform, "body_too_large")
            return _problem(413, "body_too_large", f"request body over {settings.max_body_bytes} bytes")
        except BodyRefused as exc:
            return body_refused(intake, platform, exc, **_VERSIONED)
        received_at = datetime.now(UTC)
        try:
            items = parse_statements(body, max_statements=settings.max_statements)
            if statement_id is not None:
                items = [_with_id(items, statement_id)]
            mapped = map_statements(validate_statements(items), settings, received_at)
        except InvalidStatements as exc:
            intake.count_refused_request(platform, exc.reason)
            status = 413 if exc.reason == "too_many_statements" else 400
            return JSONResponse(exc.as_json(), status_code=status, headers=_VERSIONED)
        checked = intake.check(platform, mapped.events, received_at)
        if checked.rejected:  # the contract refuses what the xAPI model allowed: still all or nothing
            first = checked.rejected[0]
            return JSONResponse({"error": first.reason, "message": "a statement does not fit the event contract",
                                 "index": first.index, "errors": [vars(e) for e in first.errors]},
                                status_code=400, headers=_VERSIONED)
        try:
            await intake.publish(platform, [event for _, event in checked.valid], received_at)
            await publish_voids(intake, platform, mapped.voids, received_at)
        except (Overloaded, BrokerUnavailable) as exc:
            return refused(exc, "statements", **_VERSIONED)
        for verb, statements in mapped.ignored.items():
            intake.stats.count("ignored", platform, verb, statements)
        if statement_id is not None:
            return Response(status_code=204, headers=_VERSIONED)
        return JSONResponse(mapped.ids, headers=_VERSIONED)

    return router


def _with_id(items: list[Any], statement_id: str) -> Any:
    """PUT's one statement, with the query's id (which a given `id` must equal)."""
    if len(items) != 1 or not isinstance(items[0], dict):
        raise InvalidStatements("invalid_statement", "PUT takes one statement object")
    statement = dict(items[0])
    given = statement.setdefault("id", statement_id)
    if str(given).lower() != statement_id.lower():
        raise InvalidStatements("statement_id_mismatch", "the statement's id differs from statementId")
    return statement
