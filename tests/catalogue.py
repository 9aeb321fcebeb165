"""Tool catalogue declarations for tests whose telemetry MC4 and MP2 should count: they
count what the catalogue declares made available (`kpi.tool_catalogue`), not first events."""

from __future__ import annotations

from typing import Any

from clickhouse_connect.driver.client import Client

from skillpulse.kpi.tool_catalogue import Declaration, declare


def declare_tools(store: Client, *entries: dict[str, Any]) -> None:
    """Each entry a `Declaration` (tools before their features)."""
    for entry in entries:
        declare(store, Declaration.model_validate(entry), "test operator")
