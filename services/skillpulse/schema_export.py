"""Export the event contract as JSON Schema files (`schemas/events/v1/`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from skillpulse.contract import (
    EventRecord,
    LoginEvent,
    PlatformEvent,
    ToolUseEvent,
    TrainingEvent,
)
from skillpulse.store.migrations import schemas_dir

SCHEMAS: dict[str, Any] = {
    "event.schema.json": PlatformEvent,  # what POST /v1/events takes (one item)
    "login.schema.json": LoginEvent,
    "tool_use.schema.json": ToolUseEvent,
    "training.schema.json": TrainingEvent,
    "kafka-record.schema.json": EventRecord,  # the value on skillpulse.events.v1
}


def render_schemas() -> dict[str, str]:
    rendered = {}
    for name, model in SCHEMAS.items():
        schema = TypeAdapter(model).json_schema()
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": f"https://skilltech.tools/schemas/events/v1/{name}", **schema}
        rendered[name] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return rendered


def write_schemas(out: Path | None = None) -> list[Path]:
    out = out or schemas_dir() / "events" / "v1"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        (out / name).write_text(text)
        written.append(out / name)
    return written
