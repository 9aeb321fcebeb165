"""The renderer: catalogue parameters → Grafana macros and variables, nothing left unbound."""

from __future__ import annotations

import pytest

from skillpulse.dashboards import sql
from skillpulse.health import queries as health
from skillpulse.kpi import queries


def test_health_filters_and_buckets_become_the_macros_they_expand_from() -> None:
    assert sql.render(health.CONSUMER_LAG_SERIES, sql.HEALTH_BINDINGS).startswith(
        "SELECT $__timeInterval(at) AS time, max(value) AS consumer_lag")
    assert "AND $__timeFilter_ms(at)" in sql.CONSUMER_LAG
    assert "sum(value) / toUInt32($__interval_s)" in sql.ACCEPTED_RATE


def test_kpi_parameters_become_range_days_and_variables() -> None:
    rendered = sql.render_kpi(queries.TOOL_USAGE)
    assert "platform IN [${platform:singlequote}]" in rendered
    assert "(${organisation:sqlstring} = '' OR organisation_id = ${organisation:sqlstring})" in rendered
    assert "BETWEEN toDate($__fromTime, 'Europe/Luxembourg') AND toDate($__toTime, 'Europe/Luxembourg')" in rendered


def test_an_unbound_parameter_or_mixed_second_and_millisecond_macros_are_refused() -> None:
    with pytest.raises(KeyError, match="bucket_s"):
        sql.render_kpi("SELECT {bucket_s:UInt32}")
    with pytest.raises(ValueError, match="fromTime_ms"):
        sql.render("SELECT $__fromTime, $__fromTime_ms", {})
