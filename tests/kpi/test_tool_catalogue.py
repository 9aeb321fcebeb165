"""MC4 and MP2 count the tool catalogue (what was made available), checked by hand counts on
constructed data; the cross-check lists both kinds of mismatch; the first-seen figures
stay as their own metrics."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime

import pytest
from clickhouse_connect.driver.client import Client
from pydantic import ValidationError

from skillpulse.kpi import KpiParams
from skillpulse.kpi.catalogue import compute
from skillpulse.kpi.tool_catalogue import (
    CatalogueError,
    Declaration,
    Retirement,
    cross_check,
    current_entries,
    declare,
    history,
    retire,
)
from tests.factories import record_json, store_records

YEAR_2026 = KpiParams(start=date(2026, 1, 1), end=date(2026, 12, 31))
OPERATOR = "operator-key"


def _use(tool_id: str, day: date, category: str = "content_creation", feature: str | None = None) -> bytes:
    fields = {"feature": feature} if feature else {}
    return record_json("tool_use", user_key=hashlib.sha256(b"u").hexdigest(), platform="skilltech.tools",
                       occurred_at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC).isoformat(),
                       event_id=str(uuid.uuid4()), tool_id=tool_id, tool_category=category, action="open", **fields)


def _declare(store: Client, tool_id: str, available_from: date, **fields: object) -> None:
    declare(store, Declaration.model_validate({"tool_id": tool_id, "available_from": available_from,
                                               **({"category": "content_creation"} | fields)}), OPERATOR)


@pytest.fixture
def catalogued(store: Client) -> Client:
    """Telemetry and a catalogue that disagree in every way the issue names."""
    store_records(store, [
        _use("beta-editor", date(2026, 3, 2)),  # opened in beta: never declared
        _use("slides-v1", date(2026, 2, 1)), _use("slides", date(2026, 6, 1)),  # renamed: one tool by its alias
        _use("slides", date(2026, 6, 2), feature="export"),  # a declared feature
        _use("slides", date(2026, 6, 3), feature="laser"),  # a feature not declared
        _use("quiz", date(2026, 4, 1), category="assessment"),
        _use("old-tool", date(2025, 5, 1)),
    ])
    _declare(store, "slides", date(2026, 2, 15), aliases=["slides-v1"])  # used before its release (beta)
    _declare(store, "slides", date(2026, 5, 1), feature="export")
    _declare(store, "podcast", date(2026, 9, 1))  # released, never used
    _declare(store, "quiz", date(2026, 3, 1), category="assessment")
    _declare(store, "quiz", date(2026, 10, 1), feature="timer")  # released, never used
    _declare(store, "old-tool", date(2025, 3, 1), retired_on=date(2025, 11, 30))  # retired before 2026
    _declare(store, "withdrawn", date(2026, 7, 1))
    retire(store, Retirement(tool_id="withdrawn", retired_on=date(2026, 7, 1)), OPERATOR)  # the same day: never out
    return store


def test_mc4_counts_content_tools_made_available(catalogued: Client) -> None:
    # slides (once, though telemetry has two ids) and podcast (unused); not beta-editor (undeclared),
    # not quiz (assessment), not old-tool (2025), not withdrawn (retired the day of its release).
    assert compute("new-tools", catalogued, YEAR_2026) == {"from": "2026-01-01", "to": "2026-12-31",
                                                           "new_tools": 2, "tools": ["podcast", "slides"]}
    assert compute("new-tools", catalogued, KpiParams(start=date(2025, 1, 1), end=date(2025, 12, 31)))[
        "tools"] == ["old-tool"]


def test_mp2_counts_tools_and_features_made_available(catalogued: Client) -> None:
    # tools podcast, quiz, slides + features (quiz, timer), (slides, export) = 5; laser is undeclared.
    mp2 = compute("new-features", catalogued, YEAR_2026)
    assert mp2["new_tools"] == ["podcast", "quiz", "slides"]
    assert mp2["new_tool_features"] == [{"tool_id": "quiz", "feature": "timer"},
                                        {"tool_id": "slides", "feature": "export"}]
    assert mp2["new_features"] == 5
    first_half = compute("new-features", catalogued, KpiParams(start=date(2026, 1, 1), end=date(2026, 6, 30)))
    assert first_half["new_features"] == 3  # quiz, slides, (slides, export)


def test_the_first_seen_figures_stay_separate(catalogued: Client) -> None:
    # Telemetry's first events in 2026: beta-editor, slides-v1, slides (content); quiz too for MP2,
    # plus the pairs (slides, export) and (slides, laser).
    assert compute("new-tools-first-seen", catalogued, YEAR_2026)["tools"] == ["beta-editor", "slides", "slides-v1"]
    assert compute("new-features-first-seen", catalogued, YEAR_2026)["new_features"] == 6


def test_cross_check_lists_both_kinds_of_mismatch(catalogued: Client) -> None:
    check = cross_check(catalogued, YEAR_2026)
    assert [(m.tool_id, m.feature, m.uses) for m in check.used_not_declared] == [
        ("beta-editor", "", 1), ("slides", "laser", 1)]
    # podcast and (quiz, timer) were offered and never used; withdrawn was never offered; old-tool retired in 2025.
    assert [(m.tool_id, m.feature) for m in check.declared_not_used] == [("podcast", ""), ("quiz", "timer")]
    # slides-v1 counts as slides: used from 1 February, released 15 February.
    assert [(m.tool_id, m.first_day, m.uses) for m in check.used_before_available] == [
        ("slides", date(2026, 2, 1), 4)]
    assert sorted((e.tool_id, e.feature) for e in check.made_available) == [
        ("podcast", ""), ("quiz", ""), ("quiz", "timer"), ("slides", ""), ("slides", "export")]
    as_json = compute("tool-catalogue-check", catalogued, YEAR_2026)
    assert as_json["mismatches"] == 4 and as_json["used_not_declared"][0]["first_day"] == "2026-03-02"
    # In 2025 old-tool was declared and used: no mismatch of it.
    assert cross_check(catalogued, KpiParams(start=date(2025, 1, 1), end=date(2025, 12, 31))).declared_not_used == []


def test_a_correction_is_a_new_revision_and_the_history_keeps_each(catalogued: Client) -> None:
    _declare(catalogued, "podcast", date(2027, 1, 10), note="released in January after all")
    assert "podcast" not in compute("new-tools", catalogued, YEAR_2026)["tools"]
    revisions = history(catalogued, "podcast")
    assert [(e.revision, e.action, e.available_from) for e in revisions] == [
        (1, "add", date(2026, 9, 1)), (2, "correct", date(2027, 1, 10))]
    assert {e.declared_by for e in revisions} == {OPERATOR}
    # A correction may clear a retirement (the current state is the newest row, NULL included).
    _declare(catalogued, "withdrawn", date(2026, 7, 1))
    assert "withdrawn" in compute("new-tools", catalogued, YEAR_2026)["tools"]
    [withdrawn] = [e for e in current_entries(catalogued) if e.tool_id == "withdrawn"]
    assert (withdrawn.revision, withdrawn.retired_on) == (3, None)


def test_refused_declarations(store: Client) -> None:
    _declare(store, "slides", date(2026, 2, 1), aliases=["slides-v1"])
    with pytest.raises(CatalogueError, match="tool before its features"):
        _declare(store, "unknown", date(2026, 2, 1), feature="x")
    with pytest.raises(CatalogueError, match="alias"):
        _declare(store, "deck", date(2026, 2, 1), aliases=["slides-v1"])  # would count one tool twice
    with pytest.raises(CatalogueError, match="alias"):
        _declare(store, "slides-v1", date(2026, 2, 1))  # the id is another tool's alias
    with pytest.raises(CatalogueError, match="category"):
        declare(store, Declaration(tool_id="deck", available_from=date(2026, 2, 1)), OPERATOR)
    with pytest.raises(CatalogueError, match="no such"):
        retire(store, Retirement(tool_id="deck", retired_on=date(2026, 3, 1)), OPERATOR)
    with pytest.raises(CatalogueError, match="before"):
        retire(store, Retirement(tool_id="slides", retired_on=date(2026, 1, 1)), OPERATOR)
    for bad in ({"tool_id": "cаnva"}, {"tool_id": "x" * 300}, {"tool_id": "a\u200bb"}, {"category": "games"},
                {"retired_on": "2026-01-01"}, {"available_from": "2200-01-01"}, {"aliases": ["a"] * 33},
                {"surprise": 1}):
        with pytest.raises(ValidationError):
            Declaration.model_validate({"tool_id": "deck", "category": "video", "available_from": "2026-02-01"}
                                       | bad)
    assert [e.tool_id for e in current_entries(store)] == ["slides"]  # nothing refused was written


def test_ids_are_normalised_like_the_event_contract(store: Client) -> None:
    _declare(store, " ｓｌｉｄｅｓ ", date(2026, 2, 1))  # fullwidth and padded: NFKC and trimmed
    assert [e.tool_id for e in current_entries(store)] == ["slides"]
