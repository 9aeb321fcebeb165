"""What Grafana and the grafana-clickhouse-datasource plugin do to a panel's SQL before
ClickHouse sees it, re-implemented for tests (no Grafana here):

1. the plugin's frontend replaces `$__conditionalAll(cond, $var)` (CHDatasource.ts,
   applyConditionalAll and getMacroArgs),
2. Grafana's template service replaces variables, with the plugin's default format for
   multi-values (`'a','b'`) and a custom all-value inserted unformatted,
3. the plugin's backend expands its macros (pkg/macros/macros.go), through
   grafana-plugin-sdk-go's sqlutil.Interpolate (data/sqlutil/macros.go): each macro name
   in turn, its first `(…)` taken as arguments, every copy of the match replaced.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

ALL = "$__all"


@dataclass(frozen=True)
class Variable:
    name: str
    selected: tuple[str, ...]  # (ALL,) when "All" is chosen
    options: tuple[str, ...] = ()  # what "All" stands for without a custom all-value
    all_value: str | None = None
    multi: bool = False


@dataclass(frozen=True)
class Request:
    time_from: datetime
    time_to: datetime
    interval: timedelta = timedelta(seconds=60)
    variables: Mapping[str, Variable] = field(default_factory=dict)


# --- 1. $__conditionalAll, frontend ---------------------------------------------------

_CONDITIONAL_ALL = "$__conditionalAll("


def _macro_args(query: str, args_index: int) -> list[str]:
    args: list[str] = []
    depth, last_end = 0, 1
    text = query[args_index:]
    for match in re.finditer(r"\(|\)|,", text):
        token, end = match.group(0), match.end()
        depth += {"(": 1, ")": -1}.get(token, 0)
        if token == "," and depth == 1:
            args.append(text[last_end:end - 1])
            last_end = end
        if depth == 0:
            args.append(text[last_end:end - 1])
            return args
    return []


def apply_conditional_all(sql: str, variables: Mapping[str, Variable]) -> str:
    index = sql.rfind(_CONDITIONAL_ALL)
    while index != -1:
        params = _macro_args(sql, index + len(_CONDITIONAL_ALL) - 1)
        if len(params) != 2:
            return sql
        variable = variables.get(params[1].strip()[1:])
        value = ",".join(variable.selected) if variable else None  # JavaScript's Array.toString
        phrase = "1=1" if value in ("", ALL) else params[0]
        sql = sql.replace(f"{_CONDITIONAL_ALL}{params[0]},{params[1]})", phrase, 1)
        index = sql.rfind(_CONDITIONAL_ALL)
    return sql


# --- 2. template variables -------------------------------------------------------------

_VARIABLE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}")


def _format(value: str | list[str], fmt: str | None) -> str:
    values = value if isinstance(value, list) else [value]
    if fmt is None:  # the plugin's `format`: arrays quoted, a single value as is
        return "'" + "','".join(value) + "'" if isinstance(value, list) else value
    if fmt == "singlequote":
        return ",".join("'" + v.replace("'", "\\'") + "'" for v in values)
    if fmt == "sqlstring":
        return ",".join("'" + v.replace("'", "''") + "'" for v in values)
    if fmt in ("csv", "raw"):
        return ",".join(values)
    raise NotImplementedError(f"format {fmt!r}")


def replace_variables(sql: str, variables: Mapping[str, Variable]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        fmt = match.group(3) or match.group(6)
        variable = variables.get(name)
        if variable is None:
            return match.group(0)  # not a variable (e.g. a macro): left for the backend
        if variable.selected == (ALL,):
            if variable.all_value:
                return variable.all_value  # custom all-values skip formatting
            return _format(list(variable.options), fmt)
        value: str | list[str] = list(variable.selected) if variable.multi else variable.selected[0]
        return _format(value, fmt)

    return _VARIABLE.sub(replace, sql)


# --- 3. macros, backend ----------------------------------------------------------------

def _date_time(moment: datetime) -> str:
    return f"toDateTime({math.floor(moment.timestamp())})"


def _date_time64(moment: datetime) -> str:
    return f"fromUnixTimestamp64Milli({(moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)})"


def _date(moment: datetime) -> str:
    return f"toDate('{moment.astimezone(UTC):%Y-%m-%d}')"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _one(args: list[str]) -> str:
    if len(args) != 1:
        raise ValueError(f"unexpected number of arguments: expected 1 argument, received {len(args)}")
    return args[0]


def _between(column: str, first: str, last: str) -> str:
    return f"{column} >= {first} AND {column} <= {last}"


def _date_time_filter(r: Request, args: list[str]) -> str:
    if len(args) != 2:
        raise ValueError(f"unexpected number of arguments: expected 2 arguments, received {len(args)}")
    return (f"({_between(args[0], _date(r.time_from), _date(r.time_to))}) AND "
            f"({_between(args[1], _date_time(r.time_from), _date_time(r.time_to))})")


Macro = Callable[[Request, list[str]], str]
MACROS: dict[str, Macro] = {  # the plugin's, then sqlutil's defaults it does not override
    "fromTime": lambda r, a: _date_time(r.time_from),
    "toTime": lambda r, a: _date_time(r.time_to),
    "fromTime_ms": lambda r, a: _date_time64(r.time_from),
    "toTime_ms": lambda r, a: _date_time64(r.time_to),
    "timeFilter": lambda r, a: _between(_one(a), _date_time(r.time_from), _date_time(r.time_to)),
    "timeFilter_ms": lambda r, a: _between(_one(a), _date_time64(r.time_from), _date_time64(r.time_to)),
    "dateFilter": lambda r, a: _between(_one(a), _date(r.time_from), _date(r.time_to)),
    "dateTimeFilter": _date_time_filter,
    "dt": _date_time_filter,
    "timeInterval": lambda r, a: (f"toStartOfInterval(toDateTime({_one(a)}), "
                                  f"INTERVAL {int(max(r.interval.total_seconds(), 1))} second)"),
    "timeInterval_ms": lambda r, a: (f"toStartOfInterval(toDateTime64({_one(a)}, 3), "
                                     f"INTERVAL {int(max(r.interval // timedelta(milliseconds=1), 1))} millisecond)"),
    "interval_s": lambda r, a: str(int(max(r.interval.total_seconds(), 1))),
    "timeFrom": lambda r, a: f"{_one(a)} >= '{_rfc3339(r.time_from)}'",
    "timeTo": lambda r, a: f"{_one(a)} <= '{_rfc3339(r.time_to)}'",
    "table": lambda r, a: "",
    "column": lambda r, a: "",
}


def _macro_matches(sql: str, name: str) -> list[tuple[str, str]]:
    """(text to replace, argument text) of each `$__name`, as getMacroMatches finds them."""
    matches = []
    for found in re.finditer(rf"\$__{name}\b", sql):
        text = sql[found.start():]
        depth, arg_start, macro_end = 0, 0, 0
        for index, char in enumerate(text):
            if depth == 0 and macro_end > 0:
                break
            if char == "(":
                depth += 1
                arg_start = arg_start or index + 1
            elif char == ")":
                if depth == 0:
                    macro_end = 0
                    break
                depth -= 1
                macro_end = index + 1
        if macro_end == 0:
            macro_end = found.end() - found.start()
        matches.append((text[:macro_end], text[arg_start:macro_end - 1] if arg_start else ""))
    return matches


def interpolate_macros(sql: str, request: Request, order: Iterable[str] = MACROS) -> str:
    for name in order:  # Go ranges over a map: any order, hence `order`
        for text, args in _macro_matches(sql, name):
            sql = sql.replace(text, MACROS[name](request, [arg.strip() for arg in args.split(",")]))
    return sql


def panel_sql(raw_sql: str, request: Request) -> str:
    """The SQL ClickHouse receives for a panel target; the same whichever order the plugin
    expands its macros in (else AssertionError: the query depends on Go's map order)."""
    sql = replace_variables(apply_conditional_all(raw_sql, request.variables), request.variables)
    forward = interpolate_macros(sql, request)
    assert forward == interpolate_macros(sql, request, reversed(list(MACROS))), raw_sql
    return forward
