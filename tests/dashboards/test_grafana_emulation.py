"""The test-side Grafana + plugin emulation against the plugin's own expected outputs
(grafana/clickhouse-datasource pkg/macros/macros_test.go and CHDatasource.test.ts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.dashboards.grafana import ALL, Request, Variable, apply_conditional_all, interpolate_macros, panel_sql

REQUEST = Request(datetime(2014, 11, 12, 11, 45, 26, 123000, tzinfo=UTC),
                  datetime(2015, 11, 12, 11, 45, 26, 456000, tzinfo=UTC), interval=timedelta(seconds=20))


@pytest.mark.parametrize("raw, expanded", [
    ("select * from foo where $__timeFilter(cast(sth as timestamp))",
     ("select * from foo where cast(sth as timestamp) >= toDateTime(1415792726) AND cast(sth as timestamp) <= "
      "toDateTime(1447328726)")),
    ("select * from foo where $__timeFilter(cast(sth as timestamp) )",
     ("select * from foo where cast(sth as timestamp) >= toDateTime(1415792726) AND cast(sth as timestamp) <= "
      "toDateTime(1447328726)")),
    ("select * from foo where $__timeFilter_ms(cast(sth as timestamp))",
     ("select * from foo where cast(sth as timestamp) >= fromUnixTimestamp64Milli(1415792726123) AND "
      "cast(sth as timestamp) <= fromUnixTimestamp64Milli(1447328726456)")),
    ("select * from foo where ( date >= $__fromTime and date <= $__toTime ) limit 100",
     "select * from foo where ( date >= toDateTime(1415792726) and date <= toDateTime(1447328726) ) limit 100"),
    ("select * from foo where ( date >= $__fromTime_ms ) and ( date <= $__toTime_ms ) limit 100",
     ("select * from foo where ( date >= fromUnixTimestamp64Milli(1415792726123) ) and "
      "( date <= fromUnixTimestamp64Milli(1447328726456) ) limit 100")),
    ("select $__timeInterval(col) from foo", "select toStartOfInterval(toDateTime(col), INTERVAL 20 second) from foo"),
    ("select $__timeInterval_ms(col) from foo",
     "select toStartOfInterval(toDateTime64(col, 3), INTERVAL 20000 millisecond) from foo"),
    ("select toStartOfInterval(col, INTERVAL $__interval_s second) AS time from foo",
     "select toStartOfInterval(col, INTERVAL 20 second) AS time from foo"),
    ("where $__dateFilter(dateCol)", "where dateCol >= toDate('2014-11-12') AND dateCol <= toDate('2015-11-12')"),
])
def test_macros_expand_as_the_plugin_does(raw: str, expanded: str) -> None:
    assert interpolate_macros(raw, REQUEST) == expanded


def test_a_bare_macro_swallows_the_next_parentheses_as_the_plugin_does() -> None:
    # Why the renderer writes `toDate($__fromTime, …)`: a later `(…)` becomes the arguments.
    assert interpolate_macros("x >= $__fromTime AND y IN (1, 2)", REQUEST) == "x >= toDateTime(1415792726)"


def test_conditional_all() -> None:
    variables = {"env": Variable("env", (ALL,), ("a", "b"), multi=True), "host": Variable("host", ("h1",))}
    raw = ("SELECT 1 WHERE $__conditionalAll(env IN (${env:singlequote}), $env) "
           "AND $__conditionalAll(host = '$host', $host)")
    assert apply_conditional_all(raw, variables) == "SELECT 1 WHERE 1=1 AND host = '$host'"
    assert panel_sql(raw, Request(REQUEST.time_from, REQUEST.time_to, variables=variables)) == \
        "SELECT 1 WHERE 1=1 AND host = 'h1'"


def test_variables_formats_and_custom_all_value() -> None:
    variables = {"platform": Variable("platform", ("a", "b"), ("a", "b", "c"), multi=True),
                 "org": Variable("org", (ALL,), ("x",), all_value="''"),
                 "one": Variable("one", ("it's",))}
    request = Request(REQUEST.time_from, REQUEST.time_to, variables=variables)
    assert panel_sql("[${platform:singlequote}] $platform ${org:sqlstring} ${one:sqlstring} $__fromTime, $unknown",
                     request) == "['a','b'] 'a','b' '' 'it''s' toDateTime(1415792726), $unknown"
