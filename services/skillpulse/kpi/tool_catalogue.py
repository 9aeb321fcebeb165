"""The tool catalogue (table `tool_catalogue`, migration 0012): the tools and features the
operator declares made available on skilltech.tools, which MC4 and MP2 count (the agreement
counts what was *mis à disposition*, not what telemetry first saw).

An entry is a tool (`feature` = '') or a feature of a declared tool. Each declaration,
correction and retirement appends a row; the current state is each entry's highest
revision (`queries.CATALOGUE_CURRENT`). `cross_check` compares the catalogue with the
telemetry of a period: tools and features used but never declared (after aliases), and
those declared, available in the period, but not used in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from skillpulse.contract import CatalogueId, Identifier, ToolCategory
from skillpulse.errors import SkillpulseError
from skillpulse.kpi import queries

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

    from skillpulse.kpi.params import KpiParams

CONTENT_CREATION: ToolCategory = "content_creation"  # MC4 counts this category's tools
MAX_ALIASES = 32
# The store's Date type: a day outside it would wrap around, so it is refused.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2149, 6, 6)
StoreDay = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
Action = Literal["add", "correct", "retire"]


class CatalogueError(SkillpulseError, ValueError):
    """A declaration the catalogue refuses (the message says why, without echoing input)."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    tool_id: CatalogueId
    feature: CatalogueId | None = None  # none: the tool itself
    note: Identifier | None = None


class Declaration(_Request):
    """A tool or feature made available (or a correction of one already declared)."""

    category: ToolCategory | None = None  # required for a tool; a feature takes its tool's by default
    available_from: StoreDay
    retired_on: StoreDay | None = None
    aliases: Annotated[list[CatalogueId], Field(max_length=MAX_ALIASES)] = []

    @model_validator(mode="after")
    def _dates(self) -> Declaration:
        if self.retired_on is not None and self.retired_on < self.available_from:
            raise ValueError("retired_on is before available_from")
        return self


class Retirement(_Request):
    """A tool or feature withdrawn from that day on."""

    retired_on: StoreDay


class CatalogueEntry(BaseModel):
    """The current state (or one revision) of a tool or feature of the catalogue."""

    model_config = ConfigDict(frozen=True)
    tool_id: str
    feature: str  # '' for the tool itself
    revision: int
    action: Action
    category: str
    available_from: date
    retired_on: date | None
    aliases: tuple[str, ...]
    declared_at: datetime
    declared_by: str
    note: str

    def available_in(self, start: date, end: date) -> bool:
        """Offered on some day of [start, end] (the day it is retired it is no longer)."""
        return self.available_from <= end and (self.retired_on is None or self.retired_on > max(start,
                                                                                               self.available_from))

    def made_available_in(self, start: date, end: date) -> bool:
        """Released on a day of [start, end] and not withdrawn that day (what MC4/MP2 count,
        as `queries.NEW_CONTENT_TOOLS` says in SQL)."""
        return start <= self.available_from <= end and (self.retired_on is None
                                                          or self.retired_on > self.available_from)

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


_FIELDS = tuple(CatalogueEntry.model_fields)  # the order of `queries.CATALOGUE_CURRENT`'s columns
_COLUMNS = [name for name in _FIELDS if name != "declared_at"]  # what an insert writes (the store dates it)


def _entries(store: Client, sql: str, parameters: dict[str, Any] | None = None) -> list[CatalogueEntry]:
    return [CatalogueEntry.model_validate(dict(zip(_FIELDS, row, strict=True)))
            for row in store.query(sql, parameters=parameters).result_rows]


def current_entries(store: Client) -> list[CatalogueEntry]:
    """Every entry's current state, by tool then feature (the tool itself first)."""
    return _entries(store, queries.CATALOGUE_CURRENT)


def _key(request: _Request) -> tuple[str, str]:
    return request.tool_id, request.feature or ""


def _append(store: Client, entry: dict[str, Any]) -> CatalogueEntry:
    store.insert("tool_catalogue", [[entry[column] for column in _COLUMNS]], column_names=_COLUMNS)
    [current] = [found for found in current_entries(store) if (found.tool_id, found.feature) == (entry["tool_id"],
                                                                                                 entry["feature"])]
    return current


def _check_aliases(entries: list[CatalogueEntry], tool_id: str, feature: str, aliases: list[str]) -> None:
    """A telemetry id means one entry only: an alias is no other entry's id or alias, and an
    id no other entry's alias (else a use would count for two, or a rename leave two tools)."""
    taken: set[str] = set()
    for entry in entries:
        if (entry.tool_id, entry.feature) == (tool_id, feature):
            continue
        if feature == "" and entry.feature == "":
            taken |= {entry.tool_id, *entry.aliases}
        elif feature and entry.tool_id == tool_id and entry.feature:
            taken |= {entry.feature, *entry.aliases}
    own = feature or tool_id
    if taken & {own, *aliases}:
        raise CatalogueError("the id or an alias is already another entry's id or alias in the catalogue")
    if own in aliases:
        raise CatalogueError("an entry's alias cannot be its own id")


def declare(store: Client, declaration: Declaration, declared_by: str) -> CatalogueEntry:
    """Add a tool or feature to the catalogue, or correct the one already declared."""
    tool_id, feature = _key(declaration)
    entries = current_entries(store)
    by_key = {(entry.tool_id, entry.feature): entry for entry in entries}
    tool = by_key.get((tool_id, ""))
    if feature and tool is None:
        raise CatalogueError("declare the tool before its features")
    category = declaration.category or (tool.category if feature and tool else None)
    if category is None:
        raise CatalogueError("a tool needs a category")
    _check_aliases(entries, tool_id, feature, declaration.aliases)
    before = by_key.get((tool_id, feature))
    return _append(store, {
        "tool_id": tool_id, "feature": feature, "revision": before.revision + 1 if before else 1,
        "action": "correct" if before else "add", "category": category,
        "available_from": declaration.available_from, "retired_on": declaration.retired_on,
        "aliases": list(dict.fromkeys(declaration.aliases)), "declared_by": declared_by,
        "note": declaration.note or ""})


def retire(store: Client, retirement: Retirement, declared_by: str) -> CatalogueEntry:
    """Withdraw a declared tool or feature from `retired_on` on (its other fields kept)."""
    tool_id, feature = _key(retirement)
    before = {(entry.tool_id, entry.feature): entry for entry in current_entries(store)}.get((tool_id, feature))
    if before is None:
        raise CatalogueError("no such tool or feature in the catalogue")
    if retirement.retired_on < before.available_from:
        raise CatalogueError("retired_on is before the entry's available_from")
    return _append(store, {
        "tool_id": tool_id, "feature": feature, "revision": before.revision + 1, "action": "retire",
        "category": before.category, "available_from": before.available_from, "retired_on": retirement.retired_on,
        "aliases": list(before.aliases), "declared_by": declared_by, "note": retirement.note or before.note})


def history(store: Client, tool_id: str | None = None) -> list[CatalogueEntry]:
    """Every revision (of one tool and its features, or of all), oldest first per entry."""
    sql = (f"SELECT {', '.join(_FIELDS)} FROM tool_catalogue "
           "WHERE {tool_id:String} = '' OR tool_id = {tool_id:String} ORDER BY tool_id, feature, revision")
    return _entries(store, sql, {"tool_id": tool_id or ""})


@dataclass(frozen=True)
class Mismatch:
    """A catalogue entry (or a telemetry id that is none) and its use in the period."""

    tool_id: str  # the catalogue's id once aliases are resolved (telemetry's id if undeclared)
    feature: str  # '' for the tool itself
    uses: int  # distinct tool_use events in the period
    first_day: date | None  # Luxembourg days of its first and last use in the period (None: unused)
    last_day: date | None
    available_from: date | None = None  # the catalogue's, for a declared entry

    def as_json(self) -> dict[str, Any]:
        return {"tool_id": self.tool_id, "feature": self.feature, "uses": self.uses,
                "first_day": self.first_day.isoformat() if self.first_day else None,
                "last_day": self.last_day.isoformat() if self.last_day else None,
                "available_from": self.available_from.isoformat() if self.available_from else None}


@dataclass(frozen=True)
class CatalogueCheck:
    """The catalogue against the telemetry of [start, end]."""

    start: date
    end: date
    used_not_declared: list[Mismatch]  # used in the period, no catalogue entry (after aliases)
    declared_not_used: list[Mismatch]  # available on some day of the period, never used in it
    used_before_available: list[Mismatch]  # used before the catalogue says it was released (a beta)
    made_available: list[CatalogueEntry]  # what MC4/MP2 count in the period

    def as_json(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(),
                "used_not_declared": [found.as_json() for found in self.used_not_declared],
                "declared_not_used": [found.as_json() for found in self.declared_not_used],
                "used_before_available": [found.as_json() for found in self.used_before_available],
                "made_available": [entry.as_json() for entry in self.made_available],
                "mismatches": len(self.used_not_declared) + len(self.declared_not_used)}


class _Use:
    """The uses of one entry (or unknown id), summed over the telemetry ids that mean it."""

    def __init__(self) -> None:
        self.uses, self.first_day, self.last_day = 0, date.max, date.min

    def add(self, uses: int, first_day: date, last_day: date) -> None:
        self.uses += uses
        self.first_day, self.last_day = min(self.first_day, first_day), max(self.last_day, last_day)


def _resolve(entries: list[CatalogueEntry]) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Telemetry tool_id → catalogue tool_id, and (catalogue tool_id, telemetry feature) → feature."""
    tools = {name: entry.tool_id for entry in entries if not entry.feature for name in (*entry.aliases, entry.tool_id)}
    features = {(entry.tool_id, name): entry.feature for entry in entries if entry.feature
                for name in (*entry.aliases, entry.feature)}
    return tools, features


def cross_check(store: Client, params: KpiParams) -> CatalogueCheck:
    entries = current_entries(store)
    tools, features = _resolve(entries)
    used: dict[tuple[str, str], _Use] = {}
    for tool_id, feature, uses, first_day, last_day in store.query(
            queries.TOOLS_USED, parameters=params.sql_parameters()).result_rows:
        tool = tools.get(str(tool_id), str(tool_id))
        keys = [(tool, "")]
        if feature and tool_id in tools:  # an undeclared tool is listed once, not per feature
            keys.append((tool, features.get((tool, str(feature)), str(feature))))
        for key in keys:
            used.setdefault(key, _Use()).add(int(uses), first_day, last_day)
    declared = {(entry.tool_id, entry.feature): entry for entry in entries}

    def mismatch(key: tuple[str, str], use: _Use | None) -> Mismatch:
        entry = declared.get(key)
        return Mismatch(*key, use.uses if use else 0, use.first_day if use else None, use.last_day if use else None,
                        entry.available_from if entry else None)

    return CatalogueCheck(
        params.start, params.end,
        used_not_declared=[mismatch(key, use) for key, use in sorted(used.items()) if key not in declared],
        declared_not_used=[mismatch(key, None) for key, entry in sorted(declared.items())
                           if key not in used and entry.available_in(params.start, params.end)],
        used_before_available=[mismatch(key, use) for key, use in sorted(used.items())
                               if key in declared and use.first_day < declared[key].available_from],
        made_available=[entry for entry in entries if entry.made_available_in(params.start, params.end)])
