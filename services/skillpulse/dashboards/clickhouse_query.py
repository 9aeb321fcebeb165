"""A Grafana target for the grafana-clickhouse-datasource plugin.

grafana-foundation-sdk has typed queries for Grafana's core data sources only, so this
is the plugin's SQL-editor query (src/types/sql.ts in grafana/clickhouse-datasource) as
an SDK dataquery: panels take it through `with_target` like any SDK query.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from grafana_foundation_sdk.cog import builder, variants
from grafana_foundation_sdk.cog.runtime import DataqueryConfig, Runtime
from grafana_foundation_sdk.models.dashboard import DataSourceRef

PLUGIN_ID = "grafana-clickhouse-datasource"
PLUGIN_VERSION = "4.11.2"  # the version docker-compose.yml installs into Grafana
DATASOURCE_UID = "skillpulse-clickhouse"  # fixed: provisioning, push and every panel use it
DATASOURCE = DataSourceRef(type_val=PLUGIN_ID, uid=DATASOURCE_UID)

QueryType = Literal["table", "timeseries"]
# The plugin sends sqlds' format numbers to its backend (mapQueryTypeToGrafanaFormat).
_FORMAT: dict[QueryType, int] = {"timeseries": 0, "table": 1}


class ClickHouseQuery(variants.Dataquery):
    """Raw SQL run as written, after Grafana variables and the plugin's macros."""

    def __init__(self, raw_sql: str = "", query_type: QueryType = "table", ref_id: str = "A") -> None:
        self.raw_sql = raw_sql
        self.query_type = query_type
        self.ref_id = ref_id

    def to_json(self) -> dict[str, object]:
        return {
            "datasource": DATASOURCE,
            "editorType": "sql",
            "format": _FORMAT[self.query_type],
            "pluginVersion": PLUGIN_VERSION,
            "queryType": self.query_type,
            "rawSql": self.raw_sql,
            "refId": self.ref_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(raw_sql=data.get("rawSql", ""), query_type=data.get("queryType", "table"),
                   ref_id=data.get("refId", "A"))


class ClickHouseQueryBuilder(builder.Builder[ClickHouseQuery]):
    def __init__(self, raw_sql: str, query_type: QueryType = "table", ref_id: str = "A") -> None:
        self._query = ClickHouseQuery(raw_sql, query_type, ref_id)

    def build(self) -> ClickHouseQuery:
        return self._query


# Lets the SDK read our targets back from dashboard JSON (Dashboard.from_json).
Runtime().register_dataquery_variant(DataqueryConfig(identifier=PLUGIN_ID, from_json_hook=ClickHouseQuery.from_json))
