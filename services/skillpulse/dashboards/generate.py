"""Dashboards → the committed JSON files (a test regenerates them and fails on drift)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skillpulse.extras import needs_extra

# The builders import grafana-foundation-sdk; every dashboards module comes through here
# (the package imports this one first), so this is where its absence is told.
with needs_extra("dashboards", "`skillpulse dashboards`"):
    from skillpulse.dashboards.contract_kpis import contract_kpis
    from skillpulse.dashboards.pipeline_health import pipeline_health

# File name in dashboards/ → builder.
DASHBOARDS: dict[str, Callable[[], dict[str, Any]]] = {
    "contract-kpis.json": contract_kpis,
    "pipeline-health.json": pipeline_health,
}
_CHECKOUT = Path(__file__).resolve().parents[3]
# The repository's dashboards/ (what compose provisions) from a checkout; else ./dashboards.
REPOSITORY_DASHBOARDS = _CHECKOUT / "dashboards" if (_CHECKOUT / "docker-compose.yml").exists() else Path("dashboards")


def dashboard_json(model: dict[str, Any]) -> str:
    """Stable text: sorted keys, so a regeneration changes only what the code changed."""
    return json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_dashboards(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in DASHBOARDS.items():
        path = out_dir / name
        path.write_text(dashboard_json(build()), encoding="utf-8")
        written.append(path)
    return written
