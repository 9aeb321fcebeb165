"""The contract's names: platforms, event types and their categories. Pydantic-free, so
that what only needs a name (a command's defaults, the settings) loads no model."""

from __future__ import annotations

from typing import Literal

SCHEMA_VERSION: Literal["v1"] = "v1"
PLATFORMS = ("skilltech.tools", "skilltech.tube", "skilltech.cafe")

EventType = Literal["login", "tool_use", "training"]
LoginMethod = Literal["password", "sso", "oauth", "other"]
ToolCategory = Literal["content_creation", "collaboration", "assessment", "communication", "video", "other"]
ToolAction = Literal["open", "create", "edit", "publish", "share", "other"]
TrainingStatus = Literal["enrolled", "started", "completed", "passed", "failed"]
