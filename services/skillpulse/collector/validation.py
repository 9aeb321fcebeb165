"""Per-event validation of a request body: every event is judged on its own, so one bad
event never costs the others, and each rejection names its reason and field path."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, NamedTuple

from pydantic import ValidationError

from skillpulse.contract import LoginEvent, ToolUseEvent, TrainingEvent, platform_event_adapter
from skillpulse.errors import SkillpulseError

MAX_FIELDS = 64  # an event has a dozen fields: more is refused before the model sees it
MAX_ERRORS = 10  # reported per event: enough to fix a sender, bounded whatever it sent
_MAX_KEY = 64  # characters of an unknown key quoted in a path


class BatchTooLarge(SkillpulseError, ValueError):
    """More events in one request than the collector takes (413)."""

    reason: ClassVar[str] = "too_many_events"
    status: ClassVar[int] = 413


class InvalidBody(SkillpulseError, ValueError):
    """The body is not JSON (400)."""

    reason: ClassVar[str] = "invalid_json"
    status: ClassVar[int] = 400


class NoEvents(InvalidBody):
    """The body is JSON but holds no event: `[]` (422)."""

    reason: ClassVar[str] = "no_events"
    status: ClassVar[int] = 422


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
# Messages of pydantic that quote the input, replaced by ones that do not.
_QUIET_MESSAGES = {"union_tag_invalid": "type must be one of 'login', 'tool_use', 'training'"}
_CUSTOM_MESSAGES = {"value_error", "assertion_error"}  # a validator's own text: may quote what it checked


def _path(loc: tuple[int | str, ...]) -> str:
    # A key is the sender's text: cut, and made encodable (a lone surrogate would break the answer).
    parts = (part if isinstance(part, int) or len(part) <= _MAX_KEY else part[:_MAX_KEY] + "…" for part in loc)
    return ".".join(map(str, parts)).encode("utf-8", "replace").decode()


def field_errors(exc: ValidationError, *, own_messages: bool = True) -> tuple[FieldError, ...]:
    """At most MAX_ERRORS errors of a validation, with no input value in them. The contract's
    messages quote no input; another model's custom ones may (`own_messages=False`: replaced)."""
    # include_input=False: the input may hold a raw user_id.
    found = []
    for error in exc.errors(include_input=False, include_url=False)[:MAX_ERRORS]:
        loc = error["loc"]
        if own_messages and loc and loc[0] in _TAGS:  # the discriminated union puts the tag first
            loc = loc[1:]
        kind = error["type"]
        message = _QUIET_MESSAGES.get(kind, error["msg"])
        if not own_messages and kind in _CUSTOM_MESSAGES:
            message = "not a valid value for this field"
        found.append(FieldError(kind, _path(loc) or ("type" if kind.startswith("union_tag") else ""), message))
    return tuple(found)


def _event_id_of(item: Any) -> str | None:
    # Only a UUID is repeated back: any other text could be anything (a user id, say).
    value = item.get("event_id") if isinstance(item, dict) else None
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


class _Ambiguous(dict[str, Any]):
    """A JSON object that names a key twice (RFC 8259: what it means is unpredictable), or
    an event holding one at any depth; `path` is where."""

    path: str = ""


class _ObjectReader:
    """json's object_pairs_hook: dict() and a length compare keep the cost linear and in C;
    an object naming a key twice comes back as an `_Ambiguous` copy, and is remembered."""

    def __init__(self) -> None:
        self.ambiguous = False

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(pairs)
        if len(found) == len(pairs):
            return found
        self.ambiguous = True
        marked, seen = _Ambiguous(found), set()
        for key, _ in pairs:
            if key in seen:
                marked.path = _path((key,))
                break
            seen.add(key)
        return marked


class _Visit(NamedTuple):
    value: Any
    parent: int  # index of the enclosing visit in the walk, -1 for the event itself
    key: int | str


def _duplicate_in(item: Any) -> str | None:
    """The path of the first key named twice in `item`, at any depth. Iterative (no
    recursion limit) and linear in the size of `item`: each container is visited once and
    remembers only its parent, and the path is spelled out only for the one found."""
    walked: list[_Visit] = [_Visit(item, -1, "")]
    todo = [0]
    while todo:
        at = todo.pop()
        value = walked[at].value
        if isinstance(value, _Ambiguous):
            keys: list[int | str] = []
            while at > 0:
                keys.append(walked[at].key)
                at = walked[at].parent
            return "".join(f"{_path((key,))}." for key in reversed(keys)) + value.path
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in children:
            if isinstance(child, dict | list):
                todo.append(len(walked))
                walked.append(_Visit(child, at, key))
    return None


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")  # Python's json reads NaN and Infinity


class JsonValue(NamedTuple):
    """A body's JSON value; `ambiguous` when some object in it names a key twice (such an
    object is an `_Ambiguous` dict)."""

    value: Any
    ambiguous: bool


def read_json(body: bytes) -> JsonValue:
    """The JSON value of a body, or InvalidBody: not UTF-8, not JSON, NaN or Infinity, too deep."""
    reader = _ObjectReader()
    try:
        # JSON exchanged between systems is UTF-8 (RFC 8259 §8.1): json.loads(bytes) would
        # also take UTF-16 and UTF-32.
        value = json.loads(body.decode("utf-8"), object_pairs_hook=reader, parse_constant=_not_json)
    except UnicodeDecodeError:
        raise InvalidBody("body is not UTF-8 JSON") from None
    except ValueError as exc:
        raise InvalidBody(f"body is not JSON: {exc}") from None
    except RecursionError:  # nesting deeper than the parser goes
        raise InvalidBody("body is not JSON: nested too deeply") from None
    return JsonValue(value, reader.ambiguous)


def parse_body(body: bytes, *, max_events: int) -> list[Any]:
    """One event or an array of events, as JSON values (not yet validated). An event that
    names a key twice comes back marked, and `validate_items` rejects it (`duplicate_key`)."""
    parsed = read_json(body)
    items = parsed.value if isinstance(parsed.value, list) else [parsed.value]
    if not items:
        raise NoEvents("no event in the body: send one event object or an array of them")
    if len(items) > max_events:
        raise BatchTooLarge(f"{len(items)} events in one request; at most {max_events}")
    return [_marked(item) for item in items] if parsed.ambiguous else items


def _marked(item: Any) -> Any:
    # An event holding a duplicate deeper down is marked too (only walked when the hook saw one).
    if not isinstance(item, dict) or isinstance(item, _Ambiguous):
        return item
    path = _duplicate_in(item)
    if path is None:
        return item
    marked = _Ambiguous(item)
    marked.path = path
    return marked


def mapped_from(item: Any, event: dict[str, Any]) -> dict[str, Any]:
    """`event`, a source's mapping of `item`, marked as `item` is: a mapping that reads one of
    a duplicate key's values must not make the event look unambiguous (`duplicate_key`)."""
    if not isinstance(item, _Ambiguous):
        return event
    marked = _Ambiguous(event)
    marked.path = item.path
    return marked


def _refused_early(item: Any) -> FieldError | None:
    """What rejects an event before the model runs: a duplicate key, too many fields."""
    if isinstance(item, _Ambiguous):
        return FieldError("duplicate_key", item.path, "a key is named twice in this event; JSON leaves its meaning "
                                                      "undefined")
    if not isinstance(item, dict):
        return FieldError("not_an_object", "", "an event is a JSON object")
    if len(item) > MAX_FIELDS:
        return FieldError("too_many_fields", "", f"an event has at most {MAX_FIELDS} fields")
    return None


def validate_items(
    items: list[Any], *, now: datetime, max_future: timedelta, max_age: timedelta
) -> tuple[list[tuple[int, LoginEvent | ToolUseEvent | TrainingEvent]], list[Rejection]]:
    """Split platform events (JSON values in the contract's shape, from the events API or
    mapped by a source) into valid events and rejections, each judged on its own."""
    valid, rejected = [], []
    for index, item in enumerate(items):
        early = _refused_early(item)
        if early is not None:
            rejected.append(Rejection(index, _event_id_of(item), (early,)))
            continue
        try:
            event = platform_event_adapter.validate_python(item)
        except ValidationError as exc:
            rejected.append(Rejection(index, _event_id_of(item), field_errors(exc)))
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
