"""Turn a batch of Kafka records into ClickHouse columns and dead letters.

Pure functions, no I/O: the service feeds them records and writes what they return.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError

from skillpulse.contract import LoginRecord, ToolUseRecord, TrainingRecord, event_record_adapter

MAX_DEAD_PAYLOAD = 16 * 1024

EVENT_COLUMNS = (
    "event_id", "type", "platform", "occurred_at", "received_at", "user_key", "organisation_id",
    "session_key", "login_method", "tool_id", "tool_category", "action", "feature", "duration_s",
    "training_id", "training_status", "kafka_partition", "kafka_offset",
)  # fmt: skip

REJECTED_COLUMNS = (
    "stage", "reason", "field_path", "platform", "event_id", "topic", "kafka_partition", "kafka_offset",
    "payload",
)  # fmt: skip


class KafkaRecord(Protocol):
    topic: str
    partition: int
    offset: int
    value: bytes | None


@dataclass
class Batch:
    events: list[list[Any]] = field(default_factory=list)
    rejected: list[list[Any]] = field(default_factory=list)

    def columns(self) -> list[list[Any]]:
        return [list(column) for column in zip(*self.events, strict=True)] if self.events else []


# Column -> attribute of the record; absent optional text becomes '' (no Nullable).
_SOURCE = {"login_method": "method", "session_key": "session_id", "training_status": "status"}
_NULLABLE = {"duration_s"}
_FROM_RECORD = tuple(
    (_SOURCE.get(column, column), column in _NULLABLE) for column in EVENT_COLUMNS[:-2]
)


def _row(record: LoginRecord | ToolUseRecord | TrainingRecord, partition: int, offset: int) -> list[Any]:
    row: list[Any] = []
    for attribute, nullable in _FROM_RECORD:
        value = getattr(record, attribute, None)
        row.append(value if value is not None or nullable else "")
    row += (partition, offset)
    return row


def _scrubbed_payload(value: bytes | None) -> tuple[str, str, str]:
    """(payload, platform, event_id) of a bad record, without any raw `user_id`."""
    text = (value or b"").decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        return text[:MAX_DEAD_PAYLOAD], "", ""
    if not isinstance(parsed, dict):
        return text[:MAX_DEAD_PAYLOAD], "", ""
    parsed.pop("user_id", None)  # schema drift must not leak an identifier
    platform, event_id = parsed.get("platform"), parsed.get("event_id")
    return (
        json.dumps(parsed, ensure_ascii=False)[:MAX_DEAD_PAYLOAD],
        platform if isinstance(platform, str) else "",
        event_id if isinstance(event_id, str) else "",
    )


def rejection(record: KafkaRecord, reason: str, field_path: str) -> list[Any]:
    payload, platform, event_id = _scrubbed_payload(record.value)
    return ["aggregator", reason, field_path, platform, event_id, record.topic, record.partition, record.offset, payload]


def build_batch(records: list[KafkaRecord] | tuple[KafkaRecord, ...]) -> Batch:
    batch = Batch()
    for record in records:
        try:
            event = event_record_adapter.validate_json(record.value or b"")
        except ValidationError as exc:
            first = exc.errors(include_input=False)[0]
            reason = "invalid_json" if first["type"] == "json_invalid" else first["type"]
            path = ".".join(str(part) for part in first["loc"])
            batch.rejected.append(rejection(record, reason, path))
            continue
        batch.events.append(_row(event, record.partition, record.offset))
    return batch
