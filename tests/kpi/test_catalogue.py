"""Every catalogue metric against a plain-Python reference on one small, edgy dataset."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from clickhouse_connect.driver.client import Client

from loadtests.kpi_benchmark import PANELS
from skillpulse.kpi import KpiParams
from skillpulse.kpi.catalogue import METRICS, compute, rows, rows_of, scalar
from skillpulse.kpi.summary import contract_summary
from tests.factories import record_json, store_records
from tests.kpi import reference

START, END = date(2026, 3, 1), date(2026, 5, 31)
BASE = datetime(2026, 3, 1, 8, tzinfo=UTC)
RESENT = str(uuid.uuid4())


def _event(kind: str, user: str, when: datetime, platform: str = "skilltech.tools", org: str = "school-1",
           event_id: str | None = None, **fields: object) -> dict:
    return {"event_id": event_id or str(uuid.uuid4()), "type": kind, "user": user, "occurred_at": when,
            "platform": platform, "organisation_id": org, **fields}


def _dataset() -> list[dict]:
    events = []
    for i in range(12):  # u0 … u11: logins spread over the range, some users in another school
        for day in range(0, 90, 3 + i):
            events.append(_event("login", f"u{i}", BASE + timedelta(days=day, hours=i),
                                 org="school-1" if i % 3 else "school-2"))
    events += [
        _event("login", "late", datetime(2026, 3, 28, 23, 30, tzinfo=UTC)),  # 29 March local (DST day)
        _event("login", "dup", BASE + timedelta(days=10), event_id=RESENT),
        _event("login", "dup", BASE + timedelta(days=10), event_id=RESENT),  # resent: one login
        _event("login", "tube", BASE + timedelta(days=5), platform="skilltech.tube"),
        _event("tool_use", "u1", BASE + timedelta(days=2), tool_id="podcast-studio", tool_category="content_creation",
               action="create", feature="chapters"),
        _event("tool_use", "u2", BASE + timedelta(days=40), tool_id="podcast-studio", tool_category="content_creation",
               action="edit", feature="noise-filter"),
        _event("tool_use", "u3", BASE - timedelta(days=30), tool_id="quiz-maker", tool_category="assessment",
               action="open"),  # first seen before the period
        _event("tool_use", "u3", BASE + timedelta(days=50), tool_id="quiz-maker", tool_category="assessment",
               action="open", feature="timer"),
        _event("training", "u4", BASE + timedelta(days=1), training_id="t1", status="enrolled"),
        _event("training", "u4", BASE + timedelta(days=20), training_id="t1", status="completed"),
        _event("training", "u5", BASE + timedelta(days=21), training_id="t1", status="passed"),
        _event("training", "u6", BASE + timedelta(days=22), training_id="t1", status="failed"),
    ]
    return events


def _value(event: dict) -> bytes:
    fields = {k: v for k, v in event.items() if k not in {"user", "platform", "occurred_at"}}
    return record_json(event["type"], user_key=hashlib.sha256(event["user"].encode()).hexdigest(),
                       platform=event["platform"], occurred_at=event["occurred_at"].isoformat(), **fields)


Loaded = tuple[Client, list[dict]]


@pytest.fixture
def loaded(store: Client) -> Loaded:
    events = _dataset()
    half = len(events) // 2
    store_records(store, [_value(e) for e in events[:half]])  # two batches: resends and late events cross them
    store_records(store, [_value(e) for e in events[half:]])
    return store, events


PARAMS = KpiParams(start=START, end=END)


@pytest.mark.parametrize("slug, window", [("dau", 1), ("wau", 7), ("mau", 30)])
@pytest.mark.parametrize("organisation", [None, "school-2"])
def test_rolling_users(loaded: Loaded, slug: str, window: int, organisation: str | None) -> None:
    store, events = loaded
    params = PARAMS.model_copy(update={"organisation": organisation})
    expected = reference.users_active_reference(events, START, END, window, organisation=organisation)
    assert compute(slug, store, params) == expected


def test_b2_with_organisation_uses_the_general_path_and_matches(loaded: Loaded) -> None:
    store, events = loaded
    logins = [(e["event_id"], e["platform"], e["user"], e["occurred_at"]) for e in events
              if e["type"] == "login" and e["organisation_id"] == "school-2"]
    params = PARAMS.model_copy(update={"organisation": "school-2"})
    assert compute("active-users", store, params) == reference.active_users_reference(logins, START, END)


def test_logins_new_users_and_stickiness(loaded: Loaded) -> None:
    store, events = loaded
    assert compute("logins", store, PARAMS) == reference.logins_per_day_reference(events, START, END)
    assert compute("new-users", store, PARAMS) == reference.new_users_reference(events, START, END)
    dau = reference.users_active_reference(events, START, END, 1)
    mau = reference.users_active_reference(events, START, END, 30)
    assert [row["stickiness"] for row in compute("stickiness", store, PARAMS)] == [
        round(d["users"] / m["users"], 4) if m["users"] else 0.0 for d, m in zip(dau, mau, strict=True)]


def test_contract_metrics(loaded: Loaded) -> None:
    store, events = loaded
    assert compute("trained-users", store, PARAMS)["trained_users"] == reference.trained_users_reference(
        events, START, END) == 2
    content, tools, pairs = reference.first_seen_reference(events, START, END)
    assert compute("new-tools-first-seen", store, PARAMS)["tools"] == content == ["podcast-studio"]
    features = compute("new-features-first-seen", store, PARAMS)
    assert features["new_tools"] == tools
    assert [(f["tool_id"], f["feature"]) for f in features["new_tool_features"]] == pairs
    assert features["new_features"] == len(tools) + len(pairs) == 4
    # MC4 and MP2 count the tool catalogue (tests/kpi/test_tool_catalogue.py): none declared here.
    assert compute("new-tools", store, PARAMS)["new_tools"] == compute("new-features", store, PARAMS)[
        "new_features"] == 0


def test_tool_usage_and_funnel(loaded: Loaded) -> None:
    store, _ = loaded
    usage = compute("tool-usage", store, PARAMS)
    assert usage == [{"tool_category": "content_creation", "tool_id": "podcast-studio", "uses": 2, "users": 2},
                     {"tool_category": "assessment", "tool_id": "quiz-maker", "uses": 1, "users": 1}]
    assert compute("training-funnel", store, PARAMS) == [
        {"status": "enrolled", "users": 1}, {"status": "started", "users": 0}, {"status": "completed", "users": 1},
        {"status": "passed", "users": 1}, {"status": "failed", "users": 1}]


def test_b2_yearly_end_and_peak(loaded: Loaded) -> None:
    store, events = loaded
    logins = [(e["event_id"], e["platform"], e["user"], e["occurred_at"]) for e in events if e["type"] == "login"]
    series = reference.active_users_reference(logins, date(2026, 1, 1), date(2026, 12, 31))
    peak = max(series, key=lambda row: row["active_users"])
    yearly = compute("active-users-yearly", store, KpiParams(start=date(2026, 1, 1), end=date(2026, 12, 31)))
    assert yearly == [{"year": 2026, "last_day": "2026-12-31", "last_value": series[-1]["active_users"],
                       "complete_year": True, "peak_value": peak["active_users"], "peak_day": peak["day"]}]


def test_summary_equals_the_metrics(loaded: Loaded) -> None:
    store, _ = loaded
    summary = contract_summary(store, END)
    by_id = {row["id"]: row for row in summary["rows"]}
    assert by_id["B2"]["value"] == compute("active-users", store, KpiParams(start=END, end=END))[0]["active_users"]
    assert by_id["B2"]["target"] == 1600 and by_id["MA4"]["value"] == 2
    assert by_id["MA4"]["from"] == "2026-01-01" and by_id["MP2"]["from"] == "2026-01-01"
    json.dumps(summary)


def test_every_metric_runs_with_its_kind_s_type(loaded: Loaded) -> None:
    store, _ = loaded
    for slug, metric in METRICS.items():
        result = compute(slug, store, PARAMS)
        if metric.kind == "scalar":
            assert isinstance(result, dict) and scalar(slug, store, PARAMS) == result
            with pytest.raises(TypeError, match="scalar"):
                rows(slug, store, PARAMS)
            with pytest.raises(TypeError, match=slug):
                rows_of(slug, result)
        else:
            assert isinstance(result, list) and rows(slug, store, PARAMS) == rows_of(slug, result) == result
            with pytest.raises(TypeError, match=metric.kind):
                scalar(slug, store, PARAMS)
    with pytest.raises(ValueError, match="organisation"):
        compute("new-tools", store, PARAMS.model_copy(update={"organisation": "x"}))


def test_every_benchmark_panel_runs(loaded: Loaded) -> None:
    store, _ = loaded
    for panel in PANELS:
        assert panel.run(store, PARAMS, END)
