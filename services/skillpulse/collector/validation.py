"""Per-event validation of a request body: every event is judged on its own, so one bad
event never costs the others, and each rejection names its reason and field path."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from skillpulse.contract import LoginEvent, ToolUseEvent, TrainingEvent, platform_event_adapter
from skillpulse.errors import SkillpulseError


class BatchTooLarge(SkillpulseError, ValueError):
    """More events in one request than the collector takes (413)."""


class InvalidBody(SkillpulseError, ValueError):
    """The body is not JSON (400)."""


@dataclass(frozen=True)
class FieldError:
    reason: str
    path: str
    message: str


@dataclass(frozen=True)
class Rejection:
    index: int
    event_id: str | None
    errors: tuple[FieldError, ...]

    @property
    def reason(self) -> str:
        return self.errors[0].reason

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "event_id": self.event_id, "status": "rejected",
                "errors": [vars(error) for error in self.errors]}


_TAGS = {"login", "tool_use", "training"}


def _field_errors(exc: ValidationError) -> tuple[FieldError, ...]:
    # include_input=False: the input may hold a raw user_id.
    found = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = error["loc"]
        if loc and loc[0] in _TAGS:  # the discriminated union puts the tag first
            loc = loc[1:]
        found.append(FieldError(error["type"], ".".join(map(str, loc)), error["msg"]))
    return tuple(found)


def _event_id_of(item: Any) -> str | None:
    value = item.get("event_id") if isinstance(item, dict) else None
    return value if isinstance(value, str) else None


def parse_body(body: bytes, *, max_events: int) -> list[Any]:
    """One event or an array of events, as JSON values (not yet validated)."""
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise InvalidBody(f"body is not JSON: {exc}") from None
    except RecursionError:  # nesting deeper than the parser goes
        raise InvalidBody("body is not JSON: nested too deeply") from None
    items = parsed if isinstance(parsed, list) else [parsed]
    if len(items) > max_events:
        raise BatchTooLarge(f"{len(items)} events in one request; at most {max_events}")
    return items


def validate_items(
    items: list[Any], *, now: datetime, max_future: timedelta, max_age: timedelta
) -> tuple[list[tuple[int, LoginEvent | ToolUseEvent | TrainingEvent]], list[Rejection]]:
    """Split platform events (JSON values in the contract's shape, from the events API or
    mapped by a source) into valid events and rejections, each judged on its own."""
    valid, rejected = [], []
    for index, item in enumerate(items):
        try:
            event = platform_event_adapter.validate_python(item)
        except ValidationError as exc:
            rejected.append(Rejection(index, _event_id_of(item), _field_errors(exc)))
            continue
        if event.occurred_at - now > max_future:
            message = f"occurred_at is more than {max_future} ahead of the collector's clock"
            rejected.append(Rejection(index, str(event.event_id),
                                      (FieldError("future_timestamp", "occurred_at", message),)))
            continue
        if now - event.occurred_at > max_age:
            message = f"occurred_at is older than the {max_age.days}-day retention of raw events"
            rejected.append(Rejection(index, str(event.event_id), (FieldError("too_old", "occurred_at", message),)))
            continue
        valid.append((index, event))
    return valid, rejected


def validate_body(
    body: bytes, *, max_events: int, now: datetime, max_future: timedelta, max_age: timedelta
) -> tuple[list[tuple[int, LoginEvent | ToolUseEvent | TrainingEvent]], list[Rejection]]:
    """Split a body (one event or an array of events) into valid events and rejections."""
    return validate_items(parse_body(body, max_events=max_events), now=now, max_future=max_future, max_age=max_age)
