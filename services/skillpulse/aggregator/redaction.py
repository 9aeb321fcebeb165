"""What a dead letter keeps of a record the aggregator could not store: only the contract's
fields whose value has the expected shape, and a keyed hash of the whole raw value.

A record that fails is, by definition, not what the collector writes: it can hold a raw
user id under any key, at any depth, as a key name, in any free-text value. So nothing is
removed from it; the few fields known to be safe are copied out of it, and the rest is
kept only as a count (`dropped_keys`) and inside the HMAC (`payload_hmac`), which lets
identical letters be matched without keeping them.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, get_args

import pydantic_core
from pydantic import TypeAdapter, ValidationError

from skillpulse.contract import LoginMethod, Timestamp, ToolAction, ToolCategory, TrainingStatus, event_record_adapter
from skillpulse.credentials import KeyedDigest, derived_key
from skillpulse.dead_letters import DeadLetter

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")  # HMAC-SHA256 hex: user_key, and the collector's session key
# A platform name is a DNS-like label chosen by the operator (skilltech.tools).
_PLATFORM = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?){1,3}$")
# Free-text ids (tool, training, feature, organisation) of things, not people: no `@`
# (e-mail, mailto: IRIs), no space (names), no `?`/`=` (IRIs carrying a query).
_THING_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,255}$")
_MAX_DURATION_S = 7 * 24 * 3600
_timestamp: TypeAdapter[Any] = TypeAdapter(Timestamp)


def _is_timestamp(value: Any) -> bool:
    try:
        _timestamp.validate_python(value)
    except ValidationError:
        return False
    return isinstance(value, str)


def _one_of(*choices: str) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and value in choices


def _matches(pattern: re.Pattern[str]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and pattern.match(value) is not None


def _is_duration(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            and 0 <= value <= _MAX_DURATION_S)


def _is_platform(value: Any) -> bool:
    return isinstance(value, str) and _PLATFORM.match(value) is not None and "--" not in value


# Every field of a Kafka record (any type), and the shape its value must have to be kept.
SAFE_FIELDS: dict[str, Callable[[Any], bool]] = {
    "schema_version": _one_of("v1"),
    "type": _one_of("login", "tool_use", "training", "void"),
    "event_id": _matches(_UUID),
    "voided_event_id": _matches(_UUID),
    "platform": _is_platform,
    "occurred_at": _is_timestamp,
    "received_at": _is_timestamp,
    "user_key": _matches(_PSEUDONYM),
    "session_id": _matches(_PSEUDONYM),
    "organisation_id": _matches(_THING_ID),
    "method": _one_of(*get_args(LoginMethod)),
    "tool_id": _matches(_THING_ID),
    "tool_category": _one_of(*get_args(ToolCategory)),
    "action": _one_of(*get_args(ToolAction)),
    "feature": _matches(_THING_ID),
    "duration_s": _is_duration,
    "training_id": _matches(_THING_ID),
    "status": _one_of(*get_args(TrainingStatus)),
}


class KafkaRecord(Protocol):
    topic: str
    partition: int
    offset: int
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


class KeptFields(NamedTuple):
    """What survives of a record: the safe fields, how many keys were left out, and
    whether the safe fields are the whole record (then they may be replayed)."""

    fields: dict[str, Any]
    dropped_keys: int
    replayable: bool


def _parse(value: bytes) -> tuple[Any, bool]:
    """The JSON value (None if none) and whether it was read whole. A truncated record
    still gives the fields before the cut; bad UTF-8 is replaced, never kept."""
    text = value.decode("utf-8", errors="replace")
    try:
        return pydantic_core.from_json(text), True
    except ValueError:
        pass
    try:  # jiter: depth-limited, so 100,000 nested `[` is a ValueError, not a RecursionError
        return pydantic_core.from_json(text, allow_partial=True), False
    except ValueError:
        return None, False


def kept_fields(value: bytes) -> KeptFields:
    parsed, whole = _parse(value)
    if not isinstance(parsed, dict):
        return KeptFields({}, 0, False)
    # null is kept: it holds nothing, and the collector writes it for absent optional fields.
    fields = {key: item for key, item in parsed.items()
              if key in SAFE_FIELDS and (item is None or SAFE_FIELDS[key](item))}
    known_dropped = any(key in SAFE_FIELDS and key not in fields for key in parsed)
    replayable = whole and not known_dropped and _is_event(fields)
    return KeptFields(fields, len(parsed) - len(fields), replayable)


def _is_event(fields: dict[str, Any]) -> bool:
    try:
        event_record_adapter.validate_python(fields)
    except ValidationError:
        return False
    return True


def safe_field_path(loc: tuple[int | str, ...]) -> str:
    """A validation error's location, its unknown key names replaced: a key can be an id."""
    return ".".join(str(part) if isinstance(part, int) or part in _PATH_NAMES else "?" for part in loc)


# The contract's names: its fields, its type tags, and the platforms' `user_id` (a record
# carrying one is the drift an operator most needs to see; its value is never kept).
_PATH_NAMES = frozenset({*SAFE_FIELDS, "login", "tool_use", "training", "void", "user_id"})


def payload_key(secret: bytes) -> bytes:
    """The HMAC key of dead-letter payloads, derived from the pseudonym secret."""
    return derived_key(secret, b"skillpulse dead-letter payload v1")


class Redactor:
    """Builds dead letters: where the record was, why it failed, what of it is safe."""

    def __init__(self, key: bytes) -> None:
        self._digest = KeyedDigest(key, "dead-letter")

    def payload_hmac(self, value: bytes) -> str:
        return self._digest.hexdigest(value)

    def letter(self, record: KafkaRecord, reason: str, field_path: str, *, may_replay: bool = True) -> DeadLetter:
        """`may_replay=False`: never replayable, whatever it holds (a forged record must not
        come back signed by the replay)."""
        value = record.value or b""
        kept = kept_fields(value)
        fields = kept.fields
        received_at = fields.get("received_at")
        return DeadLetter(
            stage="aggregator", reason=reason, field_path=field_path, platform=fields.get("platform") or "",
            event_id=fields.get("event_id") or "",
            received_at=None if received_at is None else _timestamp.validate_python(received_at),
            topic=record.topic, kafka_partition=record.partition,
            kafka_offset=record.offset, payload=json.dumps(fields, ensure_ascii=False) if fields else "",
            payload_hmac=self.payload_hmac(value), payload_bytes=len(value), dropped_keys=kept.dropped_keys,
            replayable=kept.replayable and may_replay)

    def __repr__(self) -> str:  # never print the key
        return "Redactor(<key>)"


# For callers that store nothing they must match later (tests, tools): a key of this process.
EPHEMERAL = Redactor(secrets.token_bytes(32))
