"""The report's tool catalogue section: what MC4 and MP2 counted (the tools and features the
catalogue declares made available in the period) and the catalogue against telemetry (the
`tool-catalogue-check` metric): used but never declared, declared but not used, used before
the declared release."""

from __future__ import annotations

from typing import Any

from skillpulse.kpi.tool_catalogue import CONTENT_CREATION
from skillpulse.report.html_parts import Cell, command_cell, figure_cell, paragraph, row, section, table
from skillpulse.report.reproduce import kpi_command

CHECK_SLUG = "tool-catalogue-check"
_MADE_AVAILABLE = ("Tool", "Feature", "Category", "Available from", "Retired on", "Counts for")
_MISMATCH = ("Tool", "Feature", "Uses", "First use", "Last use", "Declared available from")


def _name_cells(entry: dict[str, Any]) -> list[Cell]:
    return [Cell(entry["tool_id"], "tool"), Cell(entry["feature"] or "—", "feature", entry["feature"])]


def _counts_for(entry: dict[str, Any]) -> str:
    return "MC4, MP2" if not entry["feature"] and entry["category"] == CONTENT_CREATION else "MP2"


def _made_available_row(entry: dict[str, Any]) -> str:
    return row([*_name_cells(entry), Cell(entry["category"], "category"),
                Cell(entry["available_from"], "available-from", entry["available_from"]),
                Cell(entry["retired_on"] or "—", "retired-on", entry["retired_on"]),
                Cell(_counts_for(entry), "counts-for")], data_entry=f"{entry['tool_id']}/{entry['feature']}")


def _mismatch_row(found: dict[str, Any]) -> str:
    return row([*_name_cells(found), figure_cell(found["uses"], "uses"),
                Cell(found["first_day"] or "—", "first-use", found["first_day"]),
                Cell(found["last_day"] or "—", "last-use", found["last_day"]),
                Cell(found["available_from"] or "not declared", "available-from", found["available_from"])],
               data_entry=f"{found['tool_id']}/{found['feature']}")


def _mismatches(check: dict[str, Any], kind: str, title: str, none: str) -> str:
    found = check[kind]
    if not found:
        return paragraph(f"{title}: none.", data_field=kind.replace("_", "-"), data_value=0)
    return (paragraph(f"{title}: {len(found)}.", data_field=kind.replace("_", "-"), data_value=len(found)) +
            "\n" + table(_MISMATCH, [_mismatch_row(entry) for entry in found], data_table=kind.replace("_", "-"))
            + ("\n" + paragraph(none) if none else ""))


def tools_section(check: dict[str, Any] | None, platforms: tuple[str, ...]) -> str:
    """`check`: the `tool-catalogue-check` metric over the report period (None: not collected)."""
    if check is None:
        return ""
    title = "MC4 and MP2: tools and features made available (the tool catalogue)"
    command = kpi_command(CHECK_SLUG, check["from"], check["to"], platforms)
    made = check["made_available"]
    intro = paragraph(
        "MC4 and MP2 count what the tool catalogue declares made available on skilltech.tools in the period "
        "(`skillpulse tools add`, with a category and a date; a correction is a new revision, `skillpulse tools "
        "list --history`), not the first event naming a tool: a tool in beta that someone opened does not count, "
        "a tool released but not yet used does, and a renamed tool_id declared as an alias counts once. "
        f"{len(made)} entries made available from {check['from']} to {check['to']}.", data_field="catalogue-note")
    parts = [intro]
    if made:
        parts.append(table(_MADE_AVAILABLE, [_made_available_row(entry) for entry in made],
                           data_table="made-available"))
    else:
        parts.append(paragraph("No tool or feature of the catalogue was made available in the period: declare "
                               "releases with `skillpulse tools add TOOL_ID --category … --available-from …`.",
                               class_="missing", data_field="none-made-available"))
    parts += [
        paragraph("The catalogue against the telemetry of the period (aliases resolved):"),
        _mismatches(check, "used_not_declared", "Used but never declared",
                    "Declare each tool that was released (or its old id as an alias of the tool it now is); "
                    "a tool still in beta stays undeclared until its release."),
        _mismatches(check, "declared_not_used", "Declared, available in the period, never used", ""),
        _mismatches(check, "used_before_available", "Used before the declared release (a beta, or a date to "
                    "correct)", ""),
        table(("Reproduce",), [row([command_cell(command)], data_check="command")], data_table="catalogue-check"),
    ]
    return section(title, "tools", *parts)
