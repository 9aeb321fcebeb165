"""Typed builders of the contract's platform events, and their wire form.

Each builder returns the contract's own model (`skillpulse.contract`), so an event the
collector would refuse for its shape fails here, at the call, with pydantic's message.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from skillpulse.contract import (
    LoginEvent,
    LoginMethod,
    ToolAction,
    ToolCategory,
    ToolUseEvent,
    TrainingEvent,
    TrainingStatus,
)

PlatformEvent = LoginEvent | ToolUseEvent | TrainingEvent
# What a client sends: a built event, or a JSON object in the contract's shape that the
# collector judges (`skillpulse ingest` forwards a file's lines as they are).
Sendable = PlatformEvent | Mapping[str, Any]


def _common(user_id: str, occurred_at: datetime | None, event_id: uuid.UUID | str | None,
            organisation_id: str | None, session_id: str | None) -> dict[str, Any]:
    return {"user_id": user_id, "occurred_at": occurred_at or datetime.now(UTC),
            "event_id": event_id if event_id is not None else uuid.uuid4(),
            "organisation_id": organisation_id, "session_id": session_id}


def login(user_id: str, *, occurred_at: datetime | None = None, method: LoginMethod | None = None,
          event_id: uuid.UUID | str | None = None, organisation_id: str | None = None,
          session_id: str | None = None) -> LoginEvent:
    """A user connected (B2). `occurred_at` must carry an offset (default: now, UTC);
    `event_id` defaults to a new UUID4: keep it to resend the same event."""
    return LoginEvent.model_validate(
        {"type": "login", "method": method, **_common(user_id, occurred_at, event_id, organisation_id, session_id)})


def tool_use(user_id: str, *, tool_id: str, tool_category: ToolCategory, action: ToolAction,
             occurred_at: datetime | None = None, feature: str | None = None, duration_s: float | None = None,
             event_id: uuid.UUID | str | None = None, organisation_id: str | None = None,
             session_id: str | None = None) -> ToolUseEvent:
    """A user used a tool, or one feature of it."""
    return ToolUseEvent.model_validate(
        {"type": "tool_use", "tool_id": tool_id, "tool_category": tool_category, "action": action,
         "feature": feature, "duration_s": duration_s,
         **_common(user_id, occurred_at, event_id, organisation_id, session_id)})


def training(user_id: str, *, training_id: str, status: TrainingStatus, occurred_at: datetime | None = None,
             tool_id: str | None = None, event_id: uuid.UUID | str | None = None,
             organisation_id: str | None = None, session_id: str | None = None) -> TrainingEvent:
    """A step of a user's training: enrolled, started, completed, passed or failed."""
    return TrainingEvent.model_validate(
        {"type": "training", "training_id": training_id, "status": status, "tool_id": tool_id,
         **_common(user_id, occurred_at, event_id, organisation_id, session_id)})


def encode(event: Sendable) -> bytes:
    """The event as one JSON object (UTF-8), as it goes into a request body and the spool."""
    if isinstance(event, LoginEvent | ToolUseEvent | TrainingEvent):
        return event.model_dump_json(exclude_none=True).encode()
    return _JSON.encode(event).encode()


# One encoder for every call (json.dumps with options builds a new one each time). default=dict:
# a Mapping that is not a dict; any other JSON value goes as it is (the collector judges it).
_JSON = json.JSONEncoder(default=dict, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
