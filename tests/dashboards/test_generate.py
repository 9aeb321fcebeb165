"""The committed dashboards/*.json are what the code generates (compose provisions them)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from skillpulse.cli import main
from skillpulse.dashboards import DASHBOARDS, dashboard_json
from skillpulse.dashboards.clickhouse_query import DATASOURCE_UID, PLUGIN_ID
from skillpulse.dashboards.generate import REPOSITORY_DASHBOARDS


def test_committed_json_matches_the_generator(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["dashboards", "generate", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in DASHBOARDS:
        committed = REPOSITORY_DASHBOARDS / name
        assert committed.read_text(encoding="utf-8") == (tmp_path / name).read_text(encoding="utf-8"), (
            f"dashboards/{name} is out of date: run `skillpulse dashboards generate`")


def test_dashboards_are_grafana_models_on_the_clickhouse_datasource() -> None:
    uids = set()
    for build in DASHBOARDS.values():
        model = json.loads(dashboard_json(build()))
        uids.add(model["uid"])
        assert model["refresh"] == "10s" and "id" not in model  # Grafana assigns ids; uids are fixed
        panels = [p for p in model["panels"] if p["type"] != "row"]
        assert len({p["id"] for p in model["panels"]}) == len(model["panels"])
        for panel in panels:
            assert panel["datasource"] == {"type": PLUGIN_ID, "uid": DATASOURCE_UID}
            for query in panel["targets"]:
                assert query["datasource"] == panel["datasource"] and query["editorType"] == "sql"
                assert query["format"] == {"timeseries": 0, "table": 1}[query["queryType"]]
                assert "{" not in query["rawSql"].replace("${", ""), query["rawSql"]  # no server-side parameter left
    assert uids == {"skillpulse-contract-kpis", "skillpulse-pipeline-health"}


def test_kpi_dashboard_variables() -> None:
    model = DASHBOARDS["contract-kpis.json"]()
    variables = {v["name"]: v for v in model["templating"]["list"]}
    assert variables["platform"]["query"] == "skilltech.tools,skilltech.tube,skilltech.cafe"
    assert variables["platform"]["multi"] and variables["platform"]["includeAll"]
    assert variables["organisation"]["allValue"] == "''" and variables["organisation"]["includeAll"]
