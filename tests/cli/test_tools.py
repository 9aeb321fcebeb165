"""`skillpulse tools list|add|retire`: straight into the store when no stack runs, through the
running stack's operator routes when one does (its process holds the store), signed with
the operator key's name; MC4 then counts what was declared."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner, Result

from skillpulse.access import Access
from skillpulse.app import Stack
from skillpulse.cli.tools import tools
from skillpulse.config import Settings
from skillpulse.credentials import open_keyring
from skillpulse.kpi.params import KpiParams
from skillpulse.stack_client import fetch_metric

ADD_SLIDES = ["add", "slides", "--category", "content_creation", "--available-from", "2026-02-01",
              "--alias", "slides-v1", "--note", "spring release", "--json"]


def _invoke(settings: Settings, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(tools, list(args), obj=settings, env=env)


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_without_a_stack_the_store_is_opened_for_the_command(settings: Settings) -> None:
    added = _json(_invoke(settings, *ADD_SLIDES))
    assert (added["tool_id"], added["revision"], added["aliases"]) == ("slides", 1, ["slides-v1"])
    assert added["declared_by"] == "local (operator.token)"  # the key's name, never its token
    feature = _json(_invoke(settings, "add", "slides", "--feature", "export", "--available-from", "2026-03-01",
                            "--json"))
    assert feature["category"] == "content_creation"
    retired = _json(_invoke(settings, "retire", "slides", "--on", "2026-10-01", "--json"))
    assert (retired["revision"], retired["retired_on"]) == (2, "2026-10-01")
    listed = _json(_invoke(settings, "list", "--json"))
    assert [(e["tool_id"], e["feature"], e["retired_on"]) for e in listed] == [
        ("slides", "", "2026-10-01"), ("slides", "export", None)]
    assert len(_json(_invoke(settings, "list", "--history", "--tool", "slides", "--json"))) == 3
    text = _invoke(settings, "list")
    assert text.exit_code == 0 and "slides / export" in text.stdout and "3 entries" not in text.stdout
    assert "2 entries" in text.stdout


def test_refusals_are_one_line_errors(settings: Settings) -> None:
    no_category = _invoke(settings, "add", "deck", "--available-from", "2026-02-01")
    assert no_category.exit_code == 1 and "a tool needs a category" in no_category.output
    look_alike = _invoke(settings, "add", "cаnva", "--category", "video", "--available-from", "2026-02-01")
    assert look_alike.exit_code == 2 and "printable ASCII" in look_alike.output and "cаnva" not in look_alike.output
    bad_day = _invoke(settings, "add", "deck", "--category", "video", "--available-from", "2026-02-30")
    assert bad_day.exit_code == 2
    viewer = open_keyring(settings).create(Access.VIEWER, label="board").token
    as_viewer = _invoke(settings, *ADD_SLIDES, env={"SKILLPULSE_TOKEN": viewer})
    assert as_viewer.exit_code == 1 and "operator token" in as_viewer.output
    assert _json(_invoke(settings, "list", "--json")) == []


@pytest.mark.integration
async def test_with_a_running_stack_the_command_goes_through_its_api(settings: Settings) -> None:
    viewer = open_keyring(settings).create(Access.VIEWER, label="board").token
    async with Stack(settings):
        added = _json(await asyncio.to_thread(_invoke, settings, *ADD_SLIDES))
        refused = await asyncio.to_thread(_invoke, settings, *ADD_SLIDES, env={"SKILLPULSE_TOKEN": viewer})
        bad = await asyncio.to_thread(_invoke, settings, "add", "ghost", "--feature", "x", "--available-from",
                                      "2026-01-01")
        listed = _json(await asyncio.to_thread(_invoke, settings, "list", "--json"))
        mc4 = await asyncio.to_thread(fetch_metric, settings, "new-tools",
                                      KpiParams(start=date(2026, 1, 1), end=date(2026, 12, 31)))
    assert (added["declared_by"], added["action"]) == ("local (operator.token)", "add")
    assert refused.exit_code == 1 and "operator token" in refused.output
    assert bad.exit_code == 1 and "declare the tool before its features" in bad.output
    assert [entry["tool_id"] for entry in listed] == ["slides"]
    assert (mc4["new_tools"], mc4["tools"]) == (1, ["slides"])
