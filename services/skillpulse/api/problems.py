"""What every intake route shares: the capped body read, and the JSON problem answers
(the same shape and the same 503s, whichever source the events came from)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from skillpulse.collector.intake import Intake, Overloaded
from skillpulse.collector.publisher import BrokerUnavailable
from skillpulse.collector.validation import BatchTooLarge, InvalidBody
from skillpulse.errors import SkillpulseError


class PayloadTooLarge(SkillpulseError, ValueError):
    """The body is over the collector's limit (413)."""


async def read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def problem(status: int, reason: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": reason, "message": message}, status_code=status, headers=headers or None)


def refused(exc: Overloaded | BrokerUnavailable, what: str = "events", **headers: str) -> JSONResponse:
    """503 with Retry-After: nothing of the request was acknowledged; the client resends."""
    if isinstance(exc, Overloaded):
        return problem(503, "overloaded", "too much in flight; retry later", **{"Retry-After": "1"}, **headers)
    return problem(503, "broker_unavailable", f"{what} not accepted; retry later", **{"Retry-After": "5"}, **headers)


def unreadable(intake: Intake, platform: str, exc: BatchTooLarge | InvalidBody) -> JSONResponse:
    """413 or 400 for a body whose events cannot be read, counted as a refused request."""
    reason, status = ("too_many_events", 413) if isinstance(exc, BatchTooLarge) else ("invalid_json", 400)
    intake.count_refused_request(platform, reason)
    return problem(status, reason, str(exc))
