"""Event contract v1: what platforms send, and what travels on Kafka.

Two shapes share every type-specific field:

* the **platform event** (HTTP body) carries the platform's own `user_id`;
* the **pseudonymous record** (Kafka value, `skillpulse.events.v1`) carries
  `user_key` instead, plus the source `platform` (taken from the API key, never from
  the body) and the collector's `received_at`.

Both are strict and forbid unknown fields, so a typo is an error, not a silent drop.

The names (`vocabulary`) load with this package; the pydantic types (`models`) when one
is first asked for, so that a command which needs only a platform's name builds no model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skillpulse.contract.vocabulary import (
    PLATFORMS,
    SCHEMA_VERSION,
    EventType,
    LoginMethod,
    ToolAction,
    ToolCategory,
    TrainingStatus,
)
from skillpulse.lazy_exports import exported_from

if TYPE_CHECKING:
    from skillpulse.contract.models import (
        ALL_ORGANISATIONS,
        CATALOGUE_ID_PATTERN,
        CONTROL_FREE_PATTERN,
        IDENTIFIER_PATTERN,
        MAX_DURATION_S,
        MAX_ID_LENGTH,
        STORE_EARLIEST,
        STORE_LATEST,
        STORE_RANGE_MESSAGE,
        CatalogueId,
        EventId,
        EventRecord,
        Identifier,
        LoginEvent,
        LoginRecord,
        OrganisationId,
        PlatformEvent,
        Pseudonym,
        Timestamp,
        ToolUseEvent,
        ToolUseRecord,
        TrainingEvent,
        TrainingRecord,
        UserId,
        VoidRecord,
        catalogue_id,
        event_record_adapter,
        identifier,
        in_store_range,
        opaque_id,
        platform_event_adapter,
        to_record,
    )

__all__ = [
    "SCHEMA_VERSION", "PLATFORMS", "EventType", "LoginMethod", "ToolCategory", "ToolAction", "TrainingStatus",
    "ALL_ORGANISATIONS", "catalogue_id", "CATALOGUE_ID_PATTERN", "CatalogueId", "CONTROL_FREE_PATTERN",
    "event_record_adapter", "EventId", "EventRecord", "identifier", "Identifier", "IDENTIFIER_PATTERN",
    "in_store_range", "LoginEvent", "LoginRecord", "MAX_DURATION_S", "MAX_ID_LENGTH", "opaque_id", "OrganisationId",
    "platform_event_adapter", "PlatformEvent", "Pseudonym", "STORE_EARLIEST", "STORE_LATEST", "STORE_RANGE_MESSAGE",
    "Timestamp", "to_record", "ToolUseEvent", "ToolUseRecord", "TrainingEvent", "TrainingRecord", "UserId",
    "VoidRecord",
]


__getattr__ = exported_from(__name__, "skillpulse.contract.models")
