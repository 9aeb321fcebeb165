"""Event contract v1: what platforms send, and what travels on Kafka.

Two shapes share every type-specific field:

* the **platform event** (HTTP body) carries the platform's own `user_id`;
* the **pseudonymous record** (Kafka value, `skillpulse.events.v1`) carries
  `user_key` instead, plus the source `platform` (taken from the API key, never from
  the body) and the collector's `received_at`.

Both are strict and forbid unknown fields, so a typo is an error, not a silent drop.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

SCHEMA_VERSION: Literal["v1"] = "v1"
PLATFORMS = ("skilltech.tools", "skilltech.tube", "skilltech.cafe")

EventType = Literal["login", "tool_use", "training"]
LoginMethod = Literal["password", "sso", "oauth", "other"]
ToolCategory = Literal["content_creation", "collaboration", "assessment", "communication", "video", "other"]
ToolAction = Literal["open", "create", "edit", "publish", "share", "other"]
TrainingStatus = Literal["enrolled", "started", "completed", "passed", "failed"]

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: Any) -> Any:
    # Strict mode would refuse JSON strings for datetimes in python-mode validation,
    # and lax mode would accept epoch numbers: insist on RFC 3339 text with an offset.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 timestamp with an offset, e.g. 2026-03-29T01:30:00+01:00")
    return datetime.fromisoformat(value.upper())


def _uuid(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a UUID string")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError("must be a UUID string") from None


EventId = Annotated[uuid.UUID, BeforeValidator(_uuid)]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
ShortText = Annotated[str, Field(min_length=1, max_length=256)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class _Common(_Strict):
    event_id: EventId = Field(description="Chosen by the sender; a resend reuses it.")
    occurred_at: Timestamp = Field(description="When it happened, RFC 3339 with an offset.")
    organisation_id: ShortText | None = None
    session_id: ShortText | None = None


class _LoginFields(_Common):
    type: Literal["login"]
    method: LoginMethod | None = None


class _ToolUseFields(_Common):
    type: Literal["tool_use"]
    tool_id: ShortText
    tool_category: ToolCategory
    action: ToolAction
    feature: ShortText | None = None
    duration_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


class _TrainingFields(_Common):
    type: Literal["training"]
    training_id: ShortText
    status: TrainingStatus
    tool_id: ShortText | None = None


class _FromPlatform(_Strict):
    user_id: ShortText = Field(description="The platform's own user id; never stored.")


class LoginEvent(_LoginFields, _FromPlatform):
    """A user connected to a platform (the B2 'connexion')."""


class ToolUseEvent(_ToolUseFields, _FromPlatform):
    """A user used a tool (or one feature of it)."""


class TrainingEvent(_TrainingFields, _FromPlatform):
    """A step of a user's training: enrolled, started, completed, passed or failed."""


PlatformEvent = Annotated[LoginEvent | ToolUseEvent | TrainingEvent, Field(discriminator="type")]


class _Pseudonymous(_Strict):
    schema_version: Literal["v1"] = SCHEMA_VERSION
    platform: ShortText = Field(description="Owner of the API key the event came with.")
    user_key: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="HMAC-SHA256(secret, platform NUL user_id), hex."
    )
    received_at: Timestamp


class LoginRecord(_LoginFields, _Pseudonymous):
    pass


class ToolUseRecord(_ToolUseFields, _Pseudonymous):
    pass


class TrainingRecord(_TrainingFields, _Pseudonymous):
    pass


class VoidRecord(_Pseudonymous):
    """A platform withdrew one of its events (an xAPI `voided` statement): the aggregator
    removes that event from `events` and every figure, and keeps it out if it comes later.
    `user_key` is the voiding actor's pseudonym (it only places the record on a partition)."""

    type: Literal["void"]
    event_id: EventId = Field(description="The voiding statement's own id; a resend is the same void.")
    occurred_at: Timestamp
    voided_event_id: EventId = Field(description="The withdrawn event, of the same platform.")


EventRecord = Annotated[LoginRecord | ToolUseRecord | TrainingRecord | VoidRecord, Field(discriminator="type")]

platform_event_adapter: TypeAdapter[LoginEvent | ToolUseEvent | TrainingEvent] = TypeAdapter(PlatformEvent)
event_record_adapter: TypeAdapter[LoginRecord | ToolUseRecord | TrainingRecord | VoidRecord] = TypeAdapter(
    EventRecord)

_RECORD_FOR: dict[type[BaseModel], type[LoginRecord | ToolUseRecord | TrainingRecord]] = {
    LoginEvent: LoginRecord, ToolUseEvent: ToolUseRecord, TrainingEvent: TrainingRecord}


def to_record(
    event: LoginEvent | ToolUseEvent | TrainingEvent, *, platform: str, user_key: str, received_at: datetime,
    session_key: str | None,
) -> LoginRecord | ToolUseRecord | TrainingRecord:
    """The pseudonymous Kafka record of a validated platform event (drops `user_id`)."""
    fields = event.model_dump(exclude={"user_id"})
    fields["session_id"] = session_key
    return _RECORD_FOR[type(event)](
        **fields, platform=platform, user_key=user_key, received_at=received_at
    )
