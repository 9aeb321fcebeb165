"""FastAPI's own refusals (an unreadable JSON body, a bad query parameter, an unknown path,
an HTTPException) in the API's problem shape, so a client reads one shape whatever
refused it, and the OpenAPI document describes it once. No input value is repeated."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from skillpulse.api.problems import problem


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Refused"


async def http_exception(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    status, headers = exc.status_code, dict(exc.headers or {})
    if isinstance(exc.detail, list):  # a route's own list of field errors (already without input)
        return JSONResponse({"error": "invalid_request", "message": "the request is refused (see errors)",
                             "errors": exc.detail}, status_code=status, headers=headers or None)
    if isinstance(exc.detail, dict) and {"error", "message"} <= exc.detail.keys():  # a route's own problem
        return problem(status, str(exc.detail["error"]), str(exc.detail["message"]), **headers)
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else _phrase(status)
    reason = _phrase(status).lower().replace(" ", "_").replace("-", "_")
    return problem(status, reason, message, **headers)


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: list[dict[str, Any]] = [
        {"type": error["type"], "path": ".".join(map(str, error["loc"])), "message": error["msg"]}
        for error in exc.errors()[:10]  # bounded: a body of many bad fields gets a short answer
    ]
    return JSONResponse({"error": "invalid_request", "message": "the request is refused (see errors)",
                         "errors": errors}, status_code=422)


def answer_in_problem_shape(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, http_exception)
    app.add_exception_handler(RequestValidationError, validation_error)
