"""Turn a batch of Kafka records into ClickHouse columns and dead letters.

Pure functions, no I/O: the service feeds them records and writes what they return.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import ValidationError

from skillpulse.aggregator.json_rows import json_row
from skillpulse.aggregator.redaction import EPHEMERAL, KafkaRecord, Redactor, safe_field_path
from skillpulse.aggregator.replays import OffsetSpan
from skillpulse.contract import LoginRecord, ToolUseRecord, TrainingRecord, VoidRecord, event_record_adapter
from skillpulse.dead_letters import DeadLetter
from skillpulse.kafka.signing import RecordSigner, signature_of

_FROM_KAFKA = ("kafka_partition", "kafka_offset")
EVENT_COLUMNS = (
    "event_id", "type", "platform", "occurred_at", "received_at", "user_key", "organisation_id",
    "session_key", "login_method", "tool_id", "tool_category", "action", "feature", "duration_s",
    "training_id", "training_status", *_FROM_KAFKA,
)  # fmt: skip

# An event row is a list of values in EVENT_COLUMNS order, not a NamedTuple: building
# one per record would slow the aggregator's hottest loop. Read it by these positions;
# after them, at JSON_ROW, the record's JSON as it is inserted (`json_rows.json_row`).
EventRow = list[Any]
EVENT_ID, PLATFORM, RECEIVED_AT, PARTITION, OFFSET = (
    EVENT_COLUMNS.index(column) for column in ("event_id", "platform", "received_at", *_FROM_KAFKA))
JSON_ROW = len(EVENT_COLUMNS)


class Void(NamedTuple):
    """A row of `voided_events`: a platform withdrew one of its events."""

    platform: str
    voided_event_id: uuid.UUID
    void_event_id: uuid.UUID
    voided_at: datetime


VOID_COLUMNS = Void._fields


@dataclass
class Batch:
    events: list[EventRow] = field(default_factory=list)
    rejected: list[DeadLetter] = field(default_factory=list)
    voids: list[Void] = field(default_factory=list)
    spans: dict[int, OffsetSpan] = field(default_factory=dict)  # every record's, stored or not


def to_columns(rows: list[EventRow]) -> list[list[Any]]:
    """Row-major to column-major, in EVENT_COLUMNS order."""
    return [list(column) for column in zip(*rows, strict=True)][:JSON_ROW]


# Column -> attribute of the record; absent optional text becomes '' (no Nullable).
_SOURCE = {"login_method": "method", "session_key": "session_id", "training_status": "status"}
_NULLABLE = {"duration_s"}
_FROM_RECORD = tuple(
    (_SOURCE.get(column, column), column in _NULLABLE) for column in EVENT_COLUMNS if column not in _FROM_KAFKA
)


def _row(record: LoginRecord | ToolUseRecord | TrainingRecord, partition: int, offset: int, raw: bytes) -> EventRow:
    # The model's __dict__, not getattr: a field another event type has (tool_id on a
    # login) would go through pydantic's slow __getattr__ and an AttributeError.
    fields = record.__dict__
    row: EventRow = []
    for attribute, nullable in _FROM_RECORD:
        value = fields.get(attribute)
        row.append(value if value is not None or nullable else "")
    row += (partition, offset, json_row(raw, partition, offset))
    return row


def _unsigned(record: KafkaRecord, signer: RecordSigner) -> str:
    """Why the record's signature is refused ('' if it is valid)."""
    signature = signature_of(record.headers or ())
    if signature is None:
        return "unsigned_record"
    return "" if signer.verify(record.value or b"", signature) else "bad_signature"


def offset_spans(records: Sequence[KafkaRecord]) -> dict[int, OffsetSpan]:
    spans: dict[int, OffsetSpan] = {}
    for record in records:
        span = spans.get(record.partition)
        spans[record.partition] = OffsetSpan(record.offset, record.offset) if span is None else OffsetSpan(
            min(span.first, record.offset), max(span.last, record.offset))
    return spans


def build_batch(records: Sequence[KafkaRecord], redactor: Redactor = EPHEMERAL, *,
                platforms: Collection[str] | None = None, signer: RecordSigner | None = None) -> Batch:
    """Events, voids and dead letters of a batch of records. `platforms`: the known ones,
    a record of any other is a dead letter; `signer`: a record it did not sign is a dead
    letter, never replayable (None, for either: no check, for tests and tools)."""
    batch = Batch(spans=offset_spans(records))
    for record in records:
        if signer is not None and (refused := _unsigned(record, signer)):
            batch.rejected.append(redactor.letter(record, refused, "", may_replay=False))
            continue
        try:
            event = event_record_adapter.validate_json(record.value or b"")
        except ValidationError as exc:
            first = exc.errors(include_input=False, include_context=False)[0]
            reason = "invalid_json" if first["type"] == "json_invalid" else first["type"]
            batch.rejected.append(redactor.letter(record, reason, safe_field_path(first["loc"])))
            continue
        if platforms is not None and event.platform not in platforms:
            batch.rejected.append(redactor.letter(record, "unknown_platform", "platform"))
            continue
        if isinstance(event, VoidRecord):
            batch.voids.append(Void(event.platform, event.voided_event_id, event.event_id, event.occurred_at))
            continue
        batch.events.append(_row(event, record.partition, record.offset, record.value or b""))
    return batch
