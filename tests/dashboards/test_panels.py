"""Every panel's SQL, as Grafana and the ClickHouse plugin would send it, run against the
real embedded store filled by the simulator: KPI panels give the catalogue's values for
the same range, pipeline-health panels give the columns Grafana expects."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.config import ClickHouseSettings, PathSettings, Settings
from skillpulse.contract import PLATFORMS, platform_event_adapter, to_record
from skillpulse.dashboards.generate import REPOSITORY_DASHBOARDS
from skillpulse.kpi import KpiParams
from skillpulse.kpi.agreement import agreement_trajectories
from skillpulse.kpi.catalogue import compute
from skillpulse.kpi.summary import AGREEMENT_START
from skillpulse.simulator import Population, backfill_events
from skillpulse.store import apply_migrations, open_store
from tests.catalogue import declare_tools
from tests.dashboards.grafana import ALL, Request, Variable, panel_sql
from tests.factories import record_json, store_records

LUXEMBOURG = ZoneInfo("Europe/Luxembourg")
START, END = date(2026, 3, 1), date(2026, 6, 30)  # the dashboard range (crosses the March DST change)
RANGE = (datetime.combine(START, time(0), LUXEMBOURG), datetime.combine(END, time(23, 59, 59, 999000), LUXEMBOURG))
# The committed JSON, what Grafana loads (test_generate: it is what the code generates).
KPI = json.loads((REPOSITORY_DASHBOARDS / "contract-kpis.json").read_text(encoding="utf-8"))
HEALTH = json.loads((REPOSITORY_DASHBOARDS / "pipeline-health.json").read_text(encoding="utf-8"))


# The simulator's tools all appear in its first days: these appear later, for MC4 and MP2.
NEW_TOOLS = [("story-maker", "content_creation", "", "2025-12-20T10:00:00+01:00"),  # before the agreement
             ("slide-studio", "content_creation", "", "2026-01-15T10:00:00+01:00"),
             ("quiz-maker", "assessment", "ai-hints", "2026-02-10T10:00:00+01:00"),  # a new feature only
             ("animation-lab", "content_creation", "keyframes", "2026-05-05T10:00:00+02:00"),
             ("whiteboard", "collaboration", "", "2026-06-01T00:30:00+02:00")]


def _first_use(tool_id: str, category: str, feature: str, occurred_at: str) -> bytes:
    return record_json("tool_use", user_key="f" * 64, occurred_at=occurred_at, tool_id=tool_id,
                       tool_category=category, action="create", **({"feature": feature} if feature else {}))


def _records(users: int, days: int, end: date, seed: int) -> list[bytes]:
    """Simulated platform events as the collector hands them to Kafka."""
    received = datetime.now(UTC)
    values = []
    for platform, body in backfill_events(Population(users, seed), days, end, seed):
        event = platform_event_adapter.validate_python(body)
        user_key = hashlib.sha256(f"{platform}\0{event.user_id}".encode()).hexdigest()
        values.append(to_record(event, platform=platform, user_key=user_key, received_at=received,
                                session_key=None).model_dump_json().encode())
    return values


@pytest.fixture(scope="module")
def store(chdb_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """One store for the module: loading the simulation once keeps the suite quick."""
    settings = Settings(paths=PathSettings(data_dir=tmp_path_factory.mktemp("data")),
                        clickhouse=ClickHouseSettings(path=chdb_path, database=f"test_{uuid.uuid4().hex[:10]}"))
    client = open_store(settings)
    apply_migrations(client)
    store_records(client, _records(users=240, days=(END - date(2025, 12, 1)).days + 1, end=END, seed=11)
                  + [_first_use(*tool) for tool in NEW_TOOLS])
    # MC4 and MP2 count the tool catalogue: the new tools and features declared on their first day
    # (quiz-maker itself is one of the simulator's, released before the range).
    declare_tools(client, {"tool_id": "story-maker", "category": "content_creation", "available_from": "2025-12-20"},
                  {"tool_id": "slide-studio", "category": "content_creation", "available_from": "2026-01-15"},
                  {"tool_id": "quiz-maker", "category": "assessment", "available_from": "2025-12-01"},
                  {"tool_id": "quiz-maker", "feature": "ai-hints", "available_from": "2026-02-10"},
                  {"tool_id": "animation-lab", "category": "content_creation", "available_from": "2026-05-05"},
                  {"tool_id": "animation-lab", "feature": "keyframes", "available_from": "2026-05-05"},
                  {"tool_id": "whiteboard", "category": "collaboration", "available_from": "2026-06-01"})
    yield client
    client.close()


def _panel(dashboard: dict[str, Any], title_start: str) -> dict[str, Any]:
    [panel] = [p for p in dashboard["panels"] if p["title"].startswith(title_start)]
    return panel


def _run(store: Client, raw_sql: str, request: Request) -> Any:
    return store.query(panel_sql(raw_sql, request))


def _rows(store: Client, panel: dict[str, Any], request: Request, ref_id: str = "A") -> list[tuple[Any, ...]]:
    [query] = [t for t in panel["targets"] if t["refId"] == ref_id]
    return [tuple(row) for row in _run(store, query["rawSql"], request).result_rows]


def _variables(store: Client, platforms: tuple[str, ...], organisation: str | None) -> dict[str, Variable]:
    """The KPI dashboard's variables as Grafana would hold them; organisation options come
    from the variable's own query, run like a panel's."""
    [platform_var, organisation_var] = KPI["templating"]["list"]
    options = tuple(platform_var["query"].split(","))
    platform = Variable("platform", (ALL,) if platforms == options else platforms, options, multi=True)
    found = _run(store, organisation_var["query"], Request(*RANGE, variables={"platform": platform}))
    organisations = tuple(row[0] for row in found.result_rows)
    assert organisation is None or organisation in organisations
    selected = Variable("organisation", (organisation or ALL,), organisations, all_value=organisation_var["allValue"])
    return {"platform": platform, "organisation": selected}


SCENARIOS = [((PLATFORMS[0],), None), (PLATFORMS, None), ((PLATFORMS[0],), "school-001")]


@pytest.mark.parametrize("platforms, organisation", SCENARIOS)
def test_kpi_panels_equal_the_catalogue(store: Client, platforms: tuple[str, ...], organisation: str | None) -> None:
    request = Request(*RANGE, variables=_variables(store, platforms, organisation))
    params = KpiParams(start=START, end=END, platforms=platforms, organisation=organisation)

    def expected(slug: str, **update: Any) -> Any:
        return compute(slug, store, params.model_copy(update=update))

    b2 = expected("active-users")
    assert sum(row["active_users"] for row in b2) > 0  # the data exercises the panels
    assert _rows(store, _panel(KPI, "B2 daily series"), request) == [(date.fromisoformat(r["day"]), r["active_users"])
                                                                      for r in b2]
    assert _rows(store, _panel(KPI, "B2 now"), request) == [(b2[-1]["active_users"],)]
    assert _rows(store, _panel(KPI, "MA4"), request) == [
        (expected("trained-users", start=AGREEMENT_START)["trained_users"],)]
    active = _panel(KPI, "DAU, WAU, MAU")
    for ref_id, slug in (("DAU", "dau"), ("WAU", "wau"), ("MAU", "mau")):
        assert _rows(store, active, request, ref_id) == [(date.fromisoformat(r["day"]), r["users"])
                                                         for r in expected(slug)]
    stickiness = _rows(store, _panel(KPI, "Stickiness"), request)
    assert [day for day, _ in stickiness] == [date.fromisoformat(r["day"]) for r in expected("stickiness")]
    assert [value for _, value in stickiness] == pytest.approx([r["stickiness"] for r in expected("stickiness")],
                                                               abs=5e-5)  # the catalogue rounds to 4 places
    usage = expected("tool-usage")
    assert _rows(store, _panel(KPI, "Tool usage"), request) == [
        (r["tool_category"], r["tool_id"], r["uses"], r["users"]) for r in usage]
    by_category: dict[str, int] = {}
    for row in usage:
        by_category[row["tool_category"]] = by_category.get(row["tool_category"], 0) + row["uses"]
    assert dict(_rows(store, _panel(KPI, "Tool uses by category"), request)) == by_category
    assert _rows(store, _panel(KPI, "Training funnel"), request) == [
        tuple(r["users"] for r in expected("training-funnel"))]
    # MC4 and MP2 count the tool catalogue (the catalogue refuses an organisation for them).
    per_year = params.model_copy(update={"organisation": None})
    new_tools, new_features = compute("new-tools", store, per_year), compute("new-features", store, per_year)
    assert new_tools["new_tools"] and new_features["new_features"]  # the data has some
    assert _rows(store, _panel(KPI, "MC4 and MP2"), request) == [
        (2026, new_tools["new_tools"], new_features["new_features"])]


def test_new_tools_and_features_per_agreement_year_are_clipped_to_the_range(store: Client) -> None:
    start, end = date(2025, 12, 1), date(2026, 2, 28)  # 2025 is not an agreement year
    time_range = (datetime.combine(start, time(0), LUXEMBOURG), datetime.combine(end, time(23, 59), LUXEMBOURG))
    request = Request(*time_range, variables=_variables(store, (PLATFORMS[0],), None))
    in_2026 = KpiParams(start=date(2026, 1, 1), end=end)
    new_tools, new_features = compute("new-tools", store, in_2026), compute("new-features", store, in_2026)
    assert new_tools["tools"] == ["slide-studio"] and new_features["new_features"] == 2  # the data shows clipping
    assert _rows(store, _panel(KPI, "MC4 and MP2"), request) == [(2026, 1, 2)]


@pytest.mark.parametrize("platforms", [(PLATFORMS[0],), PLATFORMS])
def test_the_trajectory_panel_equals_the_summary_s_trajectories(store: Client, platforms: tuple[str, ...]) -> None:
    request = Request(*RANGE, variables=_variables(store, platforms, None))
    expected = sorted((t for t in agreement_trajectories(lambda slug, params: compute(slug, store, params), END,
                                                         platforms) if t.kpi in {"B2", "MA4", "MC4", "MP2"}),
                      key=lambda t: t.kpi)
    rows = _rows(store, _panel(KPI, "Trajectory"), request)
    assert [row[0] for row in rows] == ["B2", "MA4", "MC4", "MP2"] == [t.kpi for t in expected]
    for (kpi, value, target_value, deadline, needed, achieved, projection, status, method), t in zip(
            rows, expected, strict=True):
        assert (value, target_value, deadline, status) == (t.value, t.target, t.deadline, t.status), kpi
        assert (needed, achieved, projection) == pytest.approx(
            (t.required_per_month, t.achieved_per_month, t.projection)), kpi
        assert method.startswith("trailing trend" if kpi == "B2" else "linear from"), method
    assert {t.kpi: t.status for t in expected}["B2"] in ("on course", "at risk")  # the data is in range
    before = (datetime.combine(date(2025, 12, 1), time(0), LUXEMBOURG),
              datetime.combine(date(2025, 12, 31), time(23, 59), LUXEMBOURG))
    assert _rows(store, _panel(KPI, "Trajectory"), Request(*before, variables=request.variables)) == []


def test_every_kpi_panel_is_checked_above() -> None:
    checked = {"B2 now", "MA4", "MC4 and MP2", "Trajectory", "B2 daily series", "DAU, WAU, MAU", "Stickiness",
               "Tool usage", "Tool uses by category", "Training funnel"}
    titles = [p["title"] for p in KPI["panels"] if p["type"] != "row"]
    assert all(any(title.startswith(prefix) for prefix in checked) for title in titles), titles


def _pipeline_stats(store: Client, now: datetime) -> None:
    rows = []
    for minute in range(30):
        at = now - timedelta(minutes=minute)
        rows += [[at, "collector", "accepted", "skilltech.tools", "", 120.0],
                 [at, "collector", "rejected", "skilltech.tube", "invalid_field", 3.0],
                 [at, "collector", "refused", "skilltech.tools", "overloaded", 1.0],
                 [at, "aggregator", "dead_lettered", "", "unreadable", 1.0],
                 [at, "aggregator", "stored", "skilltech.tools", "", 119.0],
                 [at, "aggregator", "batch_rows", "", "", 60.0 + minute],
                 [at, "aggregator", "insert_ms", "", "", 10.0 + minute],
                 [at, "aggregator", "consumer_lag", "", "", float(minute)]]
    store.insert("pipeline_stats", rows, column_names=["at", "service", "metric", "platform", "reason", "value"])


EXPECTED_COLUMNS = {
    "Events accepted per second": ["time", "platform", "accepted_per_s"],
    "Events rejected": ["time", "outcome", "events_per_s"],
    "Events per second over the range": ["service", "metric", "per_s"],
    "Rejections by platform": ["service", "metric", "platform", "reason", "events"],
    "Freshness": ["time", "received_to_stored_p50_s", "received_to_stored_p99_s", "occurred_to_stored_p50_s",
                  "occurred_to_stored_p99_s"],
    "Batch sizes": ["time", "batches", "rows_avg", "rows_max"],
    "Insert latency": ["time", "insert_ms_p50", "insert_ms_p99"],
    "Kafka consumer lag": ["time", "consumer_lag"],
    "Consumer lag, latest": ["latest", "peak", "sampled_at"],
}


def test_pipeline_health_panels_run_and_return_what_grafana_expects(store: Client) -> None:
    now = datetime.now(UTC)
    _pipeline_stats(store, now)
    request = Request(now - timedelta(hours=1), now + timedelta(minutes=1), interval=timedelta(minutes=1))
    panels = [p for p in HEALTH["panels"] if p["type"] != "row"]
    assert sorted(EXPECTED_COLUMNS) == sorted(next(k for k in EXPECTED_COLUMNS if p["title"].startswith(k))
                                              for p in panels)
    for panel in panels:
        [query] = panel["targets"]
        result = _run(store, query["rawSql"], request)
        columns = next(v for k, v in EXPECTED_COLUMNS.items() if panel["title"].startswith(k))
        assert list(result.column_names) == columns, panel["title"]
        assert result.result_rows, panel["title"]
        if query["queryType"] == "timeseries":
            assert result.column_types[0].base_type in ("DateTime", "DateTime64"), panel["title"]
    accepted = _run(store, _panel(HEALTH, "Events accepted")["targets"][0]["rawSql"], request).result_rows
    assert {platform for _, platform, _ in accepted} == {"skilltech.tools"}
    assert {rate for _, _, rate in accepted} == {2.0}  # 120 events a minute, one sample per 1-minute bucket
