"""Pipeline health: the counters the services write to `pipeline_stats`, and the queries
that read them (with freshness from `events`) for the SRE dashboard and the KPI board."""

from skillpulse.health.snapshot import pipeline_health
from skillpulse.health.stats import STATS_COLUMNS, AggregatorStats, CollectorStats, parse_stats_record

__all__ = ["STATS_COLUMNS", "AggregatorStats", "CollectorStats", "parse_stats_record",
           "pipeline_health"]
