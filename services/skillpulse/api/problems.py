"""What every intake route shares: the capped body read, and the JSON problem answers
(the same shape and the same 503s, whichever source the events came from)."""

from __future__ import annotations

import asyncio
from email.message import Message
from typing import TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from skillpulse.collector.intake import Intake, Overloaded, RateLimited
from skillpulse.collector.publisher import BrokerUnavailable
from skillpulse.collector.validation import BatchTooLarge, InvalidBody
from skillpulse.errors import SkillpulseError


class PayloadTooLarge(SkillpulseError, ValueError):
    """The body is over the collector's limit (413)."""


class BodyRefused(SkillpulseError, ValueError):
    """A body refused before a byte of it is parsed: its status, reason and message."""

    status: int
    reason: str
    message: str

    def __init__(self) -> None:
        super().__init__(self.message)


class BodyReadTimeout(BodyRefused):
    status, reason, message = 408, "body_read_timeout", "the request body was not received in time"


class UnsupportedMediaType(BodyRefused):
    status, reason = 415, "unsupported_media_type"
    message = "Content-Type: application/json (UTF-8) required"


def check_json_media_type(content_type: str | None) -> None:
    """UnsupportedMediaType unless the body is declared JSON (`application/json` or a
    `+json` type, as xAPI's clients send) in UTF-8; no Content-Type is read as JSON."""
    if content_type is None:
        return
    from skillpulse.api.access import is_json  # access answers with `problem`: no load-time cycle

    message = Message()
    message["content-type"] = content_type
    charset = str(message.get_param("charset") or "utf-8").lower()
    if not is_json(content_type) or charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType


async def read_capped(request: Request, limit: int, timeout_s: float) -> bytes:
    """The body of a JSON request, whole within `timeout_s` (BodyReadTimeout) and at most
    `limit` bytes (PayloadTooLarge); UnsupportedMediaType, before reading, for another type."""
    check_json_media_type(request.headers.get("content-type"))
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge
                chunks.append(chunk)
    except TimeoutError:
        raise BodyReadTimeout from None
    return b"".join(chunks)


Model = TypeVar("Model", bound=BaseModel)
MAX_ERRORS_SHOWN = 10


async def read_model(request: Request, model: type[Model], *, limit: int, timeout_s: float,
                     what: str) -> Model | JSONResponse:
    """A state-changing route's JSON body as `model`, or the problem answer refusing it:
    413, 408, 415, or 422 naming where and why (at most ten errors), never a value sent."""
    try:
        body = await read_capped(request, limit, timeout_s)
    except PayloadTooLarge:
        return problem(413, "body_too_large", f"at most {limit} bytes per {what}")
    except BodyRefused as exc:
        return problem(exc.status, exc.reason, exc.message)
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = [{"loc": list(error["loc"]), "msg": error["msg"]} for error in exc.errors()[:MAX_ERRORS_SHOWN]]
        return JSONResponse({"error": f"invalid_{what}", "message": f"the {what} does not validate",
                             "errors": errors}, status_code=422)


def problem(status: int, reason: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": reason, "message": message}, status_code=status, headers=headers or None)


def body_refused(intake: Intake, platform: str, exc: BodyRefused, **headers: str) -> JSONResponse:
    """408 or 415 for a body not read, counted as a refused request; the connection is
    closed (what is left of the body is never read)."""
    intake.count_refused_request(platform, exc.reason)
    return problem(exc.status, exc.reason, exc.message, **headers, **{"Connection": "close"})


def refused(exc: Overloaded | BrokerUnavailable, what: str = "events", **headers: str) -> JSONResponse:
    """429 (this platform's rate) or 503 with Retry-After: nothing of the request was
    acknowledged; the client resends."""
    if isinstance(exc, RateLimited):
        return problem(429, "rate_limited", f"this platform sends {what} too fast; retry later",
                       **{"Retry-After": str(exc.retry_after_s)}, **headers)
    if isinstance(exc, Overloaded):
        return problem(503, "overloaded", "too much in flight; retry later", **{"Retry-After": "1"}, **headers)
    return problem(503, "broker_unavailable", f"{what} not accepted; retry later", **{"Retry-After": "5"}, **headers)


def unreadable(intake: Intake, platform: str, exc: BatchTooLarge | InvalidBody) -> JSONResponse:
    """The exception's own status (413 too many, 422 none, 400 unreadable) and reason, counted
    as a refused request."""
    reason, status = exc.reason, exc.status
    intake.count_refused_request(platform, reason)
    return problem(status, reason, str(exc))
